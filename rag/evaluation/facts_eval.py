"""`python -m rag eval tests/metadata_questions.jsonl`: questions about documents themselves (issuer, number,
date), over the seeds and over NCP documents (read from ../shared, indexed in the cache folder).

Each line: {"id", "corpus": "seeds"|"ncp", "doc": file name or its prefix, "field": issuer|number|date,
"question", "expect": text the answer must hold (null: the document does not state it, so the answer must be a
refusal), "value" (optional: the extracted value expected when `expect` is a description such as 遮蔽)}.

Reported: answered correctly (the expected text in the answer, citing that document's 文件信息 clause; or refused
when nothing is stated) and the precision / recall of the extracted facts for the (document, field) pairs."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Callable

from ..config import Settings
from ..text.normalize import to_simplified
from .external import NCP_NAME, ncp_documents

ROOT = Path(__file__).resolve().parents[2]


def _first_record(path: Path) -> dict:
    """The first JSON line of a file ({} when it is not a file or is empty)."""
    if not Path(path).is_file():
        return {}
    first = Path(path).read_text(encoding="utf-8").splitlines()[:1]
    return json.loads(first[0]) if first else {}


def is_facts_set(path: Path) -> bool:
    return "field" in _first_record(path)


def _norm(text: str | None) -> str:
    return "".join(to_simplified(text or "").split())


def _with_others(asked: set[str], others: int) -> Callable[[list[str]], set[str]]:
    """Keep the asked documents and `others` more, drawn with a fixed seed (a smaller index for the test suite)."""

    def keep(stems: list[str]) -> set[str]:
        named = {s for s in stems if any(s.startswith(a.removesuffix(".txt")) for a in asked)}
        rest = sorted(set(stems) - named)
        random.Random(0).shuffle(rest)
        return named | set(rest[:others])

    return keep


def _session(settings: Settings, corpus: str, asked: set[str], others: int | None):
    from ..indexing.embedders import embedder_from
    from ..session import Session

    if corpus == "ncp":
        work = Path(settings.cache_dir) / "eval" / NCP_NAME
        part = "" if others is None else f"-{others}"
        if ncp_documents(work / f"docs{part}", None if others is None else _with_others(asked, others)) is None:
            return None
        settings = settings.with_(docs_dir=work / f"docs{part}", index_dir=work / f"index{part}")
    session = Session(settings, embedder=embedder_from(settings))
    session.build(allow_large=True)
    return session


def run_facts_eval(gold: Path, settings: Settings, as_json: bool = False, others: int | None = None) -> dict:
    """`others`: over NCP, index only the asked documents and this many others (default: all 599)."""
    items = [json.loads(line) for line in Path(gold).read_text(encoding="utf-8").splitlines() if line.strip()]
    outcomes, skipped = [], []
    extracted: dict[tuple[str, str], tuple[str | None, dict]] = {}
    for corpus in sorted({i["corpus"] for i in items}):
        session = _session(settings, corpus, {i["doc"] for i in items if i["corpus"] == corpus}, others)
        if session is None:
            skipped.append(f"{corpus}: ../shared is absent")
            continue
        retriever = session.retriever()
        docs = retriever.data.documents
        answerer = session.answerer("extractive")
        for item in (i for i in items if i["corpus"] == corpus):
            name = next((n for n in docs if n.startswith(item["doc"])), None)
            facts = (docs.get(name) or {}).get("facts", {})
            fact = facts.get(item["field"]) or (facts.get("published") if item["field"] == "date" else None)
            extracted[(name or item["doc"], item["field"])] = (fact or {}).get("value"), item
            ans = list(answerer.stream(item["question"]))[-1]
            # a 文件信息 clause of the document or of a copy of it (NCP holds near-duplicates), stating the value
            cited_here = [c for c in ans.citations if "#" in c.clause.id]
            if item["expect"] is None:
                ok = ans.refused
            else:
                ok = not ans.refused and _norm(item["expect"]) in _norm(ans.body) and bool(cited_here)
            outcomes.append(
                {
                    "id": item["id"],
                    "ok": ok,
                    "question": item["question"],
                    "expect": item["expect"],
                    "answer": " ".join(ans.body.split())[:160],
                }
            )
    report = {
        "questions": len(outcomes),
        "correct": sum(o["ok"] for o in outcomes) / max(1, len(outcomes)),
        **_fact_scores(extracted),
        "skipped": skipped,
        "misses": [o for o in outcomes if not o["ok"]],
    }
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print(format_facts_report(report))
    return report


def _fact_scores(extracted: dict) -> dict:
    """Precision (extracted values that are right) and recall (stated values that were extracted)."""
    given = right = stated = found = 0
    for (_, _), (value, item) in extracted.items():
        truth = item.get("value") or item["expect"]
        if value is not None:
            given += 1
            right += truth is not None and _norm(truth) in _norm(value)
        if truth is not None:
            stated += 1
            found += value is not None and _norm(truth) in _norm(value)
    return {
        "facts_precision": right / max(1, given),
        "facts_recall": found / max(1, stated),
        "facts_pairs": len(extracted),
    }


def format_facts_report(r: dict) -> str:
    lines = [
        f"document facts: {r['questions']} questions answered correctly {r['correct']:.3f}; extracted facts "
        f"precision {r['facts_precision']:.3f}, recall {r['facts_recall']:.3f} over {r['facts_pairs']} "
        "(document, field) pairs"
    ]
    lines += [f"  skipped {s}" for s in r["skipped"]]
    lines += [f"  miss {m['id']} {m['question']} [{m['expect']}] → {m['answer']}" for m in r["misses"]]
    return "\n".join(lines)


CHECKED_FIELDS = ("issuer", "number", "date")


def is_checked_facts(path: Path) -> bool:
    """A hand-checked list of document facts (tests/facts_checked.jsonl): {"corpus", "doc", "issuer", "number",
    "date"} per line, null where the document does not state it."""
    first = _first_record(path)
    return "question" not in first and "issuer" in first


def _documents(corpus: str, settings: Settings, work: Path) -> dict[str, Path] | None:
    folder = ROOT / "seeds" if corpus == "seeds" else ncp_documents(work / "docs")
    return {p.name: p for p in sorted(folder.iterdir()) if p.is_file()} if folder is not None else None


def run_checked_facts(path: Path, settings: Settings, as_json: bool = False) -> dict:
    """Extraction against the hand-checked list: precision (extracted values that are right) and recall (stated
    values extracted), per field and overall."""
    from ..ingest.documents import load_document
    from ..ingest.facts import extract_facts

    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    counts = {f: {"extracted": 0, "right": 0, "stated": 0, "found": 0} for f in CHECKED_FIELDS}
    wrong, skipped = [], []
    work = Path(settings.cache_dir) / "eval" / NCP_NAME
    for corpus in sorted({r["corpus"] for r in rows}):
        files = _documents(corpus, settings, work)
        if files is None:
            skipped.append(f"{corpus}: ../shared is absent")
            continue
        for row in (r for r in rows if r["corpus"] == corpus):
            name = next((n for n in files if n.startswith(row["doc"])), None)
            facts = extract_facts(load_document(files[name])) if name else None
            for field in CHECKED_FIELDS:
                fact = (facts.issue_date() if field == "date" else getattr(facts, field)) if facts else None
                value, truth = (fact.value if fact else None), row[field]
                c = counts[field]
                c["extracted"] += value is not None
                c["stated"] += truth is not None
                ok = value is not None and truth is not None and _norm(value) == _norm(truth)
                c["right"] += ok
                c["found"] += ok
                if (value is not None or truth is not None) and not ok:
                    wrong.append({"doc": row["doc"], "field": field, "extracted": value, "truth": truth})
    total = {k: sum(c[k] for c in counts.values()) for k in ("extracted", "right", "stated", "found")}
    report: dict[str, Any] = {
        "per_field": {
            f: {"precision": c["right"] / max(1, c["extracted"]), "recall": c["found"] / max(1, c["stated"]), **c}
            for f, c in counts.items()
        },
        "precision": total["right"] / max(1, total["extracted"]),
        "recall": total["found"] / max(1, total["stated"]),
        "documents": len(rows),
        "wrong": wrong,
        "skipped": skipped,
    }
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        lines = [
            f"checked facts over {report['documents']} documents: precision {report['precision']:.3f}, "
            f"recall {report['recall']:.3f}"
        ]
        lines += [
            f"  {f:7} precision {v['precision']:.3f} ({v['right']}/{v['extracted']}), recall {v['recall']:.3f} "
            f"({v['found']}/{v['stated']})"
            for f, v in report["per_field"].items()
        ]
        lines += [f"  skipped {s}" for s in skipped]
        lines += [f"  wrong {w['doc']} {w['field']}: extracted {w['extracted']!r}, truth {w['truth']!r}" for w in wrong]
        print("\n".join(lines))
    return report
