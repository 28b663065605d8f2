"""Parse a cleaned document into citable clauses: the marker tree (see headings.py), leaf clauses with their
heading path, and long clauses split at sentence ends with the label kept."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..config import MAX_CLAUSE_CHARS
from ..text.sentences import SENTENCE_ENDS
from ..types import Clause, Document
from .duties import extract_duties
from .headings import RANK, Marker, find_markers
from .screening import instructions_in


@dataclass
class _Node:
    marker: Marker | None
    heading: str = ""
    start: int = 0
    end: int = 0
    children: list["_Node"] = field(default_factory=list)

    @property
    def mark(self) -> Marker:
        """The heading marker of a node below the root (only the root has none)."""
        assert self.marker is not None, "the root has no marker"
        return self.marker


def _heading_of(clean: str, m: Marker, end: int) -> str:
    """Short heading: marker plus the text up to the first sentence end (if short)."""
    body = clean[m.body : end].strip()
    first_line = body.split("\n", 1)[0]
    cut = re.search(rf"[{SENTENCE_ENDS}：:]|\s", first_line)
    title = first_line[: cut.start()] if cut else first_line
    if len(title) > 40:
        title = title[:30] + "…"
    return f"{m.shown}{title.strip()}"


def _build_tree(clean: str, markers: list[Marker]) -> _Node:
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


def _is_parent(node: _Node, m: Marker, stack: list[_Node]) -> bool:
    """Is `node` a parent for marker m? Not if m's kind is already open at or above it."""
    kinds_open = [n.marker.kind for n in stack[1:] if n.marker]
    if m.kind in kinds_open:
        return False
    return RANK[m.kind] > RANK[node.mark.kind] or node.mark.kind not in RANK


def _own_end(node: _Node) -> int:
    return node.children[0].start if node.children else node.end


def parse_clauses(doc: Document, max_chars: int = MAX_CLAUSE_CHARS) -> list[Clause]:
    """Split a document into leaf clauses (long ones into sentence-bounded parts)."""
    clean = doc.clean
    markers = find_markers(clean)
    root = _build_tree(clean, markers)
    units: list[tuple[tuple[str, ...], str, str, int, int]] = []  # (path, marker chain, leaf title, start, end)

    preamble_end = root.children[0].start if root.children else len(clean)
    if len(re.sub(r"\s", "", clean[:preamble_end])) >= 20:
        units.append((("前言",), "", "前言", 0, preamble_end))

    def walk(node: _Node, path: tuple[str, ...], chain: str) -> None:
        for child in node.children:
            if child.mark.kind == "end":
                if len(re.sub(r"\s", "", clean[child.start : child.end])) >= 10:
                    units.append((("落款",), "", "落款", child.start, child.end))
                continue
            c_path = path + (child.heading,)
            c_chain = chain + child.mark.shown
            own_start, own_end = child.start, _own_end(child)
            own_text = clean[child.mark.body : own_end].strip()
            heading_only = not re.search(rf"[{SENTENCE_ENDS}]", own_text) and len(own_text) <= 40
            if not child.children or not heading_only:
                units.append((c_path, c_chain, child.heading[len(child.mark.shown) :], own_start, own_end))
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
                    flagged=tuple(instructions_in(text)),
                )
            )
    return clauses


# A run with no sentence end longer than this many times the clause length is cut (shorter long sentences stay
# whole, as policy sentences can be); where, best first: after a comma or colon, then at a space.
LONG_RUN_FACTOR = 3
SOFT_BREAKS = (re.compile(r"[，,、：:]"), re.compile(r"\s+"))


def _cut_points(text: str, max_chars: int) -> list[int]:
    """Offsets in `text` after which a clause part may end: sentence ends; inside a run without one longer than
    LONG_RUN_FACTOR × max_chars, commas and colons, then spaces, then every max_chars characters (a
    999k-character line still splits)."""
    cuts = [m.end() for m in re.finditer(rf"[{SENTENCE_ENDS}]", text)]
    out: list[int] = []
    previous = 0
    for cut in cuts + [len(text)]:
        if cut - previous > LONG_RUN_FACTOR * max_chars:
            out.extend(_run_cuts(text, previous, cut, max_chars))
        out.append(cut)
        previous = cut
    return out[:-1] if out and out[-1] == len(text) else out


def _run_cuts(text: str, start: int, end: int, max_chars: int, level: int = 0) -> list[int]:
    """Cut points inside text[start:end] so no piece is longer than max_chars."""
    if end - start <= max_chars:
        return []
    if level < len(SOFT_BREAKS):
        points = [start + m.end() for m in SOFT_BREAKS[level].finditer(text, start, end) if start + m.end() < end]
        points = sorted(set(p for p in points if start < p < end))
    else:
        points = list(range(start + max_chars, end, max_chars))
    out: list[int] = []
    previous = start
    for point in points + [end]:
        if point - previous > max_chars:
            out.extend(_run_cuts(text, previous, point, max_chars, level + 1))
        if point < end:
            out.append(point)
        previous = point
    return out


def _split_long(clean: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Split [start, end) at sentence ends into pieces of at most ~max_chars (runs without a sentence end are
    cut at commas, spaces, or by length)."""
    if end - start <= max_chars:
        return [(start, end)]
    cuts = _cut_points(clean[start:end], max_chars)
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
