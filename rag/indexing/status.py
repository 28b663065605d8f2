"""Is the live index fresh? Compare it with the documents on disk by content hash."""

from __future__ import annotations

from pathlib import Path

from ..errors import DocumentError
from ..ingest.documents import file_sha256, scan_folder
from ..ingest.limits import Limits
from ..ingest.readers import SUPPORTED_SUFFIXES
from ..types import IndexStatus
from .embedders import vector_space
from .engines import StoreConfig, describe_entry
from .store import read_manifest


def _folder_hashes(docs_dir: Path, limits: Limits) -> dict[str, str]:
    return {
        p.name: file_sha256(p, limits.file_bytes)
        for p in scan_folder(docs_dir)[0]
        if p.suffix.lower() in SUPPORTED_SUFFIXES
    }


def index_status(
    docs_dir: Path,
    index_dir: Path,
    store: StoreConfig = StoreConfig(),
    limits: Limits = Limits(),
    configured_space: str = "",
) -> IndexStatus:
    """Compare the live index with the documents on disk (by content hash); name its store and vector space and the
    configured ones (`configured_space`: the embedder's, "" when not known)."""
    manifest = read_manifest(index_dir)
    if manifest is None:
        return IndexStatus(str(index_dir), exists=False, fresh=False, configured_store=store.kind)
    indexed = {name: d["sha256"] for name, d in manifest["documents"].items()}
    skipped = {name: h for name, h in manifest.get("skipped_hashes", {}).items()}
    try:
        on_disk = _folder_hashes(docs_dir, limits)
    except DocumentError:
        on_disk = {}
    known = {**skipped, **indexed}
    added = tuple(sorted(n for n in on_disk if n not in known))
    changed = tuple(sorted(n for n in on_disk if n in known and known[n] != on_disk[n]))
    removed = tuple(sorted(n for n in indexed if n not in on_disk))
    return IndexStatus(
        str(index_dir),
        True,
        not (added or changed or removed),
        len(indexed),
        manifest["clauses"],
        manifest["embedder"]["name"],
        manifest["embedder"]["dim"],
        manifest["built_at"],
        added,
        changed,
        removed,
        {
            name: {
                "title": d["title"],
                "clauses": d["clauses"],
                "flagged": d.get("flagged", 0),
                "facts": d.get("facts", {}),
                "standing": d.get("standing", []),
                "unconfirmed_upload": bool(d.get("unconfirmed_upload")),
            }
            for name, d in manifest["documents"].items()
        },
        describe_entry(manifest.get("store")),
        store.kind,
        vector_space(manifest["embedder"]),
        configured_space,
    )
