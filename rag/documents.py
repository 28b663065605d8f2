"""Load policy documents from a folder and clean them for search, keeping the original text.

Cleaning only ever *deletes* characters of the original (boilerplate lines, pinyin artefacts,
page markers), so every character of the cleaned text maps back to a position in the original;
clause spans are reported in original-file coordinates.
"""
from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from .decoding import decode_bytes
from .normalize import PINYIN_AFTER_HAN

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")


class DocumentError(Exception):
    """A document folder or file that cannot be used, with a message saying why."""

    @property
    def reason(self) -> str:
        """The message without the leading "file name: "."""
        return str(self).split(": ", 1)[-1]


@dataclass(frozen=True)
class Document:
    """One loaded document: the original text, a cleaned view of it, and the mapping between them."""

    name: str
    title: str
    original: str
    clean: str
    offsets: tuple[int, ...]  # offsets[i] = position in `original` of clean[i]
    sha256: str
    encoding: str

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) range of the clean text to the original text."""
        if end <= start:
            pos = self.offsets[start] if start < len(self.offsets) else len(self.original)
            return pos, pos
        return self.offsets[start], self.offsets[end - 1] + 1


@dataclass(frozen=True)
class LoadReport:
    documents: tuple[Document, ...]
    skipped: tuple[tuple[str, str], ...]  # (file name, reason)


# ---------------------------------------------------------------- reading files

def file_sha256(path: Path) -> str:
    """Content hash of a file (what decides whether a document changed)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_supported(path: Path) -> None:
    """Raise DocumentError for a file type the loader cannot read."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"{path.name}: unsupported file type {path.suffix or '(none)'}")


def extract_text(path: Path, data: bytes) -> tuple[str, str]:
    """Return (text, encoding-or-format) for one supported file."""
    suffix = path.suffix.lower()
    if suffix in (".txt", ".md"):
        return decode_bytes(data)
    if suffix in (".html", ".htm"):
        return _html_text(data)
    if suffix == ".docx":
        return _docx_text(data), "docx"
    if suffix == ".pdf":
        return _pdf_text(data), "pdf"
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


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    pages = [(page.extract_text() or "").strip() for page in reader.pages]
    out = ""
    for page in pages:
        # A page that ends mid-sentence continues on the next page: join without a break.
        if out and not re.search(r"[。；：:！？!?）)]$", out):
            out += page
        else:
            out += ("\n" if out else "") + page
    return out


# ---------------------------------------------------------------- cleaning

_BOILERPLATE_LINE = re.compile(
    r"^(?:"
    r"\d{4}-\d{1,2}-\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*[|｜].*"  # news header: date | site
    r"|[-•·*]?\s*(?:发布时间|发布日期|来源|浏览量|浏览次数|点击数|字体|作者|阅读次数)\s*[:：].{0,40}"
    r"|[-•·]\s*[大中小]"
    r"|[•·]?\s*(?:一周|一月|热点|分享到[:：]?|打印本页|关闭窗口|【打印】|【关闭】|返回顶部)"
    r"|(?:上一页|下一页|上一篇|下一篇|首页|尾页)(?:\s*[:：].*)?"
    r"|第\s*\d+\s*页\s*/\s*共\s*\d+\s*页"
    r"|.+_第\d+页"
    r"|上传人[:：].*|下载\s+相关\s+举报|亲,该文档总共.*|资源描述"
    r"|《.*》由会员分享.*|展开阅读全文|相关资源|猜你喜欢|相关搜索|当前位置[:：].*"
    r"|copyright.*|.*版权所有.*|经营许可证编号.*|本站为文档C2C交易模式.*"
    r"|附件[:：]?"
    r")\s*$",
    re.IGNORECASE,
)
# After one of these lines, the rest of the file is site furniture.
_FOOTER_START = re.compile(r"^\s*(?:编辑\s*[:：].*|分享到[:：]?|展开阅读全文)\s*$")
_SHARING_SITE = re.compile(r"上传人[:：]|文档编号[:：]|由会员分享")
_PAGE_PREFIX = re.compile(r"^(\d{1,3})、")


def _line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, end excluding the newline."""
    spans, pos = [], 0
    for line in text.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def _deletions(original: str) -> list[tuple[int, int]]:
    """Ranges of the original to delete when cleaning."""
    dels: list[tuple[int, int]] = [(m.start(), m.end()) for m in re.finditer("\r|\ufeff|\u3000", original)]
    lines = _line_spans(original)
    sharing = bool(_SHARING_SITE.search(original[:3000]))
    footer_from: int | None = None
    for i, (s, e) in enumerate(lines):
        if _FOOTER_START.match(original[s:e]):
            footer_from = i
            break
    if footer_from is not None and footer_from > len(lines) // 3:
        dels.append((lines[footer_from][0], len(original)))
        lines = lines[:footer_from]
    for s, e in lines:
        if _BOILERPLATE_LINE.match(original[s:e].strip()):
            dels.append((s, min(e + 1, len(original))))
    if sharing:
        dels.extend(_sharing_site_pages(original, lines))
    dels.extend((m.start(), m.end()) for m in PINYIN_AFTER_HAN.finditer(original))
    return dels


def _sharing_site_pages(original: str, lines: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Document-sharing sites print each page as "N、text": drop the header between the file-name
    line and page 1, the "N、" prefixes and the breaks between pages, so words split by a page
    break join up again."""
    pages = []
    expected = 1
    for s, e in lines:
        m = _PAGE_PREFIX.match(original[s:e])
        if m and int(m.group(1)) == expected:
            pages.append((s, e, m.end()))
            expected += 1
    if len(pages) < 2:
        return []
    dels: list[tuple[int, int]] = []
    first = pages[0][0]
    title_end = lines[0][1]
    if first > title_end:
        dels.append((title_end + 1, first))  # header between the title line and page 1
    prev_end = None
    for s, e, prefix_len in pages:
        if prev_end is not None:
            dels.append((prev_end, s))  # newline(s) between pages
        dels.append((s, s + prefix_len))
        prev_end = e
    if prev_end is not None:
        dels.append((prev_end, len(original)))  # site furniture after the last page
    return dels


def clean_text(original: str) -> tuple[str, tuple[int, ...]]:
    """Return the cleaned text and, for each of its characters, the position in the original."""
    keep = bytearray(b"\x01") * len(original)
    for s, e in _deletions(original):
        keep[s:e] = bytes(e - s)
    chars: list[str] = []
    offsets: list[int] = []
    last_nl = True
    for i, ch in enumerate(original):
        if not keep[i]:
            continue
        if ch == "\n":
            if last_nl:
                continue  # collapse blank lines
            last_nl = True
        elif not ch.isspace():
            last_nl = False
        chars.append(ch)
        offsets.append(i)
    text = "".join(chars).rstrip("\n")  # no leading newline: last_nl starts True
    return text, tuple(offsets[: len(text)])


# ---------------------------------------------------------------- title

_DOC_NUMBER = re.compile(r"〔.{2,6}〕|\[.{2,6}\].{0,3}号|第.{1,6}号$")
_SENTENCE_PUNCT = re.compile(r"[。，,；;：:！？!?]")
_REPLY = re.compile(r"您(?:提出|所提)的[“\"](.+?)[”\"]")


def guess_title(name: str, original: str, clean: str) -> str:
    """Best-effort document title: the leading heading lines, a sharing site's file name,
    or a reply's subject; the file name as a last resort."""
    first_line = clean.split("\n", 1)[0].strip()
    ext = re.match(r"^(.+?)\.(?:docx?|pdf|txt|wps)$", first_line, re.IGNORECASE)
    if ext:
        return ext.group(1)
    reply = _REPLY.search(clean[:600])
    if reply and re.search(r"代表|委员", first_line):
        who = first_line.rstrip(":：")
        subject = reply.group(1).strip("“”\"")
        subject = re.sub(r"^关于", "", subject)
        subject = re.sub(r"的建议$", "", subject)
        return f"对{who}关于“{subject}”建议的答复"
    if len(first_line) > 60:
        # One-line web text: the headline is what comes before the first space.
        head = re.split(r"\s", first_line, maxsplit=1)[0]
        if 4 <= len(head) <= 60 and not _SENTENCE_PUNCT.search(head):
            return head
    parts: list[str] = []
    raw_lines = original.replace("\r", "").split("\n")
    for line in clean.split("\n")[:4]:
        line = line.strip()
        if not line or _DOC_NUMBER.search(line) or _SENTENCE_PUNCT.search(line) or len(line) > 60:
            break
        parts.append(line)
        # Stop at a blank line in the original: the title block is contiguous.
        idx = next((i for i, r in enumerate(raw_lines) if PINYIN_AFTER_HAN.sub("", r).strip() == line), None)
        if idx is not None and idx + 1 < len(raw_lines) and not raw_lines[idx + 1].strip():
            break
    title = "".join(parts)
    return title or Path(name).stem


# ---------------------------------------------------------------- loading

def load_document(path: Path) -> Document:
    """Load and clean one file; raises DocumentError with a reason when it cannot be used."""
    check_supported(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path.name}: cannot read ({exc.strerror})") from exc
    if not data.strip():
        raise DocumentError(f"{path.name}: empty file")
    try:
        original, encoding = extract_text(path, data)
    except DocumentError:
        raise
    except Exception as exc:  # parsers raise many types on corrupt files
        raise DocumentError(f"{path.name}: unreadable {path.suffix} file ({type(exc).__name__}: {exc})") from exc
    original = original.replace("\r\n", "\n")
    clean, offsets = clean_text(original)
    if len(re.sub(r"\s", "", clean)) < 10:
        raise DocumentError(f"{path.name}: no usable text after cleaning")
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
        raise DocumentError(f"document folder {folder} does not exist")
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise DocumentError(f"document folder {folder} is empty")
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
        raise DocumentError(f"no usable documents in {folder} ({len(skipped)} skipped)")
    return LoadReport(tuple(docs), tuple(skipped))
