"""Parse the heading ladder of a cleaned document into citable clauses.

Ladder: 第X章 / 第X节 → 一、 → （一） → 1. 1、 *. → （1） → ① ; 第X条 sits at the 1. level.
Markers are found at line starts and, for run-together text, inside lines when their ordinal is
the one expected next (so "达3.2%" or "统一、" are not mistaken for headings). Masked numbers
("*." / "**.") take the ordinal their position implies.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from .departments import Duty, named_departments, extract_duties
from .documents import Document

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_CN = "一二三四五六七八九十百零〇"

# (kind, rank, regex). Rank orders the default nesting; the parser itself follows the document.
_MARKERS: list[tuple[str, int, re.Pattern[str]]] = [
    ("chapter", 0, re.compile(rf"第([{_CN}\d]+)章\s*")),
    ("section", 1, re.compile(rf"第([{_CN}\d]+)节\s*")),
    ("cn", 2, re.compile(rf"([{_CN}]+)\s*、\s*")),
    ("pcn", 3, re.compile(rf"[（(]\s*([{_CN}]+)\s*[）)]\s*")),
    ("article", 4, re.compile(rf"第([{_CN}\d]+)条\s*")),
    ("num", 4, re.compile(r"(\d{1,2}|\*{1,2})\s?[.．、](?![\d*])\s*")),
    ("pnum", 5, re.compile(r"[（(]\s*(\d{1,2})\s*[）)]\s*")),
    ("circ", 6, re.compile(rf"([{_CIRCLED}])\s*")),
]
_RANK = {kind: rank for kind, rank, _ in _MARKERS}
# Inline number markers may also use a comma typo ("2,整合…"), accepted only when expected next.
_INLINE_NUM_COMMA = re.compile(r"(\d{1,2})\s?[,，](?=[\u4e00-\u9fff])")
_SENTENCE_END = "。；;！？!?"
_SHORT_HEADING = re.compile(r"[\u4e00-\u9fff“][^。；;，,]{3,29}。")
_DATE_LINE = re.compile(r"^[\d*]{4}\s*年[\d*]{1,2}\s*月[\d*]{1,2}\s*日$")


def cn_to_int(text: str) -> int:
    """Chinese or Arabic numeral to int ("十二" -> 12, "3" -> 3)."""
    if text in _CIRCLED:
        return _CIRCLED.index(text) + 1
    if text.isascii() and text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            current = _CN_DIGITS.get(ch, 0)
    return total + current


@dataclass(frozen=True)
class Clause:
    """One citable unit: a leaf clause (or a part of a long one) with its place in the document."""

    id: str
    doc: str
    title: str
    path: tuple[str, ...]
    label: str
    text: str  # display text: the original wording (pinyin artefacts and page furniture removed)
    start: int  # span in the original file
    end: int
    duties: tuple[Duty, ...] = ()
    part: int = 0

    @property
    def departments(self) -> tuple[str, ...]:
        """Every department named as responsible in this clause, in order, without repeats."""
        return named_departments(self.duties)

    def search_text(self) -> str:
        """What is embedded and keyword-indexed: document title and heading path, then the clause text."""
        return f"{self.title} " + " ".join(self.path) + "\n" + self.text

    def content_hash(self) -> str:
        return hashlib.sha256(self.search_text().encode("utf-8")).hexdigest()[:32]


@dataclass
class _Marker:
    kind: str
    ordinal: int
    start: int  # position in clean text
    body: int  # position after the marker
    shown: str  # marker as displayed, e.g. "1." for a masked "*."


@dataclass
class _Node:
    marker: _Marker | None
    heading: str = ""
    start: int = 0
    end: int = 0
    children: list["_Node"] = field(default_factory=list)


# ---------------------------------------------------------------- marker finding

def _display(kind: str, ordinal: int, raw: str) -> str:
    if kind == "num":
        sep = "、" if "、" in raw else "."
        return f"{ordinal}{sep}"
    if kind in ("pcn", "pnum"):
        return "（" + raw.strip().strip("（()）").strip() + "）"
    return raw.strip()


def _expected(stack: list[tuple[str, int]], kind: str) -> int:
    """The ordinal a marker of this kind should have next (1 when the kind is not open)."""
    for k, ordinal in reversed(stack):
        if k == kind:
            return ordinal + 1
    return 1


def _push(stack: list[tuple[str, int]], kind: str, ordinal: int) -> None:
    """Record an accepted marker: close deeper levels if its kind is open, else open a new level."""
    if any(k == kind for k, _ in stack):
        while stack[-1][0] != kind:
            stack.pop()
        stack[-1] = (kind, ordinal)
    else:
        stack.append((kind, ordinal))


def _find_markers(clean: str) -> list[_Marker]:
    markers: list[_Marker] = []
    stack: list[tuple[str, int]] = []  # (kind, last ordinal)

    def accept(m: _Marker) -> None:
        _push(stack, m.kind, m.ordinal)
        markers.append(m)

    pos = 0
    body_started = False
    for line in clean.split("\n"):
        line_start = pos
        pos += len(line) + 1
        stripped = line.lstrip()
        lead = line_start + len(line) - len(stripped)
        if body_started and _DATE_LINE.match(stripped.strip()):
            markers.append(_Marker("end", 0, line_start, line_start, ""))
            stack.clear()
            continue
        scan_from = lead
        head = _match_at(stripped, 0)
        if head is not None:
            kind, raw, value, length = head
            ordinal = _expected(stack, kind) if "*" in value else cn_to_int(value)
            accept(_Marker(kind, ordinal, lead, lead + length, _display(kind, ordinal, raw)))
            body_started = True
            scan_from = lead + length
        for m in _inline_markers(clean, scan_from, line_start + len(line), stack):
            accept(m)
    return markers


def _match_at(text: str, i: int, end: int | None = None) -> tuple[str, str, str, int] | None:
    """Marker at text[i] within text[:end]: (kind, raw text, ordinal text, length)."""
    end = len(text) if end is None else end
    for kind, _, rx in _MARKERS:
        m = rx.match(text, i, end)
        if m and m.end() < end:
            nxt = text[m.end()]
            if kind == "num" and not ("\u4e00" <= nxt <= "\u9fff" or nxt in "“《（("):
                continue
            if kind == "cn" and len(m.group(1)) > 3:
                continue
            return kind, m.group(0), m.group(1), m.end() - i
    return None


def strip_marker(text: str) -> str:
    """Text without its leading clause marker ("1.", "*.", "2,", "（一）", "四、"), as the parser reads them."""
    hit = _match_at(text, 0)
    if hit:
        return text[hit[3]:]
    comma = _INLINE_NUM_COMMA.match(text)
    return text[comma.end():] if comma else text


def _inline_markers(clean: str, lo: int, hi: int, stack: list[tuple[str, int]]) -> list[_Marker]:
    """Markers inside a line, accepted only when their ordinal is the next one expected."""
    found: list[_Marker] = []
    i = lo + 1
    local_stack = list(stack)
    while i < hi:
        ch = clean[i]
        if not (ch.isdigit() or ch in _CN or ch in "（(*" or ch in _CIRCLED or ch == "第"):
            i += 1
            continue
        prev = clean[i - 1]
        if prev.isdigit() or prev in "*" or (ch in _CN and prev in _CN):
            i += 1
            continue
        hit = _match_at(clean, i, hi)
        kind, raw, value, length = hit if hit else ("", "", "", 0)
        if not hit:
            comma = _INLINE_NUM_COMMA.match(clean, i)
            if not comma or comma.end() > hi:
                i += 1
                continue
            kind, raw, value, length = "num", comma.group(0), comma.group(1), len(comma.group(0))
        ordinal = cn_to_int(value) if "*" not in value else -1
        want = _expected(local_stack, kind)
        on_stack = any(k == kind for k, _ in local_stack)
        top_rank = _RANK.get(local_stack[-1][0], -1) if local_stack else -1
        ok = False
        if on_stack and ordinal == want:
            ok = kind != "cn" or prev in _SENTENCE_END or "\u4e00" <= prev <= "\u9fff" or prev in "）)" or prev.isspace()
        elif on_stack and kind in ("num", "pnum") and want < ordinal <= want + 3:
            # Scraped text sometimes loses items; a skipped number must look like a heading.
            ok = bool(_SHORT_HEADING.match(clean, i + length))
        elif not on_stack and ordinal == 1 and _RANK[kind] > top_rank:
            ok = kind != "cn" or prev in _SENTENCE_END or prev.isspace()
        if ok:
            found.append(_Marker(kind, ordinal, i, i + length, _display(kind, ordinal, raw)))
            _push(local_stack, kind, ordinal)
            i += length
        else:
            i += 1
    return found


# ---------------------------------------------------------------- tree and clauses

def _heading_of(clean: str, m: _Marker, end: int) -> str:
    """Short heading: marker plus the text up to the first sentence end (if short)."""
    body = clean[m.body:end].strip()
    first_line = body.split("\n", 1)[0]
    cut = re.search(rf"[{_SENTENCE_END}：:]|\s", first_line)
    title = first_line[: cut.start()] if cut else first_line
    if len(title) > 40:
        title = title[:30] + "…"
    return f"{m.shown}{title.strip()}"


def _build_tree(clean: str, markers: list[_Marker]) -> _Node:
    root = _Node(None, start=0, end=len(clean))
    stack: list[_Node] = [root]
    ends = [m.start for m in markers[1:]] + [len(clean)]
    for m, end in zip(markers, ends):
        if m.kind == "end":
            for node in stack[1:]:
                node.end = m.start
            stack = [root]
            root.children.append(_Node(m, heading="", start=m.start, end=end))
            continue
        while len(stack) > 1 and not _is_parent(stack[-1], m, stack):
            stack[-1].end = m.start
            stack.pop()
        node = _Node(m, heading=_heading_of(clean, m, end), start=m.start, end=len(clean))
        stack[-1].children.append(node)
        stack.append(node)
    for node in stack[1:]:
        node.end = min(node.end, len(clean))
    return root


def _is_parent(node: _Node, m: _Marker, stack: list[_Node]) -> bool:
    """Is `node` a parent for marker m? Not if m's kind is already open at or above it."""
    kinds_open = [n.marker.kind for n in stack[1:] if n.marker]
    if m.kind in kinds_open:
        return False
    return _RANK[m.kind] > _RANK[node.marker.kind] or node.marker.kind not in _RANK


def _own_end(node: _Node) -> int:
    return node.children[0].start if node.children else node.end


def parse_clauses(doc: Document, max_chars: int = 400) -> list[Clause]:
    """Split a document into leaf clauses (long ones into sentence-bounded parts)."""
    clean = doc.clean
    markers = _find_markers(clean)
    root = _build_tree(clean, markers)
    units: list[tuple[tuple[str, ...], str, str, int, int]] = []  # (path, marker chain, leaf title, start, end)

    preamble_end = root.children[0].start if root.children else len(clean)
    if len(re.sub(r"\s", "", clean[:preamble_end])) >= 20:
        units.append((("前言",), "", "前言", 0, preamble_end))

    def walk(node: _Node, path: tuple[str, ...], chain: str) -> None:
        for child in node.children:
            if child.marker.kind == "end":
                if len(re.sub(r"\s", "", clean[child.start:child.end])) >= 10:
                    units.append((("落款",), "", "落款", child.start, child.end))
                continue
            c_path = path + (child.heading,)
            c_chain = chain + child.marker.shown
            own_start, own_end = child.start, _own_end(child)
            own_text = clean[child.marker.body:own_end].strip()
            heading_only = not re.search(rf"[{_SENTENCE_END}]", own_text) and len(own_text) <= 40
            if not child.children or not heading_only:
                units.append((c_path, c_chain, child.heading[len(child.marker.shown):], own_start, own_end))
            walk(child, c_path, c_chain)

    walk(root, (), "")
    clauses: list[Clause] = []
    stem = doc.name.rsplit(".", 1)[0]
    for n, (path, chain, leaf_title, start, end) in enumerate(units):
        while end > start and clean[end - 1].isspace():
            end -= 1
        label = f"《{doc.title}》{chain}{leaf_title}"
        for part, (ps, pe) in enumerate(_split_long(clean, start, end, max_chars)):
            text = clean[ps:pe].strip()
            if not text:
                continue
            o_start, o_end = doc.span(ps, pe)
            clauses.append(
                Clause(
                    id=f"{stem}:{n:03d}" + (f".{part}" if part else ""),
                    doc=doc.name,
                    title=doc.title,
                    path=path,
                    label=label,
                    text=text,
                    start=o_start,
                    end=o_end,
                    duties=extract_duties(text),
                    part=part,
                )
            )
    return clauses


def _split_long(clean: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Split [start, end) at sentence ends into pieces of at most ~max_chars."""
    if end - start <= max_chars:
        return [(start, end)]
    cuts = [m.end() for m in re.finditer(rf"[{_SENTENCE_END}]", clean[start:end])]
    pieces: list[tuple[int, int]] = []
    piece_start = 0
    last_cut = 0
    for cut in cuts + [end - start]:
        if cut - piece_start > max_chars and last_cut > piece_start:
            pieces.append((start + piece_start, start + last_cut))
            piece_start = last_cut
        last_cut = cut
    pieces.append((start + piece_start, end))
    return [p for p in pieces if p[1] > p[0]]
