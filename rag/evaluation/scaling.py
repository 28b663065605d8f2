"""How index and query cost grow with the corpus: synthetic corpora of 10k / 100k / 1M clauses whose vectors
are perturbed copies of real clause vectors and whose keyword texts recombine real clause tokens.

Measured per size: FAISS flat (the exact reference), the FAISS store's own dense index (flat up to
`IVF_MIN_CLAUSES`, IVF above), HNSW (tried, rejected: low recall on these clustered vectors), BM25 (bm25s) and
Milvus Lite (HNSW + BM25/jieba, hybrid search with RRF), each with build time, query p50/p95, recall@10 against
flat, memory and, for Milvus, disk. Queries ask for the top `POOL` as retrieval does."""

from __future__ import annotations

import gc
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .memory import rss_mb

# Candidates a query asks each ranking for (the retriever's pool) and the depth recall is measured at.
POOL = 100
RECALL_AT = 10


@dataclass
class Timing:
    """One index at one size."""

    build_s: float
    p50_ms: float
    p95_ms: float
    recall_at_10: float | None = None
    mb: float | None = None
    disk_mb: float | None = None
    note: str = ""


@dataclass
class ScalePoint:
    clauses: int
    embed_seconds_estimate: float  # what embedding this many real clauses would cost, from the measured rate
    flat: Timing
    store: Timing | None = None  # the FAISS store's dense index at this size
    hnsw: Timing | None = None
    bm25: Timing | None = None
    milvus: Timing | None = None
    milvus_dense_p50_ms: float | None = None


def synthetic_vectors(base: np.ndarray, n: int, rng: np.random.Generator, noise: float = 0.35) -> np.ndarray:
    """n unit vectors near randomly chosen real ones (perturbed copies)."""
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    step = 100_000
    for i in range(0, n, step):
        m = min(step, n - i)
        picked = base[rng.integers(0, len(base), m)]
        block = picked + rng.normal(0, noise / np.sqrt(base.shape[1]), picked.shape).astype(np.float32)
        out[i : i + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def synthetic_token_lists(base: list[list[str]], n: int, rng: np.random.Generator) -> list[list[str]]:
    """n token lists mixing two real clauses' tokens plus a few synthetic rare words, so the vocabulary grows."""
    out = []
    for i in range(n):
        a, b = base[rng.integers(0, len(base))], base[rng.integers(0, len(base))]
        toks = a[: len(a) // 2] + b[len(b) // 2 :] + [f"w{rng.integers(0, max(1000, n // 10))}" for _ in range(3)]
        out.append(toks)
    return out


def latencies(fn, queries) -> tuple[float, float]:
    """p50 and p95 milliseconds of fn over the queries."""
    times = []
    for q in queries:
        started = time.perf_counter()
        fn(q)
        times.append(1000 * (time.perf_counter() - started))
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def recall(exact: np.ndarray, found: list[list[int]]) -> float:
    return float(np.mean([len(set(e[:RECALL_AT]) & set(f[:RECALL_AT])) / RECALL_AT for e, f in zip(exact, found)]))


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2**20


def measure_point(  # noqa: PLR0913 (known debt, issue 30)
    n: int,
    base_vectors: np.ndarray,
    base_tokens: list[list[str]],
    query_vectors: np.ndarray,
    query_tokens: list[list[str]],
    chars_per_clause: float,
    chars_per_second: float,
    milvus: bool = True,
    hnsw: bool = True,
    seed: int = 7,
) -> ScalePoint:
    import faiss

    from ..indexing.engines.faiss_store import dense_index, dense_kind

    rng = np.random.default_rng(seed)
    vectors = synthetic_vectors(base_vectors, n, rng)
    ids = np.arange(n, dtype=np.int64)
    dim = vectors.shape[1]

    t = time.perf_counter()
    flat: Any = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))  # set to None once measured, to free it
    flat.add_with_ids(vectors, ids)
    flat_build = time.perf_counter() - t
    p50, p95 = latencies(lambda q: flat.search(q.reshape(1, -1), POOL), query_vectors)
    _, exact = flat.search(query_vectors, RECALL_AT)
    point = ScalePoint(
        n, n * chars_per_clause / chars_per_second, Timing(flat_build, p50, p95, 1.0, vectors.nbytes / 2**20)
    )
    flat = None  # freed before the next index is built
    gc.collect()

    t = time.perf_counter()
    store = dense_index(vectors, ids)
    build = time.perf_counter() - t
    p50, p95 = latencies(lambda q: store.search(q.reshape(1, -1), POOL), query_vectors)
    _, found = store.search(query_vectors, RECALL_AT)
    point.store = Timing(
        build, p50, p95, recall(exact, found.tolist()), (vectors.nbytes + n * 16) / 2**20, note=dense_kind(store)
    )
    store = None
    gc.collect()

    if hnsw:
        from ..indexing.engines.milvus_client import MILVUS_HNSW_EF_SEARCH, MILVUS_HNSW_M

        t = time.perf_counter()
        graph = faiss.IndexHNSWFlat(dim, MILVUS_HNSW_M, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efSearch = MILVUS_HNSW_EF_SEARCH
        graph.add(vectors)
        build = time.perf_counter() - t
        p50, p95 = latencies(lambda q: graph.search(q.reshape(1, -1), POOL), query_vectors)
        _, found = graph.search(query_vectors, RECALL_AT)
        point.hnsw = Timing(
            build,
            p50,
            p95,
            recall(exact, found.tolist()),
            (vectors.nbytes + n * MILVUS_HNSW_M * 2 * 4) / 2**20,
            note=f"M {MILVUS_HNSW_M}, efSearch {MILVUS_HNSW_EF_SEARCH}",
        )
        del graph
        gc.collect()

    corpus = synthetic_token_lists(base_tokens, n, rng)
    point.bm25 = measure_bm25(corpus, query_tokens)
    if milvus:
        point.milvus, point.milvus_dense_p50_ms = measure_milvus(vectors, corpus, query_vectors, query_tokens, exact)
    del corpus, vectors
    gc.collect()
    return point


def measure_bm25(corpus: list[list[str]], query_tokens: list[list[str]]) -> Timing:
    import bm25s

    t = time.perf_counter()
    bm25 = bm25s.BM25()
    bm25.index(corpus, show_progress=False)
    build = time.perf_counter() - t
    p50, p95 = latencies(lambda q: bm25.retrieve([q], k=POOL, show_progress=False, n_threads=1), query_tokens)
    mb = sum(arr.nbytes for arr in bm25.scores.values() if hasattr(arr, "nbytes")) / 2**20
    return Timing(build, p50, p95, mb=mb)


def measure_milvus(
    vectors: np.ndarray,
    corpus: list[list[str]],
    query_vectors: np.ndarray,
    query_tokens: list[list[str]],
    exact: np.ndarray,
) -> tuple[Timing, float]:
    """Milvus Lite, embedded: a collection as the Milvus store writes it (HNSW + BM25 over jieba), hybrid
    queries with RRF as the retriever sends them, and dense-only queries for recall@10 against flat."""
    from pymilvus import AnnSearchRequest, RRFRanker

    from ..indexing.engines.milvus_client import MILVUS_HNSW_EF_SEARCH, collection_schema, connect, index_params
    from ..indexing.engines.milvus_store import INSERT_BATCH
    from ..indexing.engines.fusion import RRF_K

    folder = Path(tempfile.mkdtemp(prefix="rag-milvus-scale-"))
    try:
        before = rss_mb()
        client = connect(str(folder / "scale.db"))
        t = time.perf_counter()
        client.create_collection(
            "scale",
            schema=collection_schema(client, vectors.shape[1]),
            index_params=index_params(client),
            consistency_level="Strong",
        )
        for i in range(0, len(vectors), INSERT_BATCH):
            block = vectors[i : i + INSERT_BATCH]
            client.insert(
                "scale",
                [
                    {
                        "vid": i + j,
                        "doc": "synthetic",
                        "hash": "",
                        "vector": v.tolist(),
                        "text": " ".join(corpus[i + j]),
                    }
                    for j, v in enumerate(block)
                ],
            )
        client.flush("scale")
        client.load_collection("scale")
        build = time.perf_counter() - t
        params = {"metric_type": "IP", "params": {"ef": max(POOL, MILVUS_HNSW_EF_SEARCH)}}

        def hybrid(pair):
            q, words = pair
            requests = [
                AnnSearchRequest([q.tolist()], "vector", params, limit=POOL),
                AnnSearchRequest([" ".join(words)], "sparse", {"metric_type": "BM25"}, limit=POOL),
            ]
            return client.hybrid_search(
                "scale", requests, RRFRanker(RRF_K), limit=RECALL_AT, output_fields=["vid", "vector"]
            )

        def dense(q):
            return client.search(
                "scale", [q.tolist()], anns_field="vector", search_params=params, limit=POOL, output_fields=["vid"]
            )

        pairs = list(zip(query_vectors, query_tokens))
        hybrid(pairs[0])  # the first query loads segment indexes
        p50, p95 = latencies(hybrid, pairs)
        dense_p50, _ = latencies(dense, query_vectors)
        found = [[int(h["entity"]["vid"]) for h in dense(q)[0]] for q in query_vectors]
        timing = Timing(
            build,
            p50,
            p95,
            recall(exact, found),
            rss_mb() - before,
            folder_mb(folder),
            note="Milvus Lite, hybrid (HNSW + BM25/jieba, RRF)",
        )
        client.drop_collection("scale")
        client.close()
        return timing, dense_p50
    finally:
        shutil.rmtree(folder, ignore_errors=True)
