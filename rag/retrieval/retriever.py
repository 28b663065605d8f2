"""Hybrid retrieval: dense + BM25 over jieba tokens, merged by reciprocal rank fusion (in the store), then reranked."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from ..query.intents import INTERROGATIVE
from ..indexing.embedders import Embedder
from ..indexing.engines import StoreConfig
from ..indexing.store import IndexData, load_index
from ..text.normalize import for_search
from ..text.tokens import PLACE_ORG_FLAGS, named_entities
from ..types import Clause, Hit, SearchFilter
from .corpus_facts import CorpusFacts
from .rerank import RERANK_POOL, rerank

# Fused scores are compared at this precision and ties go to the lower clause id, so every store orders the
# same candidates the same way (Milvus computes RRF in float32, FAISS's path in float64).
FUSED_DIGITS = 6
# Question vectors kept for reuse (retrieval computes one; the answer's sentence choice reads it again).
QUERY_CACHE = 64


class Retriever:
    """Loaded index plus embedder; `search` returns ranked Hits.

    >>> r = Retriever.open(Path("index"), make_embedder("e5"))  # doctest: +SKIP
    >>> r.search("唐山对新认定的高新技术企业奖励多少？", k=3)[0].label  # doctest: +SKIP
    """

    def __init__(self, data: IndexData, embedder: Embedder, pool: int = 100) -> None:
        self.data = data
        self.embedder = embedder
        self.pool = pool
        self._by_vid = data.by_vid()
        self.last_timings: dict[str, float] = {}
        self.facts = CorpusFacts(data)
        self._vectors: dict[str, np.ndarray] = {}
        self._vectors_lock = threading.Lock()
        self._vid_of = {sc.clause.id: sc.vid for sc in data.clauses}
        self._sections: dict[str, list[Clause]] | None = None
        self._doc_vids: dict[str, tuple] | None = None

    @classmethod
    def open(cls, index_dir: Path, embedder: Embedder, store: StoreConfig = StoreConfig()) -> "Retriever":
        return cls(load_index(index_dir, embedder, store), embedder)

    @property
    def generation(self) -> str:
        return self.data.generation

    def unknown_entities(self, question: str) -> list[str]:
        """Named places, organisations and proper nouns of the question that no indexed clause mentions
        ("杭州市" when only Tianjin and Tangshan documents are indexed)."""
        return [
            e
            for e in named_entities(question, PLACE_ORG_FLAGS)
            if not INTERROGATIVE.search(e)
            and not self.facts.in_corpus(e, abbreviations=False)
            and not self._overlaps_known_place(question, e)
        ]

    def _overlaps_known_place(self, question: str, entity: str) -> bool:
        """The entity is a segmentation artefact: it shares characters with a place the documents are about
        ("静海战新产业" read as 静/海战/…: 海战 overlaps 静海)."""
        text = for_search(question)
        start = text.find(entity)
        if start < 0:
            return False
        end = start + len(entity)
        for place in self.facts.jurisdictions:
            at = text.find(place)
            while at >= 0:
                if at < end and start < at + len(place) and not (start <= at and at + len(place) <= end):
                    return True
                at = text.find(place, at + 1)
        return False

    def query_vector(self, question: str) -> np.ndarray:
        """The question's vector (the last few are kept: the answer reuses the one retrieval computed)."""
        key = for_search(question)
        vector = self._vectors.get(key)
        if vector is None:
            vector = self.embedder.embed_query(key).reshape(-1).astype(np.float32)
            with self._vectors_lock:
                while len(self._vectors) >= QUERY_CACHE:
                    self._vectors.pop(next(iter(self._vectors)))
                self._vectors[key] = vector
        return vector

    def sentence_meaning(self, question: str, hit: Hit) -> dict[str, float]:
        """Cosine of the question with each of the clause's sentences ({} when the index has no sentence
        vectors): which sentences answer it by meaning."""
        vid = self._vid_of.get(hit.id)
        found = self.data.sentences.for_clause(vid) if self.data.sentences is not None and vid is not None else None
        if not found or not len(found[0]):
            return {}
        sentences, vectors = found
        query = self.query_vector(question)
        if vectors.shape[1] != len(query):
            return {}
        return dict(zip(sentences, (vectors @ query).tolist()))

    def allowed(self, filters: SearchFilter | None) -> frozenset[int] | None:
        """Clause ids of the documents the filter admits (None: no filter)."""
        if not filters:
            return None
        if self._doc_vids is None:  # each document's facts (attached to its clauses at load) and clause ids, once
            grouped: dict[str, tuple] = {}
            for sc in self.data.clauses:
                grouped.setdefault(sc.clause.doc, (sc.clause.facts, []))[1].append(sc.vid)
            self._doc_vids = grouped
        return frozenset(v for facts, vids in self._doc_vids.values() if filters.matches(facts) for v in vids)

    def search(self, question: str, k: int, filters: SearchFilter | None = None) -> list[Hit]:
        """The best k clauses; with `filters`, only from the documents it admits (applied inside the engine's
        search, never after it: an empty admitted set gives no hits)."""
        t0 = time.perf_counter()
        allowed = self.allowed(filters)
        if allowed is not None and not allowed:
            return []
        query = self.query_vector(question)
        t1 = time.perf_counter()
        ranking = self.data.engine.search(query, question, self.pool, max(k, RERANK_POOL), allowed)
        t2 = time.perf_counter()
        fused = sorted(
            ((v, round(score, FUSED_DIGITS)) for v, score in ranking.fused if v in self._by_vid),
            key=lambda pair: (-pair[1], pair[0]),
        )
        hits = [
            Hit(
                self._by_vid[v].clause,
                score=score,
                dense=ranking.dense.get(v, 0.0),
                keyword=ranking.keyword.get(v, 0.0),
            )
            for v, score in fused
        ]
        hits = rerank(question, hits, self.facts)[:k]
        self.last_timings = {
            "embed": t1 - t0,
            "search": t2 - t1,
            "rerank": time.perf_counter() - t2,
            "total": time.perf_counter() - t0,
        }
        return hits

    def _by_document(self) -> dict[str, list[Clause]]:
        """Each document's clauses in document order (made on first use)."""
        if self._sections is None:
            grouped: dict[str, list[Clause]] = {}
            for sc in self.data.clauses:
                grouped.setdefault(sc.clause.doc, []).append(sc.clause)
            self._sections = {d: sorted(cs, key=lambda c: (c.start, c.part)) for d, cs in grouped.items()}
        return self._sections

    def section(self, doc: str, prefix: tuple[str, ...]) -> list[Clause]:
        """The clauses of a document under a heading path prefix, in document order."""
        return [c for c in self._by_document().get(doc, []) if c.path[: len(prefix)] == prefix]

    def first_clauses(self) -> list[Clause]:
        """Each document's first clause (it carries the document's title and facts), in index order."""
        return [cs[0] for cs in self._by_document().values() if cs]

    def document_texts(self) -> dict[str, str]:
        """Original text of every indexed document, by file name (for the page's context view)."""
        return {name: d.get("text", "") for name, d in self.data.documents.items()}
