"""A document's own facts, read from its text by 公文 conventions: who issued it (发文机关), its number (发文字号),
its date (成文日期, or a stated 发布日期), whom it is addressed to (主送机关), its type (通知/方案/意见/答复/…) and
the issuer's region and level.

Every fact keeps where it came from (a span of the original text, or the title, or documents.toml) and how it
was established: "stated" (the text says it in its place: a number line, a signature above a date, a labelled
field), "inferred" (read from the title or a site's 来源 line), "corrected" (documents.toml). A masked value
(「津政发〔****〕*号」) is kept and marked masked: the document has a number, the copy hides it. What cannot be
established is left out and named in `missing`; nothing is guessed from outside the text.

Dates a website puts around a copy (上传时间, a news page's time stamp, 浏览量 lines) are page dates, never
issue dates: only a date under a signature, or one the text labels as 成文/发布/印发, counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from ..text.normalize import to_simplified
from ..text.masks import is_masked
from ..text.doc_types import DOC_TYPES, TYPE_KIND, doc_number
from ..text.dates import ISO_DATE, WRITTEN_CN_DATE, WRITTEN_DIGIT, cn_date
from ..text.names import DEPARTMENT_SUFFIXES, alternation
from ..types import DocumentFacts, Fact
from .organisations import ORG, joined_signature, org_at_end, region_level

FACTS_VERSION = 6  # bump when the rules change: an incremental build then reads every document's facts again
HEAD_CHARS = 800  # the head of a 公文 (title, number, addressees, signature of a 印发 notice) lies within this
TAIL_CHARS = 400  # the signature and date at the end lie within this

# A document's own number stands on its own line (or, in flattened copies, between spaces) in the head; one quoted
# in prose ("…发布了[2020]6号", "（通政发〔2020〕3号）") is another document's.
NUMBER = re.compile(rf"(?:^|(?<=[\s\u3000])|{'|'.join(f'(?<={t})' for t in DOC_TYPES)}){doc_number(WRITTEN_DIGIT)}")
# Labelled fields of a government site's head ("发布机构：…", "成文日期：…"); 来源 names the publisher, inferred.
LABELS = {
    "issuer": (r"发文机关|发布机构|发文单位|制发机关", "stated"),
    "source": (r"来源|信息来源|文章来源", "inferred"),
    "number": (r"发文字号|文号", "stated"),
    "date": (r"成文日期|发文日期|印发日期", "stated"),
    "published": (r"发布日期|发布时间|公开日期", "stated"),
}
_UNSPACED_DATE = cn_date(WRITTEN_DIGIT, space="", capture=False)
LONE_DATE = re.compile(rf"[。！]\s+({_UNSPACED_DATE})\s*(?:[（(]此件[^）)]{{0,8}}[）)])?(?=\s|$)")
PAGE_DATE_LABELS = re.compile(r"上传时间|浏览|阅读|点击|更新时间|打印|字体")
ADDRESSEE = re.compile(
    r"^(各[^：:\n]{1,60}|[^：:\n]{1,30}(?:代表|委员|同志|先生|女士)|[^：:\n，。]{2,60}(?:"
    + alternation(DEPARTMENT_SUFFIXES + ("部门",))
    + r"))[：:]\s*$"
)


def _is_masked(text: str) -> bool:
    return is_masked(text) or "＊" in text  # copies also mask with the full-width star


def _lines(text: str, start: int, end: int):
    """(line, start offset) of the non-empty lines of text[start:end]."""
    pos = start
    for line in text[start:end].split("\n"):
        if line.strip():
            yield line, pos
        pos += len(line) + 1


def _fact(doc, start: int, end: int, how: str = "stated") -> Fact:
    value = doc.clean[start:end].strip()
    lead = len(doc.clean[start:end]) - len(doc.clean[start:end].lstrip())
    s, e = doc.span(start + lead, start + lead + len(value))
    if re.search(r"[\s\u3000]", value):  # co-signers, or one name broken over lines
        parts = [p for p in re.split(r"[\s\u3000]+", value) if p]
        whole = all(re.search(rf"(?:{ORG})$", p) for p in parts)
        value = "、".join(parts) if whole else "".join(parts)
    return Fact(value, s, e, how, _is_masked(value))


@dataclass
class _Reading:
    """What the readers of one document share: the document, where its head ends and its tail starts, the facts
    found so far (a reader fills only what is still missing, so earlier readers win) and the notes."""

    doc: Any
    clean: str
    head_end: int
    tail_start: int
    found: dict[str, Fact] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    forwarded: bool = False  # a forwarding notice: text dates belong to the forwarded original
    labelled_date: Fact | None = None  # the date a labelled field gave, before any text reader ran

    @classmethod
    def of(cls, doc) -> "_Reading":
        clean = doc.clean
        head_end = min(len(clean), HEAD_CHARS)
        return cls(doc, clean, head_end, max(head_end, len(clean) - TAIL_CHARS))


def _labelled_fields(r: _Reading) -> None:
    """Labelled fields in the head of the original (government sites; cleaning drops these lines from `clean`):
    发布机构：…, 成文日期：…, 来源:…; a page's own time stamps (上传时间, a news line's date) are noted, not used."""
    original = r.doc.original
    for line, pos in _lines(original, 0, min(len(original), HEAD_CHARS)):
        body = line.strip().lstrip("-•·* ").strip()
        offset = pos + line.find(body) if body else pos
        simple = to_simplified(body)
        for key, (labels, how) in LABELS.items():
            m = re.match(rf"(?:{labels})\s*[:：]\s*(\S.{{0,60}})$", simple)
            if m and key not in r.found:
                value = body[m.start(1) : m.end(1)].strip()
                r.found[key] = Fact(
                    value, offset + m.start(1), offset + m.start(1) + len(value), how, _is_masked(value)
                )
        if (PAGE_DATE_LABELS.search(simple) or "|" in simple) and (
            WRITTEN_CN_DATE.search(simple) or ISO_DATE.search(simple)
        ):
            r.notes.append(f"page date, not an issue date: {body[:40]}")


def _masthead(r: _Reading) -> None:
    """The masthead (版头, 发文机关标志): 「贵阳市人民政府办公厅文件」 names the issuer."""
    masthead = re.search(
        rf"(?:^|(?<=[\s\u3000]))([\u4e00-\u9fff]{{2,40}}?(?:{ORG}))文件(?=[\s\u3000]|$)", r.clean[: r.head_end], re.M
    )
    if masthead and "issuer" not in r.found:
        r.found["issuer"] = _fact(r.doc, masthead.start(1), masthead.end(1))


def _number_line(r: _Reading) -> None:
    """The number line (发文字号)."""
    m = NUMBER.search(r.clean, 0, r.head_end)
    if m and "number" not in r.found and not re.search(r"[了的据照见]", m.group(0)[:4]):
        r.found["number"] = _fact(r.doc, m.start(), m.end())


def _forwarding(r: _Reading) -> None:
    """A forwarding notice (「X转发Y的通知」): X issued it; the signature at the end is the forwarded original's."""
    title = r.doc.title or ""
    forwarder = re.match(rf"^([\u4e00-\u9fff]{{2,30}}?(?:{ORG}))(?:关于)?转发", to_simplified(title))
    r.forwarded = bool(forwarder) and "issuer" not in r.found
    r.labelled_date = r.found.get("date")
    if r.forwarded and forwarder:
        r.found["issuer"] = _locate(r.doc, title[: forwarder.end(1)])


def _signature(r: _Reading) -> None:
    """Signature + date: a date right under (or after) an organisation name, in the tail, else the head (印发
    notices)."""
    for region_start, region_end in ((r.tail_start, len(r.clean)), (0, r.head_end)):
        if "date" in r.found and "issuer" in r.found:
            break
        for dm in reversed(list(WRITTEN_CN_DATE.finditer(r.clean, region_start, region_end))):
            if _signed_date(r, dm):
                break


def _signed_date(r: _Reading, dm: re.Match) -> bool:
    """Take the date `dm` and the organisation just before it, when there is one; True when there was."""
    end = dm.start()
    while end > 0 and r.clean[end - 1].isspace():  # signatures padded with any kind of space
        end -= 1
    before = r.clean[max(0, end - 60) : end]
    org = org_at_end(before.rstrip(" \u3000\n"))
    if org is None:
        return False
    base = end - len(before)
    org = joined_signature(before, org)
    if "date" not in r.found:
        r.found["date"] = _fact(r.doc, dm.start(), dm.end())
    if "issuer" not in r.found:
        r.found["issuer"] = _fact(r.doc, base + org[0], base + org[1])
    return True


def _lone_date(r: _Reading) -> None:
    """A date standing alone after the last sentence (a 印发 notice's head, a copy that dropped its signature)."""
    if "date" in r.found:
        return
    for region_start, region_end in ((r.tail_start, len(r.clean)), (0, r.head_end)):
        m = LONE_DATE.search(r.clean, region_start, region_end)
        if m:
            r.found["date"] = _fact(r.doc, m.start(1), m.end(1))
            return


def _reply_date(r: _Reading) -> None:
    """A reply's date stands alone on the last lines (the last such line wins)."""
    if "date" in r.found:
        return
    for line, pos in _lines(r.clean, r.tail_start, len(r.clean)):
        dm = WRITTEN_CN_DATE.fullmatch(line.strip())
        if dm:
            at = pos + line.find(dm.group(0))
            r.found["date"] = _fact(r.doc, at, at + len(dm.group(0)))


def _contact_line(r: _Reading) -> None:
    """A reply's office in a contact line below its date ("联系单位")."""
    contact = re.search(r"联系单位[^:：]*[:：]\s*([\u4e00-\u9fff]{2,30}?(?:" + ORG + "))", r.clean[r.tail_start :])
    if contact and "issuer" not in r.found:
        r.found["issuer"] = _fact(r.doc, r.tail_start + contact.start(1), r.tail_start + contact.end(1), "inferred")


def _addressees(r: _Reading) -> None:
    """Addressees: a line ending with a colon in the head, before the body starts."""
    for line, pos in _lines(r.clean, 0, r.head_end):
        if ADDRESSEE.match(line.strip()):
            body = line.strip().rstrip("：:").strip()
            r.found["addressees"] = _fact(r.doc, pos + line.find(body), pos + line.find(body) + len(body))
            return


def _title_and_issuer(r: _Reading) -> None:
    """The title (a flattened copy's own, when the title guess fell back to the file name); an issuer still
    missing from the title's opening organisation, else the site's 来源 line."""
    title = r.doc.title or ""
    if not re.search(r"[\u4e00-\u9fff]", title):
        title = _head_title(r.clean) or title
    r.found["title"] = Fact(title, how="inferred")
    if "issuer" not in r.found:
        m = re.match(rf"^([\u4e00-\u9fff]{{2,30}}?(?:{ORG}))(?:关于|印发|对)", to_simplified(title))
        if m and not title.startswith("转发"):  # a forwarded document's title names the original issuer
            r.found["issuer"] = _locate(r.doc, title[: m.end(1)])
        elif "source" in r.found:
            r.found["issuer"] = replace(r.found["source"], how="inferred")
            r.notes.append("issuer taken from the site's 来源 line")
    r.found.pop("source", None)


def _forwarded_date(r: _Reading) -> None:
    """A date read from a forwarding notice's text belongs to the forwarded original; only a labelled one stays."""
    if r.forwarded:
        r.found.pop("date", None)
        if r.labelled_date is not None:
            r.found["date"] = r.labelled_date


def _type_region_level(r: _Reading) -> None:
    """The document type (from the title or the head), and the issuer's region and level."""
    doc_type = _doc_type(r.found["title"].value, r.found) or _doc_type(_head_title(r.clean), r.found)
    if doc_type:
        r.found["doc_type"] = doc_type
    issuer = r.found.get("issuer")
    if issuer is None:
        return
    region, level = region_level(to_simplified(issuer.value))
    if region:
        r.found["region"] = Fact(
            region, issuer.start, issuer.start + len(region) if issuer.start >= 0 else -1, "inferred"
        )
    if level:
        r.found["level"] = Fact(level, how="inferred")


# The readers, in order: each reads one 公文 convention and fills only what is still missing.
READERS: tuple[Callable[[_Reading], None], ...] = (
    _labelled_fields,
    _masthead,
    _number_line,
    _forwarding,
    _signature,
    _lone_date,
    _reply_date,
    _contact_line,
    _addressees,
    _title_and_issuer,
    _forwarded_date,
    _type_region_level,
)


def extract_facts(doc) -> DocumentFacts:
    """The facts `doc` (a loaded Document) states about itself, read by READERS in order."""
    reading = _Reading.of(doc)
    for read in READERS:
        read(reading)
    return DocumentFacts(**reading.found, notes=tuple(reading.notes))


def _locate(doc, value: str, how: str = "inferred") -> Fact:
    """A fact read from the title, with the span of its first appearance in the head of the original."""
    at = doc.original.find(value, 0, HEAD_CHARS)
    return Fact(value, at, at + len(value) if at >= 0 else -1, how, _is_masked(value))


def _head_title(clean: str) -> str:
    """A flattened copy's title: its text up to the first 的通知/的意见/… (within the first 100 characters)."""
    m = re.search(rf"^.{{4,100}}?的(?:{'|'.join(DOC_TYPES)})", clean[:120].replace("\n", ""))
    return m.group(0) if m else ""


def _doc_type(title: str, found: dict[str, Fact]) -> Fact | None:
    simple = to_simplified(title).rstrip("）)】」』 ")
    for name in DOC_TYPES:
        if simple.endswith(name) or re.search(rf"{name}[（(][^）)]*[）)]$", simple):
            return Fact(TYPE_KIND.get(name, name), how="inferred")
    addressed = found.get("addressees")
    if addressed is not None and re.search(r"代表|委员$", addressed.value):
        return Fact("答复", how="inferred")
    return None
