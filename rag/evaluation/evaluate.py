"""`python -m rag eval GOLD`: retrieval and answer quality on a gold set.

GOLD is either a JSONL file in the dev.jsonl format (question, answer, doc, quotes, type) evaluated on the
configured documents and index, or a folder in the ncp-policies-qa layout (documents.jsonl + sample.jsonl):
a temporary index is built from its documents and retrieval is scored on its questions, the gold answer
span being the quote. Third-party data is read where it lies and never copied into the project.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ..config import Settings
from .anchor import read_documents
from .external import CHECK, TUNING, holds_span, is_external, load_external_set, span_metrics, write_documents
from .gold import CHECK_IDS, load_gold, read_ids
from .metrics import AnswerOutcome, GoldItem, answer_metrics, first_hit_rank, misses, per_type, retrieval_metrics


def evaluate_retrieval(search, items: list[GoldItem], k: int) -> tuple[dict, dict[str, int | None]]:
    """search(question, k) -> list of passage texts. Returns metrics (with mean context characters and
    latency) and the first-hit rank of each answerable question."""
    ranks: dict[str, int | None] = {}
    chars = []
    latencies = []
    for item in items:
        if not item.answerable:
            continue
        t = time.perf_counter()
        passages = search(item.question, k)
        latencies.append(time.perf_counter() - t)
        chars.append(sum(len(p) for p in passages))
        ranks[item.id] = first_hit_rank(passages, item.quotes)
    metrics = retrieval_metrics(list(ranks.values()), tuple(x for x in (1, 3, 5, k) if x <= k))
    metrics["context_chars"] = sum(chars) / len(chars) if chars else 0.0
    metrics["latency_ms_mean"] = 1000 * sum(latencies) / len(latencies) if latencies else 0.0
    return metrics, ranks


def evaluate_answers(session, items: list[GoldItem], backend: str, k: int) -> list[AnswerOutcome]:
    answerer = session.answerer(backend)
    outcomes = []
    for item in items:
        final = list(answerer.stream(item.question, k=k))[-1]
        outcomes.append(
            AnswerOutcome(
                item,
                final.refused,
                [c.text for c in final.citations],
                final.body,
                [f"{c.clause.doc[:3]}:{c.clause.label}" for c in final.citations],
            )
        )
    return outcomes


def run_eval(
    gold: Path,
    settings: Settings,
    k: int | None = None,
    as_json: bool = False,
    anchor: bool = False,
    answers: bool = True,
    questions: int | None = None,
    check: bool = False,
) -> int:
    k = k or settings.top_k
    from ..indexing.embedders import embedder_from
    from ..session import Session

    gold = Path(gold)
    if not gold.exists():
        raise FileNotFoundError(f"gold set {gold} does not exist")
    from .facts_eval import is_checked_facts, is_facts_set, run_checked_facts, run_facts_eval

    if is_facts_set(gold):  # questions about documents themselves (issuer, number, date)
        run_facts_eval(gold, settings, as_json)
        return 0
    if is_checked_facts(gold):  # a hand-checked list of document facts
        run_checked_facts(gold, settings, as_json)
        return 0
    embedder = embedder_from(settings)
    report: dict = {"gold": str(gold), "k": k}
    external = load_external_set(gold, questions, check) if is_external(gold) else None
    if external is not None:
        report["role"] = external.role
        # Indexed in the cache folder (outside the project), so the next run reuses the vectors (a check run of
        # an answerable set shares its documents' index).
        work = (
            Path(settings.cache_dir)
            / "eval"
            / (external.name + (f"-{len(external.items)}" if external.removal else ""))
        )
        write_documents(external.documents, work / "docs")
        settings = settings.with_(docs_dir=work / "docs", index_dir=work / "index")
        items, documents = external.items, external.documents
    else:
        items = load_gold(gold)
        documents = None  # read only if the anchor needs them
    session = Session(settings, embedder=embedder)
    t = time.perf_counter()
    if gold.is_dir():
        build = session.build(allow_large=True)
        report["build_seconds"] = build.seconds
        report["clauses"] = build.clauses
    retriever = session.retriever()
    metrics, ranks = evaluate_retrieval(lambda q, n: [h.text for h in retriever.search(q, n)], items, k)
    report["retrieval"] = metrics
    if external is not None and answers:
        outcomes = evaluate_answers(session, items, settings.llm, k)
        report["external"] = _external_report(external, outcomes, settings.llm)
        if external.role == CHECK:  # as for the own set-aside questions: figures only, never misses to read
            report["external"]["misses"] = []
        answers = False
    if anchor:
        built = _build_anchor(documents or read_documents(Path(settings.docs_dir)), embedder)
        report["anchor"], _ = evaluate_retrieval(built.search, items, k)
        report["anchor"]["build_seconds"] = built.build_seconds
        report["anchor"]["chunks"] = built.chunks
    if answers:
        backend = settings.llm
        outcomes = evaluate_answers(session, items, backend, k)
        held = read_ids(CHECK_IDS)
        tuned = [o for o in outcomes if o.item.id not in held]
        report["answers"] = {"backend": backend, "role": TUNING, **answer_metrics(tuned)}
        checked = [o for o in outcomes if o.item.id in held]
        if checked:  # the set-aside questions: their own table, and no misses listed (never read for misses)
            report["check_answers"] = {"backend": backend, "role": CHECK, **answer_metrics(checked)}
        report["per_type"] = per_type(tuned, ranks)
        report["misses"] = misses(tuned)
    report["seconds"] = time.perf_counter() - t
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print(format_report(report))
    return 0


def _external_report(external, outcomes, backend: str) -> dict:
    """Span-level answer figures for an answerable set; the refusal rate for a removal set; the misses."""
    if external.removal:
        wrong = [o for o in outcomes if not o.refused]
        return {
            "backend": backend,
            "removal": True,
            "questions": len(outcomes),
            "refused": 1 - len(wrong) / max(1, len(outcomes)),
            "misses": [
                {"id": o.item.id, "question": o.item.question, "answer": " ".join(o.body.split())[:120]} for o in wrong
            ],
        }
    spans = external.spans
    wrong = [o for o in outcomes if o.refused or not holds_span(o.body, spans[o.item.id])]
    return {
        "backend": backend,
        "removal": False,
        **span_metrics(outcomes, spans),
        "misses": [
            {
                "id": o.item.id,
                "question": o.item.question,
                "span": spans[o.item.id],
                "refused": o.refused,
                "answer": " ".join(o.body.split())[:120],
            }
            for o in wrong
        ],
    }


def _build_anchor(documents, embedder):
    from .anchor import build_anchor

    print("building the llama-index anchor …", file=sys.stderr, flush=True)
    return build_anchor(documents, embedder)


def format_report(report: dict) -> str:
    lines = [f"gold: {report['gold']}  (k={report['k']})"]
    r = report["retrieval"]
    keys = [key for key in r if key.startswith("recall@")] + ["mrr", "context_chars", "latency_ms_mean"]
    lines.append("retrieval            " + "  ".join(f"{key:>15}" for key in keys))
    lines.append(
        f"  {'project':18} "
        + "  ".join(f"{r[key]:>15.3f}" if key != "context_chars" else f"{r[key]:>15.0f}" for key in keys)
    )
    if "anchor" in report:
        a = report["anchor"]
        lines.append(
            f"  {'llama-index anchor':18} "
            + "  ".join(f"{a[key]:>15.3f}" if key != "context_chars" else f"{a[key]:>15.0f}" for key in keys)
        )
    lines.append(f"  answerable questions: {r['questions']}")
    if "external" in report:
        e = report["external"]
        if e["removal"]:
            lines.append(
                f"answers ({e['backend']}) on {e['questions']} questions whose answers were removed: "
                f"refused {e['refused']:.3f}"
            )
            for row in e["misses"]:
                lines.append(f"  answered {row['id']}: {row['question']} → {row['answer']}")
        else:
            lines.append(
                f"answers ({e['backend']}) on {e['questions']} answerable questions: answered {e['answered']:.3f}, "
                f"gold span in the body {e['span_in_body']:.3f}, span in a cited clause {e['span_cited']:.3f}, "
                f"false refusals {e['false_refusals']:.3f}"
            )
            for row in e["misses"]:
                state = "refused" if row["refused"] else "span missing"
                lines.append(f"  {state:12} {row['id'][:8]} {row['question']} [{row['span'][:30]}] → {row['answer']}")
    if "role" in report:
        lines.insert(1, f"  {report['role']}")
    for key in ("check_answers", "answers"):
        if key not in report:
            continue
        m = report[key]
        lines.append(
            f"answers ({m['backend']}), {m['role']}: citation precision {m['citation_precision']:.3f}, "
            f"answered with a valid citation {m['answered_with_valid_citation']:.3f}, "
            f"refused unanswerable {m['refusal_rate_unanswerable']:.3f}, "
            f"false refusals {m['false_refusal_rate']:.3f} "
            f"({m['answerable']} answerable, {m['unanswerable']} unanswerable)"
        )
        lines.append(
            f"  refusals: precision {m['refusal_precision']:.3f} (refused when it should), "
            f"recall {m['refusal_recall']:.3f} (of the unanswerable, refused)"
        )
    if "answers" in report:
        lines.append(f"  {'type':20} {'n':>3} {'recall@5':>9} {'valid cit.':>10} {'refused':>8}")
        for kind, row in report["per_type"].items():
            lines.append(
                f"  {kind:20} {row['n']:>3} {row.get('recall@5', float('nan')):>9.2f} "
                f"{row.get('valid_citation', float('nan')):>10.2f} {row['refused']:>8.2f}"
            )
        lines.append(f"misses ({len(report['misses'])}):")
        lines.append(f"  {'id':10} {'type':18} {'reason':46} question → answer [cited]")
        for row in report["misses"]:
            lines.append(
                f"  {row['id']:10} {row['type']:18} {row['reason']:46} {row['question']} → "
                f"{row['answer']} [{row['cited']}]"
            )
    return "\n".join(lines)
