"""Cleaning that only ever deletes characters of the original (boilerplate lines, pinyin artefacts, page
markers), so every character of the cleaned text maps back to a position in the original file."""

from __future__ import annotations

import re

from ..text.dates import iso_date
from ..text.normalize import PINYIN_AFTER_HAN
from .noise import site_noise

# Furniture every site prints the same way (a news header "2021-09-08 10:00 | site", page counters), and the
# furniture of known sites (site_noise.toml): a line matching any of them is deleted.
_STRUCTURAL_LINES = (
    rf"{iso_date('-', capture=False)}(?:\s+\d{{1,2}}:\d{{2}}(?::\d{{2}})?)?\s*[|｜].*",  # news header: date | site
    r"第\s*\d+\s*页\s*/\s*共\s*\d+\s*页",
    r".+_第\d+页",
)


NEVER = r"(?!)"  # what an empty list of patterns matches


def _any_of(patterns) -> str:
    return "|".join(f"(?:{p})" for p in patterns) or NEVER


_BOILERPLATE_LINE = re.compile(rf"^(?:{_any_of(_STRUCTURAL_LINES + site_noise().lines)})\s*$", re.IGNORECASE)
# After one of these lines, the rest of the file is site furniture.
_FOOTER_START = re.compile(rf"^\s*(?:{_any_of(site_noise().footer_starts)})\s*$")
_SHARING_SITE = re.compile(_any_of(site_noise().sharing_site))
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
