"""FAISS (ID-mapped, inner product on normalised vectors) + BM25 (bm25s over jieba tokens), as files in the
generation's folder: `dense.faiss` and `bm25/`. Fusion is done here, in Python (RRF, k = RRF_K)."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import numpy as np

from ...errors import IndexProblem
from .fusion import rrf
from ...text.tokens import TOKENIZER_VERSION, tokens
from ..records import StoredClause
from .base import Ranking, SearchEngine, Store

log = logging.getLogger(__name__)

# Up to this many clauses the dense index is exact (flat); above it, IVF. Flat search grows linearly with the
# corpus (2-core EPYC, top 100: 7.8 ms at 100k synthetic clauses, 68 ms at 1M). HNSW was tried and rejected:
# recall@10 against flat 0.78 (efSearch 128) to 0.94 (efSearch 1024) at 100k. Figures: docs/scaling.md.
IVF_MIN_CLAUSES = 50_000
# Inverted lists per clause count (nlist = IVF_LISTS_PER_ROOT * sqrt(n)) and lists probed per query: at 1M,
# nlist 4,096 and nprobe 128 kept recall@10 0.990 of flat at 3.1 ms p50 (nprobe 64: 0.965, 1.6 ms).
IVF_LISTS_PER_ROOT = 4
IVF_NPROBE = 128
# Training points per list (k-means); FAISS warns below 39.
IVF_TRAIN_PER_LIST = 40


def dense_index(vectors: np.ndarray, vids: np.ndarray, seed: int = 7):
    """Inner-product FAISS index with an ID map holding the vectors: exact up to IVF_MIN_CLAUSES, IVF above.
    Either way the vectors stay stored, so the next build reconstructs and reuses them."""
    import faiss

    n, dim = vectors.shape
    if n <= IVF_MIN_CLAUSES:
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    else:
        nlist = int(IVF_LISTS_PER_ROOT * np.sqrt(n))
        ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        sample = np.random.default_rng(seed).choice(n, min(n, IVF_TRAIN_PER_LIST * nlist), replace=False)
        ivf.train(vectors[np.sort(sample)])
        ivf.nprobe = IVF_NPROBE
        ivf.make_direct_map()
        index = faiss.IndexIDMap2(ivf)
    if n:
        index.add_with_ids(vectors, vids.astype(np.int64))
    return index


def reconstruct(dense, vids: list[int]) -> np.ndarray:
    """Stored vectors by id."""
    return np.vstack([dense.reconstruct(int(v)) for v in vids]) if vids else np.zeros((0, dense.d), np.float32)


def keyword_index(clauses):
    """A BM25 index over the clauses' search text, in the given order."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    bm25 = bm25s.BM25()
    bm25.index([tokens(c.search_text()) or ["∅"] for c in clauses], show_progress=False)
    return bm25


def dense_kind(dense) -> str:
    import faiss

    inner = faiss.downcast_index(dense.index) if hasattr(dense, "index") else dense
    return f"ivf nprobe {inner.nprobe}" if isinstance(inner, faiss.IndexIVF) else "flat"


class FaissEngine(SearchEngine):
    """A loaded FAISS index and bm25s index; `bm25_order[i]` is the clause id of BM25 document i."""

    kind = "faiss"

    def __init__(self, dense, bm25, bm25_order: list[int]) -> None:
        self.dense = dense
        self.bm25 = bm25
        self.bm25_order = bm25_order

    def count(self) -> int:
        return int(self.dense.ntotal)

    def dense_ranking(
        self, query: np.ndarray, n: int, allowed: frozenset[int] | None = None
    ) -> tuple[list[int], dict[int, float]]:
        n = min(n, self.count() if allowed is None else len(allowed))
        if n <= 0:
            return [], {}
        if allowed is None:
            scores, ids = self.dense.search(query.reshape(1, -1), n)
        else:  # FAISS's ID selector: the index itself skips every other clause
            import faiss

            selector = faiss.IDSelectorBatch(np.fromiter(sorted(allowed), dtype=np.int64))
            inner = faiss.downcast_index(self.dense.index)
            # faiss's Python layer takes the parameters as keywords; its type stubs list only the C++ constructors
            params = (
                faiss.SearchParametersIVF(sel=selector, nprobe=inner.nprobe)  # type: ignore[call-arg]
                if isinstance(inner, faiss.IndexIVF)
                else faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
            )
            scores, ids = self.dense.search(query.reshape(1, -1), n, params=params)
        pairs = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        return [i for i, _ in pairs], dict(pairs)

    def keyword_ranking(
        self, text: str, n: int, allowed: frozenset[int] | None = None
    ) -> tuple[list[int], dict[int, float]]:
        words = tokens(text)
        if not words or self.bm25 is None:
            return [], {}
        n = min(n, len(self.bm25_order))
        mask = None
        if allowed is not None:  # bm25s's weight mask: other clauses score 0 and are dropped below
            mask = np.fromiter((v in allowed for v in self.bm25_order), dtype=np.float32, count=len(self.bm25_order))
        docs, scores = self.bm25.retrieve([words], k=n, show_progress=False, n_threads=1, weight_mask=mask)
        pairs = [(self.bm25_order[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
        return [v for v, _ in pairs], dict(pairs)

    def search(
        self, query: np.ndarray, text: str, pool: int, top: int, allowed: frozenset[int] | None = None
    ) -> Ranking:
        dense_ids, dense = self.dense_ranking(query, pool, allowed)
        keyword_ids, keyword = self.keyword_ranking(text, pool, allowed)
        fused = rrf([dense_ids, keyword_ids])
        best = sorted(fused, key=lambda v: (-fused[v], v))[:top]
        dense.update({v: float(self.dense.reconstruct(int(v)) @ query) for v in best if v not in dense})
        return Ranking([(v, fused[v]) for v in best], dense, keyword)

    def vectors(self, vids: list[int]) -> np.ndarray:
        return reconstruct(self.dense, vids)

    def word_counts(self) -> tuple[Counter, int]:
        if self.bm25 is None:
            return Counter(), max(1, len(self.bm25_order))
        indptr = self.bm25.scores["indptr"]
        counts = Counter(
            {w: int(indptr[i + 1] - indptr[i]) for w, i in self.bm25.vocab_dict.items() if i + 1 < len(indptr)}
        )
        return counts, max(1, int(self.bm25.scores["num_docs"]))

    def describe(self) -> str:
        return f"faiss ({dense_kind(self.dense)}, {self.count():,} vectors) + bm25s"


class FaissStore(Store):
    """Writes `dense.faiss` and `bm25/` into the generation folder."""

    kind = "faiss"

    def write(self, folder: Path, generation: str, clauses: list[StoredClause], vectors: np.ndarray) -> dict:
        import faiss

        dense = dense_index(vectors, np.array([sc.vid for sc in clauses], dtype=np.int64))
        faiss.write_index(dense, str(folder / "dense.faiss"))
        keyword_index([sc.clause for sc in clauses]).save(str(folder / "bm25"), show_progress=False)
        return {"kind": self.kind, "dense": dense_kind(dense), "bm25_order": [sc.vid for sc in clauses]}

    def open(self, folder: Path, manifest: dict, clauses: list[StoredClause]) -> FaissEngine:
        import bm25s
        import faiss

        entry = manifest.get("store") or {}
        order = entry.get("bm25_order") or manifest.get("bm25_order") or [sc.vid for sc in clauses]
        try:
            dense = faiss.read_index(str(folder / "dense.faiss"))
            bm25 = bm25s.BM25.load(str(folder / "bm25")) if (folder / "bm25").is_dir() else None
        except (OSError, RuntimeError, ValueError) as exc:
            raise IndexProblem(f"FAISS files of {folder.name} are unreadable ({exc})") from exc
        if manifest.get("tokenizer") != TOKENIZER_VERSION:
            # Built by an older tokenizer: query words would not meet the indexed ones. Re-index the keywords
            # in memory (about a second per 10k clauses); `python -m rag build --full` makes it permanent.
            log.warning("index %s has keyword tokens of another version; re-indexing them in memory", folder.name)
            position = {vid: i for i, vid in enumerate(order)}
            ordered = sorted(clauses, key=lambda c: position.get(c.vid, c.vid))
            bm25 = keyword_index([c.clause for c in ordered])
            order = [c.vid for c in ordered]
        return FaissEngine(dense, bm25, order)
