"""Stores behind one interface: FAISS + bm25s files (the default) or Milvus (Lite file or server)."""

from __future__ import annotations

from pathlib import Path

from .base import STORE_KINDS, Ranking, SearchEngine, Store, StoreConfig, check_kind

__all__ = [
    "STORE_KINDS",
    "Ranking",
    "SearchEngine",
    "Store",
    "StoreConfig",
    "describe_entry",
    "make_store",
    "store_for_manifest",
]


def _milvus(uri: str, config: StoreConfig, index_dir: Path) -> Store:
    from .milvus_client import is_server_uri
    from .milvus_store import MilvusStore

    uri = uri or str(Path(index_dir) / "milvus.db")
    if not is_server_uri(uri):
        if not uri.endswith(".db"):
            raise ValueError(f"RAG_MILVUS_URI={uri!r}: a Milvus Lite file must end in .db; a server is http(s)://…")
        uri = str(Path(uri).resolve())
    return MilvusStore(uri, config.milvus_token, config.milvus_prefix)


def make_store(config: StoreConfig, index_dir: Path) -> Store:
    """The store a build writes to, from the settings."""
    if check_kind(config.kind) == "faiss":
        from .faiss_store import FaissStore

        return FaissStore()
    return _milvus(config.milvus_uri, config, index_dir)


def store_for_manifest(manifest: dict, config: StoreConfig, index_dir: Path) -> Store:
    """The store a written generation lives in (its manifest says which); Milvus at the configured URI when
    the settings name Milvus, else where the build wrote it."""
    entry = manifest.get("store") or {"kind": "faiss"}
    if entry.get("kind", "faiss") == "faiss":
        from .faiss_store import FaissStore

        return FaissStore()
    if entry.get("kind") != "milvus":
        raise ValueError(f"index generation names an unknown store {entry.get('kind')!r}")
    uri = config.milvus_uri if config.kind == "milvus" and config.milvus_uri else entry.get("uri", "")
    return _milvus(uri, config, index_dir)


def describe_entry(entry: dict | None) -> str:
    """A manifest's store entry in words, without connecting: "faiss (flat) + bm25s", "milvus (…)"."""
    entry = entry or {"kind": "faiss"}
    if entry.get("kind", "faiss") == "faiss":
        return f"faiss ({entry.get('dense', 'flat')}) + bm25s"
    from .milvus_client import describe_place

    return (
        f"milvus ({describe_place(entry.get('uri', ''))}, collection {entry.get('collection', '?')}, "
        f"alias {entry.get('alias', '?')})"
    )
