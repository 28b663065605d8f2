"""The store interface: where a generation's vectors and keyword index live, and how they are searched.

A generation is always a folder under the index directory (manifest, clause records, original documents, see
`indexing.store`); the store holds what is searched: FAISS + bm25s files in that folder, or a Milvus collection.
Both rank the same way: dense top-`pool` and BM25 top-`pool` merged by reciprocal rank fusion (k = `RRF_K`).

>>> store = make_store(StoreConfig("faiss"), Path("index"))          # doctest: +SKIP
>>> entry = store.write(folder, "gen-1", clauses, vectors)             # doctest: +SKIP
>>> engine = store.open(folder, {**manifest, "store": entry}, clauses)   # doctest: +SKIP
>>> engine.search(query_vector, "静海区专利目标", pool=100, top=10).fused[:3]  # doctest: +SKIP
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...config import STORE_KINDS, Settings
from ..records import StoredClause


@dataclass(frozen=True)
class StoreConfig:
    """Which store a build writes to. `milvus_uri`: a file path is Milvus Lite (embedded), an http(s) URI a
    Milvus server or cluster (with `milvus_token`); empty means `<index dir>/milvus.db`."""

    kind: str = "faiss"
    milvus_uri: str = ""
    milvus_token: str = field(default="", repr=False)
    milvus_prefix: str = "policy_rag"

    @classmethod
    def from_settings(cls, settings: Settings) -> "StoreConfig":
        """The store the settings name (RAG_STORE, RAG_MILVUS_*)."""
        return cls(
            settings.store, settings.milvus_uri, settings.milvus_token.get_secret_value(), settings.milvus_collection
        )


@dataclass(frozen=True)
class Ranking:
    """One query's fused candidates, best first, with the dense cosine and keyword score of those known."""

    fused: list[tuple[int, float]]
    dense: dict[int, float] = field(default_factory=dict)
    keyword: dict[int, float] = field(default_factory=dict)


class SearchEngine(ABC):
    """One generation's search side, opened for reading."""

    kind: str = ""

    @abstractmethod
    def count(self) -> int:
        """Vectors stored."""

    @abstractmethod
    def search(
        self, query: np.ndarray, text: str, pool: int, top: int, allowed: frozenset[int] | None = None
    ) -> Ranking:
        """Dense top-`pool` and BM25 top-`pool` for the query vector and the question text, fused (RRF); the
        best `top`, each with its dense cosine (computed for clauses found by keywords only). `allowed` (clause ids)
        restricts both searches inside the engine: nothing outside it is returned."""

    @abstractmethod
    def vectors(self, vids: list[int]) -> np.ndarray:
        """Stored vectors by clause id, in the given order (the next build reuses them)."""

    @abstractmethod
    def word_counts(self) -> tuple[Counter, int]:
        """How many clauses each keyword token occurs in, and the number of clauses."""

    def describe(self) -> str:
        return self.kind

    def close(self) -> None:
        """Release connections (nothing to do for files)."""


class Store(ABC):
    """Writes generations of one kind and opens them."""

    kind: str = ""

    @abstractmethod
    def write(self, folder: Path, generation: str, clauses: list[StoredClause], vectors: np.ndarray) -> dict:
        """Index the clauses (vectors aligned with them) for a new generation whose folder is `folder` (not yet
        live); return the manifest's "store" entry."""

    @abstractmethod
    def open(self, folder: Path, manifest: dict, clauses: list[StoredClause]) -> SearchEngine:
        """Open a written generation (its folder, manifest and clause records) for searching."""

    def publish(self, generation: str, entry: dict) -> None:
        """Make the generation the engine's live one (an alias swap); called just before CURRENT switches."""

    def prune(self, keep: set[str]) -> None:
        """Drop what the engine holds for generations other than `keep` (folders are pruned by the caller)."""

    def describe(self) -> str:
        return self.kind


def check_kind(kind: str) -> str:
    if kind not in STORE_KINDS:
        raise ValueError(f"unknown store {kind!r}: expected one of {', '.join(STORE_KINDS)}")
    return kind
