"""`python -m rag eval tests/metadata_questions.jsonl`: questions about documents themselves (issuer, number,
date), over the seeds and over NCP documents (read from ../shared, indexed in the cache folder).

Each line: {"id", "corpus": "seeds"|"ncp", "doc": file name or its prefix, "field": issuer|number|date,
"question", "expect": text the answer must hold (null: the document does not state it, so the answer must be a
refusal), "value" (optional: the extracted value expected when `expect` is a description such as 遮蔽)}.

Reported: answered correctly (the expected text in the answer, citing that document's 文件信息 clause; or refused
when nothing is stated) and the precision / recall of the extracted facts for the (document, field) pairs."""
from __future__ import annotations

import json
from pathlib import Path

from ..config import Settings
from ..text.normalize import to_simplified
from .external import NCP, NCP_NAME, is_external, load_external_set, write_documents


def is_facts_set(path: Path) -> bool:
    if not Path(path).is_file():
        return False
    first = Path(path).read_text(encoding="utf-8").splitlines()[:1]
    return bool(first) and "field" in json.loads(first[0])


def _norm(text: str | None) -> str:
    return "".join(to_simplified(text or "").split())


def _session(settings: Settings, corpus: str):
    from ..indexing.embedders import embedder_from
    from ..session import Session

    if corpus == "ncp":
        if not is_external(NCP):
            return None
        work = Path(settings.cache_dir) / "eval" / NCP_NAME
        write_documents(load_external_set(NCP).documents, work / "docs")
        settings = settings.with_(docs_dir=work / "docs", index_dir=work / "index")
    session = Session(settings, embedder=embedder_from(settings))
    session.build(allow_large=True)
    return session


def run_facts_eval(gold: Path, settings: Settings, as_json: bool = False) -> dict:
    items = [json.loads(line) for line in Path(gold).read_text(encoding="utf-8").splitlines() if line.strip()]
    outcomes, skipped = [], []
    extracted: dict[tuple[str, str], tuple[str | None, dict]] = {}
    for corpus in sorted({i["corpus"] for i in items}):
        session = _session(settings, corpus)
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
            outcomes.append({"id": item["id"], "ok": ok, "question": item["question"], "expect": item["expect"],
                             "answer": " ".join(ans.body.split())[:160]})
    report = {"questions": len(outcomes), "correct": sum(o["ok"] for o in outcomes) / max(1, len(outcomes)),
              **_fact_scores(extracted), "skipped": skipped, "misses": [o for o in outcomes if not o["ok"]]}
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
    return {"facts_precision": right / max(1, given), "facts_recall": found / max(1, stated),
            "facts_pairs": len(extracted)}


def format_facts_report(r: dict) -> str:
    lines = [f"document facts: {r['questions']} questions answered correctly {r['correct']:.3f}; extracted facts "
             f"precision {r['facts_precision']:.3f}, recall {r['facts_recall']:.3f} over {r['facts_pairs']} "
             "(document, field) pairs"]
    lines += [f"  skipped {s}" for s in r["skipped"]]
    lines += [f"  miss {m['id']} {m['question']} [{m['expect']}] → {m['answer']}" for m in r["misses"]]
    return "\n".join(lines)
