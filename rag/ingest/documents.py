"""Load policy documents from a folder: read, clean and title each file, keeping the original text.

Clause spans are reported in original-file coordinates (see `Document.span`).
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

from ..errors import DocumentError
from ..types import Document, LoadReport
from .cleaning import clean_text
from .limits import Limits, check_chars, check_file_size
from .isolation import parse_text
from .readers import check_supported
from .screening import not_a_document
from .titles import guess_title

log = logging.getLogger(__name__)
# What the project itself keeps in the document folder: earlier versions, the audit log, uploads in progress.
VERSIONS_DIR = ".versions"
AUDIT_LOG = ".audit.log"
UPLOAD_SUFFIX = ".upload"
FACTS_FILE = "documents.toml"  # the user's corrections of document facts (ingest/facts.py)
PROVENANCE_FILE = ".provenance.json"  # which documents arrived as uploads, and who confirmed them (provenance.py)


def is_internal(name: str) -> bool:
    return (
        name in (VERSIONS_DIR, AUDIT_LOG, FACTS_FILE, PROVENANCE_FILE)
        or (name.startswith(".") and name.endswith(UPLOAD_SUFFIX))
        or name.startswith(f"{PROVENANCE_FILE}.")  # the record being written
    )


HASH_CHUNK = 1 << 20


def file_sha256(path: Path, max_bytes: int | None = None) -> str:
    """Content hash of a file (what decides whether a document changed), read in 1 MB chunks. A file larger
    than `max_bytes` is never read: its key is its size and modification time ("oversize:…"), enough to tell
    when it changes and cheap for a file that will be refused anyway."""
    info = path.stat()
    if max_bytes is not None and info.st_size > max_bytes:
        return f"oversize:{info.st_size}:{info.st_mtime_ns}"
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_file(path: Path, limits: Limits = Limits()) -> bytes:
    """A document's bytes; its size is checked before it is read. DocumentError says why it cannot be used."""
    check_supported(path)
    try:
        check_file_size(path.name, path.stat().st_size, limits)
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(path.name, f"cannot read ({exc.strerror})") from exc
    if not data.strip():
        raise DocumentError(path.name, "empty file")
    return data


def document_from_text(name: str, original: str, encoding: str, data: bytes, limits: Limits = Limits()) -> Document:
    """A Document from its extracted text: bounded, screened, cleaned and titled."""
    check_chars(name, len(original), limits)
    reason = not_a_document(original)
    if reason:
        raise DocumentError(name, reason)
    original = original.replace("\r\n", "\n")
    clean, offsets = clean_text(original)
    if len(re.sub(r"\s", "", clean)) < 10:
        raise DocumentError(name, "no usable text after cleaning")
    return Document(
        name=name,
        title=guess_title(name, original, clean),
        original=original,
        clean=clean,
        offsets=offsets,
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
    )


def load_document(path: Path, limits: Limits = Limits()) -> Document:
    """Load and clean one file; raises DocumentError with a reason when it cannot be used. Sizes are checked
    before the file is read and before it is parsed past them (see Limits)."""
    data = read_file(path, limits)
    try:
        original, encoding = parse_text(path, data, limits)
    except DocumentError:
        raise
    except Exception as exc:  # parsers raise many types on corrupt files
        raise DocumentError(path.name, f"unreadable {path.suffix} file ({type(exc).__name__}: {exc})") from exc
    return document_from_text(path.name, original, encoding, data, limits)


def _not_followed(path: Path, root: Path) -> str | None:
    """Why an entry of the document folder is not read as a document, or None."""
    if path.is_symlink():
        return "symbolic link, not followed"
    if path.name.startswith("."):
        return "hidden file, ignored"
    if path.is_dir():
        return "a folder, not a file (sub-folders are not read)"
    if not path.is_file():
        return "not a regular file"
    if path.stat().st_nlink > 1:
        # Another name of the same file may lie anywhere on the disk: a hard link is not followed either.
        return "hard link (the file has other names), not followed"
    if path.resolve().parent != root:
        return "outside the document folder"
    return None


def scan_folder(folder: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """(regular files directly in the folder, sorted; (name, reason) for every other entry). Symbolic links and
    anything resolving outside the folder are never followed; the project's own entries are left out silently.
    A missing folder, or one without a regular file, is a DocumentError."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DocumentError("", f"document folder {folder} does not exist")
    root = folder.resolve()
    files, skipped = [], []
    for path in sorted(folder.iterdir()):
        if is_internal(path.name):
            continue
        reason = _not_followed(path, root)
        if reason is None:
            files.append(path)
        else:
            skipped.append((path.name, reason))
    if not files:
        raise DocumentError("", f"document folder {folder} is empty")
    return files, skipped


def load_folder(folder: Path, limits: Limits = Limits()) -> LoadReport:
    """Load every supported file in a folder; bad files are skipped with a warning naming them."""
    docs: list[Document] = []
    files, skipped = scan_folder(folder)
    for path in files:
        try:
            docs.append(load_document(path, limits))
        except DocumentError as exc:
            log.warning("skipping %s", exc)
            skipped.append((path.name, exc.reason))
    if not docs:
        raise DocumentError("", f"no usable documents in {folder} ({len(skipped)} skipped)")
    return LoadReport(tuple(docs), tuple(skipped))
