"""What a build reports and what the index holds."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .documents import Document


@dataclass(frozen=True)
class LoadReport:
    documents: tuple[Document, ...]
    skipped: tuple[tuple[str, str], ...]  # (file name, reason)


@dataclass(frozen=True)
class BuildReport:
    """What a build did."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    documents: int = 0
    clauses: int = 0
    embedded: int = 0  # clauses whose vectors were computed in this build
    reused: int = 0  # clauses whose vectors were reused by content hash
    characters_embedded: int = 0
    seconds: float = 0.0
    full: bool = False
    index_dir: str = ""
    standing: tuple[str, ...] = ()  # documents whose standing this build changed, or claims it did not apply
    warnings: tuple[str, ...] = ()  # e.g. a documents.toml table naming no document

    def summary(self) -> str:
        return (
            f"{self.documents} documents, {self.clauses} clauses: added {len(self.added)}, changed {len(self.changed)}, "
            f"removed {len(self.removed)}, unchanged {len(self.unchanged)}, skipped {len(self.skipped)}; "
            f"embedded {self.embedded} clauses ({self.characters_embedded} chars), reused {self.reused}; "
            f"{self.seconds:.1f} s"
        )

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class IndexStatus:
    """The live index compared with the documents on disk."""

    index_dir: str
    exists: bool
    fresh: bool
    documents: int = 0
    clauses: int = 0
    embedder: str = ""
    dim: int = 0
    built_at: str = ""
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    per_document: dict = field(default_factory=dict)
    store: str = ""  # where the live generation's vectors and keywords are ("faiss (flat) + bm25s", "milvus (…)")
    configured_store: str = "faiss"  # what the settings name (RAG_STORE); the next build writes there
    space: str = ""  # the vector space of the index's vectors (embedder weights, "+int8-v…" for int8 ones)
    configured_space: str = ""  # the configured embedder's (RAG_EMBEDDER, RAG_PRECISION); "" when not known

    def summary(self) -> str:
        if not self.exists:
            return f"no index in {self.index_dir} (store {self.configured_store}): run `python -m rag build`"
        state = (
            "fresh"
            if self.fresh
            else (
                f"STALE (added {len(self.added)}, changed {len(self.changed)}, removed {len(self.removed)}: "
                "run `python -m rag build`)"
            )
        )
        moved = (
            ""
            if self.store.startswith(self.configured_store)
            else f" (RAG_STORE={self.configured_store}: the next build moves it there)"
        )
        other = (
            f" (the configured embedder's vectors are {self.configured_space}: the next build or question rebuilds "
            "the index in full)"
            if self.configured_space and self.configured_space != self.space
            else ""
        )
        return (
            f"{self.documents} documents, {self.clauses} clauses, embedder {self.embedder} (dim {self.dim}, "
            f"space {self.space}){other}, store {self.store}{moved}, built {self.built_at}, {state}"
        )

    def to_dict(self) -> dict:
        return asdict(self)
