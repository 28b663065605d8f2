"""The document folder as a versioned library: a same-name upload never replaces silently. The previous file is
kept under .versions/<name>/ and can be restored; an append-only audit log records who did what, when."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import DocumentError
from .documents import AUDIT_LOG, UPLOAD_SUFFIX, VERSIONS_DIR, file_sha256
from .readers import check_supported


@dataclass(frozen=True)
class Version:
    """An earlier version of a document: `id` names it for restore."""

    id: str
    saved_at: str
    sha256: str
    size: int


def safe_name(name: str) -> str:
    """The bare file name of an upload; names that could escape the folder or hide are refused."""
    base = Path(str(name).replace("\\", "/")).name
    if not base or base.startswith(".") or "\x00" in base:
        raise DocumentError(str(name)[:80], "not an acceptable file name")
    check_supported(Path(base))
    return base


def audit(docs_dir: Path, action: str, name: str, user: str, **details: object) -> None:
    """Append one line to the audit log (JSON per line; the file is only ever appended to)."""
    entry = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "user": user or "-",
        "action": action,
        "document": name,
        **details,
    }
    fd = os.open(Path(docs_dir) / AUDIT_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_audit(docs_dir: Path) -> list[dict]:
    path = Path(docs_dir) / AUDIT_LOG
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _keep_current(docs_dir: Path, name: str) -> Version | None:
    """Move the current file of that name into the versions folder; returns its Version (None if absent)."""
    current = Path(docs_dir) / name
    if not current.is_file() or current.is_symlink():
        return None
    folder = Path(docs_dir) / VERSIONS_DIR / name
    folder.mkdir(parents=True, exist_ok=True)
    digest = file_sha256(current)
    version_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{digest[:8]}"
    n = 0
    while (folder / f"{version_id}{current.suffix}").exists():
        n += 1
        version_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{digest[:8]}-{n}"
    kept = folder / f"{version_id}{current.suffix}"
    os.replace(current, kept)
    return Version(version_id, version_id[:15], digest, kept.stat().st_size)


# One change to the document folder at a time in this process (two uploads of one name must not interleave
# keeping the current file and putting the new one in place).
_CHANGING = threading.Lock()


def _make_current(docs_dir: Path, src: Path, name: str) -> Version | None:
    """Copy src in as the document `name` (atomically); the file it replaces is kept as a version, returned.
    The copy goes to a hidden temporary name of its own first, so concurrent uploads never share one."""
    fd, tmp_name = tempfile.mkstemp(dir=docs_dir, prefix=f".{name}.", suffix=UPLOAD_SUFFIX)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        shutil.copyfile(src, tmp)
        previous = _keep_current(docs_dir, name)
        os.replace(tmp, docs_dir / name)
    finally:
        tmp.unlink(missing_ok=True)
    return previous


def save_document(docs_dir: Path, src: Path, name: str, user: str) -> tuple[str, Version | None]:
    """Copy a checked file into the folder under `name`; an existing file of that name becomes a version.
    Returns (action, the version kept or None)."""
    name = safe_name(name)
    docs_dir = Path(docs_dir)
    with _CHANGING:
        previous = _make_current(docs_dir, src, name)
        action = "replace" if previous else "upload"
        audit(
            docs_dir,
            action,
            name,
            user,
            sha256=file_sha256(docs_dir / name),
            **({"previous_version": previous.id} if previous else {}),
        )
    return action, previous


def list_versions(docs_dir: Path, name: str) -> list[Version]:
    """Earlier versions of a document, oldest first."""
    folder = Path(docs_dir) / VERSIONS_DIR / safe_name(name)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.is_symlink():
            out.append(Version(path.stem, path.stem[:15], file_sha256(path), path.stat().st_size))
    return out


def restore_version(docs_dir: Path, name: str, version_id: str, user: str) -> Version | None:
    """Make an earlier version current again; the file it replaces is kept as a version too."""
    name = safe_name(name)
    docs_dir = Path(docs_dir)
    folder = docs_dir / VERSIONS_DIR / name
    matches = [p for p in folder.glob(f"{version_id}.*") if p.stem == version_id] if folder.is_dir() else []
    if not matches or "/" in version_id or version_id.startswith("."):
        raise DocumentError(name, f"no version {version_id!r} (see `python -m rag versions {name}`)")
    with _CHANGING:
        previous = _make_current(docs_dir, matches[0], name)
        audit(
            docs_dir,
            "restore",
            name,
            user,
            restored_version=version_id,
            **({"previous_version": previous.id} if previous else {}),
        )
    return previous
