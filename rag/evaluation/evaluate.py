"""`python -m rag eval GOLD`: retrieval and answer quality on a gold set.

GOLD is either a JSONL file in the dev.jsonl format (question, answer, doc, quotes, type) evaluated on the
configured documents and index, or a folder in the ncp-policies-qa layout (documents.jsonl + sample.jsonl):
a temporary index is built from its documents and retrieval is scored on its questions, the gold answer
span being the quote. Third-party data is read where it lies and never copied into the project.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from ..config import Settings
from .anchor import read_documents
from .gold import load_external, load_gold
from .metrics import AnswerOutcome, GoldItem, answer_metrics, first_hit_rank, misses, per_type, retrieval_metrics


def external_set_in(gold: Path, folder: Path) -> tuple[list, list[GoldItem], Path]:
    """A third-party set's documents written as files into a temporary folder (never into the project)."""
    documents, items = load_external(gold)
    docs_dir = folder / "docs"
    docs_dir.mkdir()
    for name, text in documents:
        (docs_dir / f"{name}.txt").write_text(text, encoding="utf-8")
    return documents, items, docs_dir


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
        outcomes.append(AnswerOutcome(item, final.refused, [c.text for c in final.citations], final.body,
                                      [f"{c.clause.doc[:3]}:{c.clause.label}" for c in final.citations]))
    return outcomes


def run_eval(gold: Path, settings: Settings, k: int | None = None, as_json: bool = False, anchor: bool = False,
             answers: bool = True) -> int:
    k = k or settings.top_k
    from ..indexing.embedders import make_embedder
    from ..session import Session

    gold = Path(gold)
    if not gold.exists():
        raise FileNotFoundError(f"gold set {gold} does not exist")
    embedder = make_embedder(settings.embedder)
    report: dict = {"gold": str(gold), "k": k}
    with tempfile.TemporaryDirectory(prefix="rag-eval-") as tmp:
        if gold.is_dir():
            documents, items, docs_dir = external_set_in(gold, Path(tmp))
            settings = settings.with_(docs_dir=docs_dir, index_dir=Path(tmp) / "index")
            answers = False
        else:
            items = load_gold(gold)
            documents = None  # read only if the anchor needs them
        session = Session(settings, embedder=embedder)
        t = time.perf_counter()
        if gold.is_dir():
            build = session.build(full=True)
            report["build_seconds"] = build.seconds
            report["clauses"] = build.clauses
        retriever = session.retriever()
        metrics, ranks = evaluate_retrieval(lambda q, n: [h.text for h in retriever.search(q, n)], items, k)
        report["retrieval"] = metrics
        if anchor:
            built = _build_anchor(documents or read_documents(Path(settings.docs_dir)), embedder)
            report["anchor"], _ = evaluate_retrieval(built.search, items, k)
            report["anchor"]["build_seconds"] = built.build_seconds
            report["anchor"]["chunks"] = built.chunks
        if answers:
            backend = settings.llm
            outcomes = evaluate_answers(session, items, backend, k)
            report["answers"] = {"backend": backend, **answer_metrics(outcomes)}
            report["per_type"] = per_type(outcomes, ranks)
            report["misses"] = misses(outcomes)
        report["seconds"] = time.perf_counter() - t
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print(format_report(report))
    return 0


def _build_anchor(documents, embedder):
    from .anchor import build_anchor

    print("building the llama-index anchor …", file=sys.stderr, flush=True)
    return build_anchor(documents, embedder)


def format_report(report: dict) -> str:
    lines = [f"gold: {report['gold']}  (k={report['k']})"]
    r = report["retrieval"]
    keys = [key for key in r if key.startswith("recall@")] + ["mrr", "context_chars", "latency_ms_mean"]
    lines.append("retrieval            " + "  ".join(f"{key:>15}" for key in keys))
    lines.append(f"  {'project':18} " + "  ".join(f"{r[key]:>15.3f}" if key != "context_chars" else f"{r[key]:>15.0f}" for key in keys))
    if "anchor" in report:
        a = report["anchor"]
        lines.append(f"  {'llama-index anchor':18} " + "  ".join(f"{a[key]:>15.3f}" if key != "context_chars" else f"{a[key]:>15.0f}" for key in keys))
    lines.append(f"  answerable questions: {r['questions']}")
    if "answers" in report:
        m = report["answers"]
        lines.append(f"answers ({m['backend']}): citation precision {m['citation_precision']:.3f}, "
                     f"answered with a valid citation {m['answered_with_valid_citation']:.3f}, "
                     f"refused unanswerable {m['refusal_rate_unanswerable']:.3f}, "
                     f"false refusals {m['false_refusal_rate']:.3f} "
                     f"({m['answerable']} answerable, {m['unanswerable']} unanswerable)")
        lines.append(f"  refusals: precision {m['refusal_precision']:.3f} (refused when it should), "
                     f"recall {m['refusal_recall']:.3f} (of the unanswerable, refused)")
        lines.append(f"  {'type':20} {'n':>3} {'recall@5':>9} {'valid cit.':>10} {'refused':>8}")
        for kind, row in report["per_type"].items():
            lines.append(f"  {kind:20} {row['n']:>3} {row.get('recall@5', float('nan')):>9.2f} "
                         f"{row.get('valid_citation', float('nan')):>10.2f} {row['refused']:>8.2f}")
        lines.append(f"misses ({len(report['misses'])}):")
        lines.append(f"  {'id':10} {'type':18} {'reason':46} question → answer [cited]")
        for row in report["misses"]:
            lines.append(f"  {row['id']:10} {row['type']:18} {row['reason']:46} {row['question']} → "
                         f"{row['answer']} [{row['cited']}]")
    return "\n".join(lines)
