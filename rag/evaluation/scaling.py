"""How index and query cost grow with the corpus: synthetic corpora of 10k / 100k / 1M clauses whose
vectors are perturbed copies of real clause vectors and whose keyword texts recombine real clause tokens.
FAISS flat is compared with an approximate IVF index (recall kept against flat)."""
from __future__ import annotations

import gc
import time
from dataclasses import dataclass

import numpy as np


@dataclass
class ScalePoint:
    clauses: int
    embed_seconds_estimate: float  # what embedding this many real clauses would cost, from the measured rate
    flat_build_s: float
    flat_query_ms: float
    flat_mb: float
    bm25_build_s: float
    bm25_query_ms: float
    bm25_mb: float
    ivf_build_s: float | None = None
    ivf_query_ms: float | None = None
    ivf_recall_at_10: float | None = None
    ivf_mb: float | None = None
    hnsw_build_s: float | None = None
    hnsw_query_ms: float | None = None
    hnsw_p95_ms: float | None = None
    hnsw_recall_at_10: float | None = None
    hnsw_mb: float | None = None


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


def _time_queries(fn, queries, repeats: int = 1) -> float:
    started = time.perf_counter()
    for _ in range(repeats):
        for q in queries:
            fn(q)
    return 1000 * (time.perf_counter() - started) / (len(queries) * repeats)


def measure_point(n: int, base_vectors: np.ndarray, base_tokens: list[list[str]], query_vectors: np.ndarray,
                  query_tokens: list[list[str]], chars_per_clause: float, chars_per_second: float,
                  approximate: bool, seed: int = 7) -> ScalePoint:
    import bm25s
    import faiss

    rng = np.random.default_rng(seed)
    vectors = synthetic_vectors(base_vectors, n, rng)
    dim = vectors.shape[1]

    t = time.perf_counter()
    flat = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    flat.add_with_ids(vectors, np.arange(n, dtype=np.int64))
    flat_build = time.perf_counter() - t
    flat_query = _time_queries(lambda q: flat.search(q.reshape(1, -1), 10), query_vectors)
    point = ScalePoint(n, n * chars_per_clause / chars_per_second, flat_build, flat_query, vectors.nbytes / 2**20,
                       0.0, 0.0, 0.0)

    if approximate:
        nlist = int(4 * np.sqrt(n))
        t = time.perf_counter()
        quantizer = faiss.IndexFlatIP(dim)
        ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        ivf.train(vectors[rng.choice(n, min(n, 40 * nlist), replace=False)])
        ivf.add(vectors)
        ivf.nprobe = 16
        point.ivf_build_s = time.perf_counter() - t
        point.ivf_query_ms = _time_queries(lambda q: ivf.search(q.reshape(1, -1), 10), query_vectors)
        _, exact = flat.search(query_vectors, 10)
        _, approx = ivf.search(query_vectors, 10)
        point.ivf_recall_at_10 = float(np.mean([len(set(e) & set(a)) / 10 for e, a in zip(exact, approx)]))
        point.ivf_mb = (vectors.nbytes + nlist * dim * 4 + n * 8) / 2**20
        del ivf, quantizer
        gc.collect()
        measure_hnsw(point, vectors, query_vectors, exact)
    del flat, vectors
    gc.collect()

    corpus = synthetic_token_lists(base_tokens, n, rng)
    t = time.perf_counter()
    bm25 = bm25s.BM25()
    bm25.index(corpus, show_progress=False)
    point.bm25_build_s = time.perf_counter() - t
    point.bm25_query_ms = _time_queries(lambda q: bm25.retrieve([q], k=10, show_progress=False, n_threads=1),
                                        query_tokens)
    point.bm25_mb = sum(arr.nbytes for arr in bm25.scores.values() if hasattr(arr, "nbytes")) / 2**20
    del bm25, corpus
    gc.collect()
    return point


def measure_hnsw(point: ScalePoint, vectors: np.ndarray, query_vectors: np.ndarray, exact: np.ndarray) -> None:
    """The store's own large-corpus index (indexing.store.new_dense_index above HNSW_MIN_CLAUSES): build time,
    query p50/p95 and recall@10 against flat."""
    from ..indexing.store import HNSW_M, HNSW_MIN_CLAUSES, new_dense_index

    n = len(vectors)
    t = time.perf_counter()
    hnsw = new_dense_index(vectors.shape[1], max(n, HNSW_MIN_CLAUSES + 1))
    hnsw.add_with_ids(vectors, np.arange(n, dtype=np.int64))
    point.hnsw_build_s = time.perf_counter() - t
    times = []
    for q in query_vectors:
        started = time.perf_counter()
        hnsw.search(q.reshape(1, -1), 10)
        times.append(1000 * (time.perf_counter() - started))
    point.hnsw_query_ms = float(np.percentile(times, 50))
    point.hnsw_p95_ms = float(np.percentile(times, 95))
    _, approx = hnsw.search(query_vectors, 10)
    point.hnsw_recall_at_10 = float(np.mean([len(set(e) & set(a)) / 10 for e, a in zip(exact, approx)]))
    point.hnsw_mb = (vectors.nbytes + n * HNSW_M * 2 * 4 + n * 8) / 2**20  # vectors + graph links + id map
    del hnsw
    gc.collect()


def plot(points: list[ScalePoint], path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ns = [p.clauses for p in points]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.plot(ns, [p.flat_query_ms for p in points], "o-", label="dense, FAISS flat")
    ivf = [(p.clauses, p.ivf_query_ms) for p in points if p.ivf_query_ms is not None]
    if ivf:
        left.plot([a for a, _ in ivf], [b for _, b in ivf], "s-", label="dense, FAISS IVF (nprobe 16)")
    hnsw = [(p.clauses, p.hnsw_query_ms) for p in points if p.hnsw_query_ms is not None]
    if hnsw:
        left.plot([a for a, _ in hnsw], [b for _, b in hnsw], "D-", label="dense, FAISS HNSW (the store above 50k)")
    left.plot(ns, [p.bm25_query_ms for p in points], "^-", label="BM25 (bm25s)")
    left.set(xscale="log", yscale="log", xlabel="clauses", ylabel="ms per query", title="Query latency")
    left.legend()
    right.plot(ns, [p.flat_build_s for p in points], "o-", label="FAISS flat add")
    if ivf:
        right.plot([p.clauses for p in points if p.ivf_build_s is not None],
                   [p.ivf_build_s for p in points if p.ivf_build_s is not None], "s-", label="FAISS IVF train+add")
    right.plot(ns, [p.bm25_build_s for p in points], "^-", label="BM25 index")
    right.plot(ns, [p.embed_seconds_estimate for p in points], "x--", label="embedding (measured rate)")
    right.set(xscale="log", yscale="log", xlabel="clauses", ylabel="seconds", title="Index build")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
