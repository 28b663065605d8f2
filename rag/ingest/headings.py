"""Find clause markers in cleaned text: the heading ladder 第X章 / 第X节 → 一、 → （一） → 1. 1、 *. → （1） → ①,
with 第X条 at the 1. level.

Markers are found at line starts and, for run-together text, inside lines when their ordinal is the one
expected next (so "达3.2%" or "统一、" are not mistaken for headings). Masked numbers ("*." / "**.") take the
ordinal their position implies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text.dates import cn_date
from ..text.masks import MASK_CHAR, MASKED, is_masked
from ..text.numerals import CIRCLED, CN_NUMERAL_CHARS, cn_to_int
from ..text.sentences import SENTENCE_ENDS


# (kind, rank, regex). Rank orders the default nesting; the parser itself follows the document.
_MARKERS: list[tuple[str, int, re.Pattern[str]]] = [
    ("chapter", 0, re.compile(rf"第([{CN_NUMERAL_CHARS}\d]+)章\s*")),
    ("section", 1, re.compile(rf"第([{CN_NUMERAL_CHARS}\d]+)节\s*")),
    ("cn", 2, re.compile(rf"([{CN_NUMERAL_CHARS}]+)\s*、\s*")),
    ("pcn", 3, re.compile(rf"[（(]\s*([{CN_NUMERAL_CHARS}]+)\s*[）)]\s*")),
    ("article", 4, re.compile(rf"第([{CN_NUMERAL_CHARS}\d]+)条\s*")),
    ("num", 4, re.compile(rf"(\d{{1,2}}|{MASKED}{{1,2}})\s?[.．、](?![\d{MASKED}])\s*")),
    ("pnum", 5, re.compile(r"[（(]\s*(\d{1,2})\s*[）)]\s*")),
    ("circ", 6, re.compile(rf"([{CIRCLED}])\s*")),
]
RANK = {kind: rank for kind, rank, _ in _MARKERS}
# Inline number markers may also use a comma typo ("2,整合…"), accepted only when expected next.
_INLINE_NUM_COMMA = re.compile(r"(\d{1,2})\s?[,，](?=[\u4e00-\u9fff])")
_SHORT_HEADING = re.compile(r"[\u4e00-\u9fff“][^。；;，,]{3,29}。")
_DATE_LINE = re.compile("^" + cn_date(r"[\d*]", capture=False) + "$")


@dataclass
class Marker:
    kind: str
    ordinal: int
    start: int  # position in clean text
    body: int  # position after the marker
    shown: str  # marker as displayed, e.g. "1." for a masked "*."


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


def find_markers(clean: str) -> list[Marker]:
    markers: list[Marker] = []
    stack: list[tuple[str, int]] = []  # (kind, last ordinal)

    def accept(m: Marker) -> None:
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
            markers.append(Marker("end", 0, line_start, line_start, ""))
            stack.clear()
            continue
        scan_from = lead
        head = _match_at(stripped, 0)
        if head is not None:
            kind, raw, value, length = head
            ordinal = _expected(stack, kind) if is_masked(value) else cn_to_int(value)
            accept(Marker(kind, ordinal, lead, lead + length, _display(kind, ordinal, raw)))
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
        return text[hit[3] :]
    comma = _INLINE_NUM_COMMA.match(text)
    return text[comma.end() :] if comma else text


def _inline_markers(clean: str, lo: int, hi: int, stack: list[tuple[str, int]]) -> list[Marker]:
    """Markers inside a line, accepted only when their ordinal is the next one expected."""
    found: list[Marker] = []
    i = lo + 1
    local_stack = list(stack)
    while i < hi:
        ch = clean[i]
        if not (ch.isdigit() or ch in CN_NUMERAL_CHARS or ch in "（(*" or ch in CIRCLED or ch == "第"):
            i += 1
            continue
        prev = clean[i - 1]
        if prev.isdigit() or prev == MASK_CHAR or (ch in CN_NUMERAL_CHARS and prev in CN_NUMERAL_CHARS):
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
        ordinal = cn_to_int(value) if not is_masked(value) else -1
        want = _expected(local_stack, kind)
        on_stack = any(k == kind for k, _ in local_stack)
        top_rank = RANK.get(local_stack[-1][0], -1) if local_stack else -1
        ok = False
        if on_stack and ordinal == want:
            ok = (
                kind != "cn" or prev in SENTENCE_ENDS or "\u4e00" <= prev <= "\u9fff" or prev in "）)" or prev.isspace()
            )
        elif on_stack and kind in ("num", "pnum") and want < ordinal <= want + 3:
            # Scraped text sometimes loses items; a skipped number must look like a heading.
            ok = bool(_SHORT_HEADING.match(clean, i + length))
        elif not on_stack and ordinal == 1 and RANK[kind] > top_rank:
            ok = kind != "cn" or prev in SENTENCE_ENDS or prev.isspace()
        if ok:
            found.append(Marker(kind, ordinal, i, i + length, _display(kind, ordinal, raw)))
            _push(local_stack, kind, ordinal)
            i += length
        else:
            i += 1
    return found
