"""`python -m rag bench`: build, retrieval and answer speed on this machine, printed as figures."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

from ..config import Settings
from .bench_llm import percentile
from .memory import peak_rss_mb
from .gold import DEV_SET, OWN_QUESTIONS


def load_questions(path: Path | None) -> list[dict]:
    paths = [path] if path else [OWN_QUESTIONS, DEV_SET]
    out: list[dict] = []
    for p in paths:
        if p and p.is_file():
            out += [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def prompt_questions(path: Path | None) -> list:
    """Gold items for the prompt comparison: the given file, the dev set beside the repository, or the own set."""
    from .gold import load_gold

    return load_gold(path or (DEV_SET if DEV_SET.is_file() else OWN_QUESTIONS))


def bench_prompt_modes(
    settings: Settings, index: Path, path: Path | None, rows: Path | None, modes: list[str] | None = None
) -> dict:
    from ..config import PROMPT_MODES
    from .bench_prompts import bench_prompts, describe_prompts

    items = prompt_questions(path)
    figures = bench_prompts(settings, index, items, modes or PROMPT_MODES, rows_path=rows)
    print("\n".join(describe_prompts(figures)), flush=True)
    return figures


def bench_build(settings: Settings, work: Path) -> dict:
    """Full build of the seeds, then an incremental build after one document changed."""
    from ..indexing.build import build_index
    from ..indexing.embedders import embedder_from

    docs = work / "docs"
    shutil.copytree(settings.docs_dir, docs)
    embedder = embedder_from(settings)
    full = build_index(docs, work / "index", full=True, embedder=embedder)
    changed = sorted(docs.iterdir())[-1]
    text = changed.read_text(encoding="utf-8")
    changed.write_text(text.replace("。", "。（基准测试修改）", 1), encoding="utf-8")
    incremental = build_index(docs, work / "index", embedder=embedder)
    return {
        "documents": full.documents,
        "clauses": full.clauses,
        "full_seconds": full.seconds,
        "characters": full.characters_embedded,
        "chars_per_second": full.characters_embedded / full.seconds,
        "incremental_seconds": incremental.seconds,
        "incremental_embedded": incremental.embedded,
        "index": str(work / "index"),
        "docs": str(docs),
    }


def bench_retrieval(settings: Settings, index: Path, questions: list[dict], repeats: int = 3) -> dict:
    from ..indexing.embedders import embedder_from
    from ..retrieval.retriever import Retriever

    retriever = Retriever.open(index, embedder_from(settings))
    retriever.search("预热", settings.top_k)
    times = []
    for _ in range(repeats):
        for q in questions:
            t = time.perf_counter()
            retriever.search(q["question"], settings.top_k)
            times.append((time.perf_counter() - t) * 1000)
    return {"queries": len(times), "p50_ms": percentile(times, 0.5), "p95_ms": percentile(times, 0.95)}


def bench_answers(settings: Settings, index: Path, questions: list[dict], backend: str) -> dict:
    from ..session import Session

    answerer = Session(settings.with_(index_dir=index)).answerer(backend)
    firsts, totals = [], []
    for q in questions:
        final = list(answerer.stream(q["question"]))[-1]
        firsts.append(final.timings.first_token or 0.0)
        totals.append(final.timings.total or 0.0)
    return {
        "backend": backend,
        "questions": len(totals),
        "first_p50_s": percentile(firsts, 0.5),
        "total_p50_s": percentile(totals, 0.5),
        "total_p95_s": percentile(totals, 0.95),
    }


def bench_decision(settings: Settings, index: Path, questions: list[dict]) -> dict:
    """After retrieval: the checks' verdict (answerability.judge) and the learned chooser's pick, timed apart."""
    from ..answering.answerability import judge
    from ..answering.chooser import candidates, load_chooser, pick
    from ..session import Session

    retriever = Session(settings.with_(index_dir=index)).retriever()
    model = load_chooser()
    verdicts, choices = [], []
    for q in questions:
        hits = retriever.search(q["question"], settings.top_k)
        if not hits:
            continue
        t = time.perf_counter()
        verdict = judge(q["question"], hits, retriever.facts)
        t1 = time.perf_counter()
        if model is not None:
            pick(model, candidates(q["question"], hits, verdict, retriever.facts))
        t2 = time.perf_counter()
        verdicts.append(t1 - t)
        choices.append(t2 - t1)
    return {
        "questions": len(verdicts),
        **{
            f"{name}_p{round(100 * q)}_ms": 1000 * percentile(values, q)
            for name, values in (("judge", verdicts), ("chooser", choices))
            for q in (0.5, 0.95)
        },
    }


def bench_anchor(settings: Settings, index: Path, docs: Path, questions: list[dict]) -> dict:
    """Project vs llama-index defaults on the same documents and questions."""
    from ..indexing.embedders import embedder_from
    from ..retrieval.retriever import Retriever
    from .anchor import build_anchor, read_documents
    from .evaluate import evaluate_retrieval
    from .metrics import GoldItem

    items = [
        GoldItem(str(i), q["question"], tuple(q.get("quotes") or ()), q.get("type", ""))
        for i, q in enumerate(questions)
    ]
    embedder = embedder_from(settings)
    retriever = Retriever.open(index, embedder)
    ours, _ = evaluate_retrieval(lambda q, k: [h.text for h in retriever.search(q, k)], items, settings.top_k)
    anchor = build_anchor(read_documents(docs), embedder)
    theirs, _ = evaluate_retrieval(anchor.search, items, settings.top_k)
    theirs["build_seconds"] = anchor.build_seconds
    theirs["chunks"] = anchor.chunks
    return {"project": ours, "anchor": theirs}


def bench_scaling(
    settings: Settings,
    index: Path,
    questions: list[dict],
    sizes: list[int],
    chars_per_second: float,
    milvus_sizes: list[int] | None = None,
) -> list:
    import numpy as np

    from ..indexing.embedders import embedder_from
    from ..indexing.engines import StoreConfig
    from ..indexing.store import load_index
    from ..text.tokens import tokens
    from .scaling import measure_point
    from .scaling_report import describe_point

    data = load_index(index, store=StoreConfig.from_settings(settings))
    base_vectors = data.engine.vectors([c.vid for c in data.clauses])
    base_tokens = [tokens(c.clause.search_text()) for c in data.clauses]
    chars_per_clause = float(np.mean([len(c.clause.search_text()) for c in data.clauses]))
    embedder = embedder_from(settings)
    qtexts = [q["question"] for q in questions][:40]
    query_vectors = np.vstack([embedder.embed_query(q) for q in qtexts]).astype(np.float32)
    query_tokens = [tokens(q) for q in qtexts]
    milvus_sizes = sizes if milvus_sizes is None else milvus_sizes
    points = []
    for n in sizes:
        point = measure_point(
            n,
            base_vectors,
            base_tokens,
            query_vectors,
            query_tokens,
            chars_per_clause,
            chars_per_second,
            milvus=n in milvus_sizes,
        )
        points.append(point)
        print(describe_point(point), flush=True)
    return points


def run_bench(  # noqa: PLR0913 (known debt, issue 30)
    settings: Settings,
    llm_backends: list[str] | None = None,
    questions: Path | None = None,
    scales: list[int] | None = None,
    write: Path | None = None,
    milvus_scales: list[int] | None = None,
    only_scale: bool = False,
    prompts: list[str] | None = None,
    rows: Path | None = None,
    page: str | None = None,
    embedding: bool = False,
    ncp_builds: bool = True,
) -> dict:
    """Run the benchmarks and print the figures; returns them as a dict (and writes a report when asked)."""
    from .bench_llm import machine

    qs = load_questions(questions)
    results: dict = {"questions": len(qs), "machine": machine(settings)}
    with tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp:
        build = bench_build(settings, Path(tmp))
        results["build"] = build
        print(
            f"build (seeds): {build['documents']} documents, {build['clauses']} clauses, "
            f"full {build['full_seconds']:.1f} s ({build['chars_per_second']:.0f} chars/s embedded), "
            f"incremental after one changed document {build['incremental_seconds']:.2f} s "
            f"({build['incremental_embedded']} clause re-embedded)",
            flush=True,
        )
        index = Path(build["index"])
        results["retrieval"] = r = bench_retrieval(settings, index, qs)
        print(f"retrieval: {r['queries']} queries, p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms", flush=True)
        results["decision"] = d = bench_decision(settings, index, qs)
        print(
            f"after retrieval ({d['questions']} questions): checks p50 {d['judge_p50_ms']:.1f} ms, "
            f"p95 {d['judge_p95_ms']:.1f} ms; learned chooser p50 {d['chooser_p50_ms']:.1f} ms, "
            f"p95 {d['chooser_p95_ms']:.1f} ms",
            flush=True,
        )
        if page:
            from .bench_page import bench_page, describe_page

            answerable = [i for i in prompt_questions(questions) if i.quotes][:10]
            results["page"] = bench_page(index, Path(build["docs"]), answerable, page)
            print(describe_page(results["page"]), flush=True)
            return results
        if prompts is not None:  # --prompts alone: every prompt mode
            results["prompts"] = bench_prompt_modes(settings, index, questions, rows, prompts)
            return results
        if embedding:  # --scale: embedding speed and builds first, then the curves, then stop
            from .bench_embedding import bench_embedding

            results["embedding"] = bench_embedding(settings, index, Path(tmp), ncp_builds)
        if scales:  # before the anchor and the models: their threads were seen to skew FAISS timings
            results["scaling"] = bench_scaling(settings, index, qs, scales, build["chars_per_second"], milvus_scales)
        if only_scale or embedding:
            return results
        results["anchor"] = anc = bench_anchor(settings, index, Path(build["docs"]), qs)
        ours, theirs = anc["project"], anc["anchor"]
        print("project vs llama-index defaults (same embedder, same documents and questions):")
        for key, label in [
            ("recall@5", "recall@5"),
            ("mrr", "MRR"),
            ("context_chars", "context chars / query"),
            ("latency_ms_mean", "query latency ms"),
        ]:
            ratio = ours[key] / theirs[key] if theirs[key] else float("inf")
            print(f"  {label:24} project {ours[key]:9.3f}   anchor {theirs[key]:9.3f}   ratio {ratio:6.2f}")
        print(
            f"  {'build seconds':24} project {build['full_seconds']:9.1f}   anchor {theirs['build_seconds']:9.1f}   "
            f"ratio {build['full_seconds'] / theirs['build_seconds']:6.2f}",
            flush=True,
        )
        # Answer backends last, for the same reason.
        for backend in llm_backends or []:
            if backend == "local":
                from .bench_llm import bench_local_llm, describe

                results["local_llm"] = m = bench_local_llm(settings, index, qs)
                print("\n".join(describe(m)), flush=True)
            generative = [
                q for q in qs if q.get("type") in ("factoid", "list", "numeric", "numeric_target", "paraphrase")
            ]
            a = bench_answers(settings, index, qs if backend == "extractive" else generative[:10], backend)
            results[f"answer_{backend}"] = a
            print(
                f"answer ({backend}): {a['questions']} questions, first text p50 {a['first_p50_s']:.2f} s, "
                f"total p50 {a['total_p50_s']:.2f} s, p95 {a['total_p95_s']:.2f} s",
                flush=True,
            )
    results["peak_rss_mb"] = peak_rss_mb()
    print(f"peak memory (RSS): {results['peak_rss_mb']:.0f} MB")
    if write:
        from .bench_report import write_report

        write_report(results, Path(write))
        print(f"wrote {write}")
    return results
