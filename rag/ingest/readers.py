"""Readers for the supported file types: bytes in, text out (.txt/.md in any common Chinese encoding, .html,
.docx, .pdf)."""

from __future__ import annotations

import html
import io
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

from ..errors import DocumentError
from ..text.sentences import SENTENCE_ENDS
from .decoding import decode_bytes
from .limits import CappedReader, Limits, check_count, check_pages, check_zip

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")
# An HTML character reference a page copied as text kept (「&ldquo;」「&ensp;」「&#12288;」): read as its character,
# once, here. Only whole references ending in ";" (so "R&D" and "a&para=1" stay as written).
HTML_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# A PDF page ending in one of these completes its paragraph; otherwise the next page continues the sentence.
_PARAGRAPH_END = re.compile(rf"[{SENTENCE_ENDS}：:）)]$")


def unescape_entities(text: str) -> str:
    """Plain text with the HTML character references a scraped copy kept, read as their characters."""
    return HTML_ENTITY.sub(lambda m: html.unescape(m.group(0)), text) if "&" in text else text


def check_supported(path: Path) -> None:
    """Raise DocumentError for a file type the loader cannot read."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise DocumentError(path.name, f"unsupported file type {path.suffix or '(none)'}")


def extract_text(path: Path, data: bytes, limits: Limits = Limits()) -> tuple[str, str]:
    """Return (text, encoding-or-format) for one supported file; zip and page limits are checked first."""
    suffix = path.suffix.lower()
    if suffix in (".txt", ".md"):
        text, encoding = decode_bytes(data)
        return unescape_entities(text), encoding
    if suffix in (".html", ".htm"):
        return _html_text(path.name, data, limits)
    if suffix == ".docx":
        check_zip(path.name, data, limits)
        return _docx_text(path.name, data, limits), "docx"
    if suffix == ".pdf":
        return _pdf_text(path.name, data, limits), "pdf"
    check_supported(path)
    raise AssertionError(f"{suffix} is supported but has no reader")


# Elements whose text is not the page's content.
_HTML_SKIPPED = frozenset({"script", "style", "nav", "header", "footer", "noscript", "iframe", "form"})
_HTML_FEED = 1 << 16


class _PageText(HTMLParser):
    """Streaming HTML → text: every text node on its own line, skipped elements left out, tags counted."""

    def __init__(self, name: str, limits: Limits) -> None:
        super().__init__(convert_charrefs=True)
        self.name, self.limits = name, limits
        self.pieces: list[str] = []
        self.chars = 0
        self.tags = 0
        self.skipping: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags += 1
        check_count(self.name, "HTML tags", self.tags, self.limits.html_tags)
        if tag in _HTML_SKIPPED:
            self.skipping.append(tag)

    def handle_endtag(self, tag) -> None:
        if tag in self.skipping:
            while self.skipping and self.skipping.pop() != tag:
                pass

    def handle_data(self, data) -> None:
        if self.skipping:
            return
        self.chars += len(data)
        check_count(self.name, "characters of text", self.chars, self.limits.document_chars)
        self.pieces.append(data)


def _html_text(name: str, data: bytes, limits: Limits) -> tuple[str, str]:
    text, encoding = decode_bytes(data)
    parser = _PageText(name, limits)
    for at in range(0, len(text), _HTML_FEED):  # fed in pieces: a limit stops it early
        parser.feed(text[at : at + _HTML_FEED])
    parser.close()
    lines = [ln.strip() for ln in "\n".join(parser.pieces).splitlines()]
    return "\n".join(ln for ln in lines if ln), encoding


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DOCX_BODY = "word/document.xml"


def _docx_text(name: str, data: bytes, limits: Limits) -> str:
    """Paragraph text of a .docx body (table rows as one line, cells joined by a space), read as a stream:
    inflating stops at the unpacked-size limit whatever the zip directory says, parsing at the element limit,
    and the parsed tree is dropped as it goes."""
    from lxml import etree

    archive = zipfile.ZipFile(io.BytesIO(data))
    try:
        member = archive.getinfo(_DOCX_BODY)
    except KeyError:
        raise DocumentError(name, f"not a .docx file (no {_DOCX_BODY})") from None
    lines: list[str] = []
    paragraph: list[str] = []
    cells: list[str] = []
    cell: list[str] = []
    depth = {"tc": 0}
    elements = chars = 0
    with archive.open(member) as raw:
        stream = io.BufferedReader(CappedReader(name, raw, limits.unzipped_bytes))
        events = etree.iterparse(
            stream,
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            remove_comments=True,
        )
        for event, element in events:
            tag = element.tag
            if event == "start":
                elements += 1
                if elements % 4096 == 0:
                    check_count(name, "XML elements", elements, limits.xml_elements)
                if tag == _W + "tc":
                    depth["tc"] += 1
                continue
            if tag == _W + "t" and element.text:
                paragraph.append(element.text)
                chars += len(element.text)
                check_count(name, "characters of text", chars, limits.document_chars)
            elif tag == _W + "tab":
                paragraph.append("\t")
            elif tag in (_W + "br", _W + "cr"):
                paragraph.append("\n")
            elif tag == _W + "p":
                text = "".join(paragraph)
                paragraph.clear()
                (cell if depth["tc"] else lines).append(text)
            elif tag == _W + "tc":
                depth["tc"] -= 1
                cells.append(" ".join(c.strip() for c in cell).strip())
                cell.clear()
            elif tag == _W + "tr":
                row = " ".join(cells)
                cells.clear()
                (cell if depth["tc"] else lines).append(row)
            else:
                continue
            element.clear()  # what is read is dropped: memory stays flat however long the body
            while element.getprevious() is not None:
                del element.getparent()[0]
    return "\n".join(lines)


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
