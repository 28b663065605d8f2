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
from .readers import check_supported, extract_text
from .titles import guess_title

log = logging.getLogger(__name__)


def file_sha256(path: Path) -> str:
    """Content hash of a file (what decides whether a document changed)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_document(path: Path) -> Document:
    """Load and clean one file; raises DocumentError with a reason when it cannot be used."""
    check_supported(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(path.name, f"cannot read ({exc.strerror})") from exc
    if not data.strip():
        raise DocumentError(path.name, "empty file")
    try:
        original, encoding = extract_text(path, data)
    except DocumentError:
        raise
    except Exception as exc:  # parsers raise many types on corrupt files
        raise DocumentError(path.name, f"unreadable {path.suffix} file ({type(exc).__name__}: {exc})") from exc
    original = original.replace("\r\n", "\n")
    clean, offsets = clean_text(original)
    if len(re.sub(r"\s", "", clean)) < 10:
        raise DocumentError(path.name, "no usable text after cleaning")
    return Document(
        name=path.name,
        title=guess_title(path.name, original, clean),
        original=original,
        clean=clean,
        offsets=offsets,
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
    )


def list_document_files(folder: Path) -> list[Path]:
    """Supported files in a folder (sorted); a missing or empty folder is a DocumentError."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DocumentError("", f"document folder {folder} does not exist")
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise DocumentError("", f"document folder {folder} is empty")
    return files


def load_folder(folder: Path) -> LoadReport:
    """Load every supported file in a folder; bad files are skipped with a warning naming them."""
    docs: list[Document] = []
    skipped: list[tuple[str, str]] = []
    for path in list_document_files(folder):
        try:
            docs.append(load_document(path))
        except DocumentError as exc:
            log.warning("skipping %s", exc)
            skipped.append((path.name, exc.reason))
    if not docs:
        raise DocumentError("", f"no usable documents in {folder} ({len(skipped)} skipped)")
    return LoadReport(tuple(docs), tuple(skipped))
