"""The typed records between the build's stages (build.py): its inputs (`BuildJob`), what scanning the folder
found (`Scanned`) and what is to be embedded or reused (`Planned`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..ingest.analysis import Analysis
from ..ingest.limits import Limits
from .embedder_base import Embedder
from .runner import PassageRunner, Progress
from .store import StoredClause


@dataclass
class BuildJob:
    """One build's inputs: the folder and what scanning it found, the previous generation (None: a full build),
    the embedding and the store, the limits."""

    docs_dir: Path
    index_dir: Path
    files: list[Path]
    not_read: list[tuple[str, str]]
    old: Any  # the previous generation (store.IndexData) or None
    full: bool
    embedder: Embedder
    runner: PassageRunner
    target: Any  # the store the new generation is written to
    progress: Progress | None
    limits: Limits
    max_chars: int
    allow_large: bool
    sentence_vectors: bool
    started: float
    hold: frozenset[str] = frozenset()  # names not read now (still being written): kept as they were, or skipped


@dataclass
class Scanned:
    """What reading the folder found: clauses kept from the previous generation, the documents analysed anew,
    each document's manifest record and stored text and facts, and what was added, changed, removed or skipped."""

    kept: list[StoredClause] = field(default_factory=list)
    fresh: list[Analysis] = field(default_factory=list)
    doc_records: dict[str, dict] = field(default_factory=dict)
    documents_json: dict[str, dict] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    skipped_hashes: dict[str, str] = field(default_factory=dict)


@dataclass
class Planned:
    """The fresh documents' clauses with their vector ids, split into those to embed and those whose vectors
    are reused by content hash from the previous generation."""

    new_clauses: list[StoredClause]
    to_embed: list[StoredClause]
    reuse: list[StoredClause]
    old_vid_by_hash: dict[str, int]
