"""Readers for the supported file types: bytes in, text out (.txt/.md in any common Chinese encoding, .html,
.docx, .pdf)."""
from __future__ import annotations

import io
import re
from pathlib import Path

from ..errors import DocumentError
from ..text.sentences import SENTENCE_ENDS
from .decoding import decode_bytes
from .limits import Limits, check_pages, check_zip

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
# A PDF page ending in one of these completes its paragraph; otherwise the next page continues the sentence.
_PARAGRAPH_END = re.compile(rf"[{SENTENCE_ENDS}：:）)]$")


def check_supported(path: Path) -> None:
    """Raise DocumentError for a file type the loader cannot read."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise DocumentError(path.name, f"unsupported file type {path.suffix or '(none)'}")


def extract_text(path: Path, data: bytes, limits: Limits = Limits()) -> tuple[str, str]:
    """Return (text, encoding-or-format) for one supported file; zip and page limits are checked first."""
    suffix = path.suffix.lower()
    if suffix in (".txt", ".md"):
        return decode_bytes(data)
    if suffix in (".html", ".htm"):
        return _html_text(data)
    if suffix == ".docx":
        check_zip(path.name, data, limits)
        return _docx_text(data), "docx"
    if suffix == ".pdf":
        return _pdf_text(path.name, data, limits), "pdf"
    check_supported(path)
    raise AssertionError(f"{suffix} is supported but has no reader")


def _html_text(data: bytes) -> tuple[str, str]:
    from bs4 import BeautifulSoup

    text, encoding = decode_bytes(data)
    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "noscript", "iframe", "form"]):
        tag.decompose()
    lines = [ln.strip() for ln in soup.get_text("\n").splitlines()]
    return "\n".join(ln for ln in lines if ln), encoding


def _docx_text(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" ".join(cell.text.strip() for cell in row.cells))
    return "\n".join(parts)


def _pdf_text(name: str, data: bytes, limits: Limits) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    check_pages(name, len(reader.pages), limits)
    pages = [(page.extract_text() or "").strip() for page in reader.pages]
    out = ""
    for page in pages:
        # A page that ends mid-sentence continues on the next page: join without a break.
        if out and not _PARAGRAPH_END.search(out):
            out += page
        else:
            out += ("\n" if out else "") + page
    return out
