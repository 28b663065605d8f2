"""`python -m rag eval GOLD --stores faiss milvus`: the same gold set on each store, side by side.

The first store's index is built from the documents (embedding them once); every other store gets a copy of
that index folder and an incremental build into itself, so it holds the very same vectors and clauses and
only the engine differs. Reports recall@k and MRR per store, their differences from the first, and, for a
JSONL gold set, how many answers are identical (same refusal, same text, same cited clauses)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from ..config import Settings
from .evaluate import evaluate_answers, evaluate_retrieval
from .external import load_external_set, write_documents
from .gold import load_gold


def compare_stores(
    gold: Path, settings: Settings, kinds: list[str], k: int | None = None, answers: bool = True, as_json: bool = False
) -> dict:
    k = k or settings.top_k
    from ..indexing.embedders import embedder_from
    from ..session import Session

    gold = Path(gold)
    if not gold.exists():
        raise FileNotFoundError(f"gold set {gold} does not exist")
    embedder = embedder_from(settings)
    report: dict = {"gold": str(gold), "k": k, "stores": {}}
    with tempfile.TemporaryDirectory(prefix="rag-stores-") as tmp:
        if gold.is_dir():
            external = load_external_set(gold)
            items, docs_dir = external.items, Path(tmp) / "docs"
            write_documents(external.documents, docs_dir)
            answers = False
        else:
            items, docs_dir = load_gold(gold), Path(settings.docs_dir)
        outcomes = {}
        first_index: Path | None = None
        for kind in kinds:
            index = Path(tmp) / kind / "index"
            if first_index is not None:
                shutil.copytree(first_index, index, ignore=shutil.ignore_patterns("milvus.db", ".lock"))
            s = settings.with_(
                docs_dir=docs_dir,
                index_dir=index,
                store=kind,
                milvus_uri=str(Path(tmp) / kind / "milvus.db") if kind == "milvus" else "",
            )
            session = Session(s, embedder=embedder)
            build = session.build(allow_large=True)
            first_index = first_index or index
            retriever = session.retriever()
            metrics, _ = evaluate_retrieval(lambda q, n: [h.text for h in retriever.search(q, n)], items, k)
            entry = {
                "store": retriever.data.engine.describe(),
                "embedded": build.embedded,
                "clauses": build.clauses,
                **metrics,
            }
            if answers:
                outcomes[kind] = evaluate_answers(session, items, s.llm, k)
            report["stores"][kind] = entry
            retriever.data.engine.close()
    base = kinds[0]
    for kind in kinds[1:]:
        a, b = report["stores"][base], report["stores"][kind]
        report["stores"][kind]["delta"] = {
            m: b[m] - a[m] for m in ("recall@1", "recall@3", "recall@5", "mrr") if m in a
        }
        if answers:
            same = [
                x.item.question
                for x, y in zip(outcomes[base], outcomes[kind])
                if (x.refused, x.body, x.cited_labels) == (y.refused, y.body, y.cited_labels)
            ]
            report["stores"][kind]["answers_identical"] = len(same)
            report["stores"][kind]["answers_different"] = [
                x.item.question for x in outcomes[base] if x.item.question not in same
            ]
            report["answers"] = len(outcomes[base])
    print(json.dumps(report, ensure_ascii=False, indent=1) if as_json else format_comparison(report))
    return report


def format_comparison(report: dict) -> str:
    lines = [
        f"gold {report['gold']}, k = {report['k']}",
        f"  {'store':8} {'recall@1':>9} {'recall@3':>9} {'recall@5':>9} {'MRR':>7} {'ms/query':>9}  engine",
    ]
    for kind, m in report["stores"].items():
        lines.append(
            f"  {kind:8} {m.get('recall@1', 0):9.3f} {m.get('recall@3', 0):9.3f} {m.get('recall@5', 0):9.3f} "
            f"{m['mrr']:7.3f} {m['latency_ms_mean']:9.1f}  {m['store']} (embedded {m['embedded']})"
        )
        if "delta" in m:
            lines.append("           difference: " + ", ".join(f"{key} {v:+.3f}" for key, v in m["delta"].items()))
        if "answers_identical" in m:
            lines.append(
                f"           answers identical to {next(iter(report['stores']))}: "
                f"{m['answers_identical']}/{report['answers']}"
            )
            lines += [f"             differs: {q}" for q in m["answers_different"]]
    return "\n".join(lines)
