"""The persisted index: generations written whole and switched atomically; the search side lives in a store
(`indexing.engines`: FAISS + bm25s files in the generation folder, or a Milvus collection).

Layout of the index folder::

    CURRENT              name of the live generation (replaced atomically)
    gen-<time>-<pid>/    manifest.json, clauses.jsonl, documents.json, and the store's files
                         (FAISS: dense.faiss, bm25/; Milvus: keyword_counts.json, the collection in Milvus)
    .lock                held while a build runs

A build writes a complete new generation (folder and, for Milvus, its own collection) and only then switches
CURRENT (and the Milvus alias), so a build killed half-way leaves the previous generation live and a reader
never sees a half-written index. No pickle anywhere: FAISS's own format, JSON, and Milvus.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import BuildLocked, EmbedderMismatch, IndexMissing, IndexProblem
from ..types import DocumentFacts
from .embedders import Embedder, vector_space
from .engines import SearchEngine, Store, StoreConfig, store_for_manifest
from .records import StoredClause, clause_from_json, clause_to_json
from .sentences import SentenceIndex

FORMAT_VERSION = 1


@dataclass
class IndexData:
    """Everything one generation holds, loaded in memory."""

    manifest: dict
    clauses: list[StoredClause]
    documents: dict[str, dict]  # name -> {"title", "text" (original), "sha256", "encoding"}
    engine: SearchEngine
    generation: str = ""
    sentences: SentenceIndex | None = None  # sentence vectors (None for an index built before them)

    def by_vid(self) -> dict[int, StoredClause]:
        return {c.vid: c for c in self.clauses}


def current_generation(index_dir: Path) -> Path | None:
    pointer = Path(index_dir) / "CURRENT"
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    gen = Path(index_dir) / name
    return gen if name and gen.is_dir() else None


def read_manifest(index_dir: Path) -> dict | None:
    gen = current_generation(index_dir)
    if gen is None:
        return None
    return json.loads((gen / "manifest.json").read_text(encoding="utf-8"))


def load_index(index_dir: Path, embedder: Embedder | None = None, store: StoreConfig = StoreConfig()) -> IndexData:
    """Load the live generation and open its store; raise IndexMissing / EmbedderMismatch with a reason."""
    gen = current_generation(index_dir)
    if gen is None:
        raise IndexMissing(f"no index in {index_dir}: run `python -m rag build` first")
    try:
        manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexProblem(
                f"index in {index_dir} has format {manifest.get('format')}, expected {FORMAT_VERSION}: rebuild with `python -m rag build --full`"
            )
        if embedder is not None and vector_space(manifest["embedder"]) != embedder.space:
            raise EmbedderMismatch(
                f"index in {index_dir} was built with embedder {manifest['embedder']['name']} "
                f"(dim {manifest['embedder']['dim']}) but {embedder.name} is configured: "
                "rebuild with `python -m rag build --full`"
            )
        with open(gen / "clauses.jsonl", encoding="utf-8") as fh:
            clauses = [clause_from_json(json.loads(line)) for line in fh if line.strip()]
        documents = json.loads((gen / "documents.json").read_text(encoding="utf-8"))
        clauses = _with_facts(clauses, documents)
        engine = store_for_manifest(manifest, store, Path(index_dir)).open(gen, manifest, clauses)
    except IndexProblem:
        raise
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise IndexProblem(
            f"index in {index_dir} is unreadable ({exc}): rebuild with `python -m rag build --full`"
        ) from exc
    return IndexData(manifest, clauses, documents, engine, gen.name, SentenceIndex.load(gen))


def _with_facts(clauses: list[StoredClause], documents: dict[str, dict]) -> list[StoredClause]:
    """Each clause with its document's facts attached (documents.json keeps them once per document)."""
    facts = {name: DocumentFacts.from_dict(d.get("facts")) for name, d in documents.items()}
    return [StoredClause(replace(sc.clause, facts=facts.get(sc.clause.doc)), sc.vid, sc.hash) for sc in clauses]


def write_generation(
    index_dir: Path,
    manifest: dict,
    clauses: list[StoredClause],
    documents: dict[str, dict],
    vectors: np.ndarray,
    store: Store,
    sentences: SentenceIndex | None = None,
) -> Path:
    """Write a complete generation (records here, vectors and keywords into the store), publish it in the
    store, then switch CURRENT to it atomically; keep one previous generation."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = index_dir / f".{name}.partial"
    tmp.mkdir()
    with open(tmp / "clauses.jsonl", "w", encoding="utf-8") as fh:
        for sc in clauses:
            fh.write(json.dumps(clause_to_json(sc), ensure_ascii=False) + "\n")
    (tmp / "documents.json").write_text(json.dumps(documents, ensure_ascii=False), encoding="utf-8")
    if sentences is not None:
        sentences.write(tmp, clauses)
    manifest = {**manifest, "store": store.write(tmp, name, clauses, vectors)}
    (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    _fsync_tree(tmp)
    final = index_dir / name
    os.replace(tmp, final)
    pointer_tmp = index_dir / f".CURRENT.{os.getpid()}"
    pointer_tmp.write_text(name, encoding="utf-8")
    with open(pointer_tmp, "rb") as fh:
        os.fsync(fh.fileno())
    previous = current_generation(index_dir)
    store.publish(name, manifest["store"])
    os.replace(pointer_tmp, index_dir / "CURRENT")
    keep = {name, previous.name if previous else ""}
    _prune(index_dir, keep)
    store.prune(keep)
    return final


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())


def _prune(index_dir: Path, keep: set[str]) -> None:
    """Remove old generations and leftovers of killed builds."""
    for child in index_dir.iterdir():
        stale_gen = child.name.startswith("gen-") and child.name not in keep
        partial = child.name.startswith(".gen-") and child.name.endswith(".partial")
        if child.is_dir() and (stale_gen or partial):
            shutil.rmtree(child, ignore_errors=True)


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Exclusive lock for builders; a second concurrent build fails fast with BuildLocked."""
    Path(index_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(index_dir) / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BuildLocked(f"another build of {index_dir} is running") from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
