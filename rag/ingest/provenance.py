"""Where each document came from decides whether its standing claims (废止, a newer version) may take effect.

The operator's document folder is trusted: a file put there by whoever runs the server is the operator's. A file
that arrived as an upload (the page, or any other route that calls `record_upload`) starts untrusted whatever
issuer its text names — the issuer is read from the text itself, so a forged signature would otherwise earn the
trust of a real one. Its claims stay pending (shown, audited, never applied) until an administrator confirms the
upload (`confirm`: the page's 「确认来源」, `python -m rag confirm NAME`), which is audited too.

The record is <docs>/.provenance.json: the uploads by file name and content hash, and who confirmed each. A file
whose content is not a recorded upload (the operator copied it in, or replaced an upload by hand) is the
operator's. The record is bounded in size before it is parsed, written atomically, and a damaged one trusts no
upload (every recorded name is then untrusted until confirmed again)."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from pathlib import Path

from ..errors import DocumentError
from .documents import PROVENANCE_FILE, file_sha256
from .versions import audit, safe_name

MAX_PROVENANCE_BYTES = 8 << 20  # about 40,000 uploads; past it the record is refused, not parsed
_WRITING = threading.Lock()


def _path(docs_dir: Path) -> Path:
    return Path(docs_dir) / PROVENANCE_FILE


def read_uploads(docs_dir: Path) -> dict[str, dict[str, dict]]:
    """name -> sha256 -> {"by", "at", "confirmed_by", "confirmed_at"} of every recorded upload."""
    path = _path(docs_dir)
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise DocumentError(PROVENANCE_FILE, "not a regular file (links are not followed)")
    if not path.is_file():
        return {}
    if path.stat().st_size > MAX_PROVENANCE_BYTES:
        raise DocumentError(PROVENANCE_FILE, f"larger than {MAX_PROVENANCE_BYTES >> 20} MB")
    try:
        data = json.loads(path.read_bytes()[: MAX_PROVENANCE_BYTES + 1].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DocumentError(PROVENANCE_FILE, f"unreadable ({str(exc)[:80]})") from exc
    uploads = data.get("uploads") if isinstance(data, dict) else None
    if not isinstance(uploads, dict):
        raise DocumentError(PROVENANCE_FILE, "has no uploads table")
    return {
        str(name): {str(h): dict(v) for h, v in versions.items() if isinstance(v, dict)}
        for name, versions in uploads.items()
        if isinstance(versions, dict)
    }


def _write(docs_dir: Path, uploads: dict[str, dict[str, dict]]) -> None:
    fd, tmp = tempfile.mkstemp(dir=docs_dir, prefix=f"{PROVENANCE_FILE}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"uploads": uploads}, fh, ensure_ascii=False, indent=0)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, _path(docs_dir))
    finally:
        Path(tmp).unlink(missing_ok=True)


def record_upload(docs_dir: Path, name: str, sha256: str, user: str) -> None:
    """Record that the file `name` with this content arrived as an upload by `user` (unconfirmed)."""
    with _WRITING:
        try:
            uploads = read_uploads(docs_dir)
        except DocumentError:
            uploads = {}  # a damaged record is rewritten; what it held can no longer be trusted anyway
        uploads.setdefault(name, {})[sha256] = {"by": user, "at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        _write(docs_dir, uploads)


def untrusted(docs_dir: Path, hashes: dict[str, str]) -> frozenset[str]:
    """The documents (name -> the content hash indexed) that are unconfirmed uploads. A damaged record makes
    every name it could hold untrusted: the documents whose names are not the operator's alone cannot be told."""
    try:
        uploads = read_uploads(docs_dir)
    except DocumentError:
        return frozenset(hashes) if _path(docs_dir).exists() else frozenset()
    return frozenset(
        name
        for name, digest in hashes.items()
        if digest in uploads.get(name, {}) and not uploads[name][digest].get("confirmed_by")
    )


def pending_uploads(docs_dir: Path) -> list[str]:
    """The documents of the folder whose current content is an unconfirmed upload, by name."""
    folder = Path(docs_dir)
    try:
        names = [n for n in read_uploads(folder) if (folder / n).is_file() and not (folder / n).is_symlink()]
    except DocumentError:
        return []
    return sorted(untrusted(folder, {n: file_sha256(folder / n) for n in names}))


def _refused(name: str, reason: str, zh: str) -> DocumentError:
    error = DocumentError(name, reason)
    error.zh = zh
    return error


def confirm(docs_dir: Path, name: str, user: str) -> str:
    """An administrator confirms the current content of the uploaded document `name`; returns its sha256.
    DocumentError when it is not an unconfirmed upload of the folder."""
    name = safe_name(name)
    path = Path(docs_dir) / name
    if not path.is_file() or path.is_symlink():
        raise _refused(name, "no such document in the folder", "文档文件夹中没有这个文件")
    digest = file_sha256(path)
    with _WRITING:
        uploads = read_uploads(docs_dir)
        entry = uploads.get(name, {}).get(digest)
        if entry is None:
            raise _refused(
                name,
                "not an upload (files the operator put in the folder are trusted already)",
                "这个文件不是上传的（文档文件夹中原有的文件本来就受信任）",
            )
        if entry.get("confirmed_by"):
            raise _refused(name, f"already confirmed by {entry['confirmed_by']}", "这个文件的来源已经确认过")
        entry.update(confirmed_by=user or "-", confirmed_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        _write(docs_dir, uploads)
    audit(Path(docs_dir), "upload confirmed", name, user, sha256=digest, uploaded_by=entry.get("by", ""))
    return digest


__all__ = ["PROVENANCE_FILE", "confirm", "pending_uploads", "read_uploads", "record_upload", "untrusted"]
