"""List questions answered from the document's own structure: 「主要任务有哪些」 is answered by the headings under
the document's heading 「四、主要任务」, across the clauses that hold them, each item cited to its clause; a clause
that counts its items itself (「一是……二是……三是……」) is answered by each item's lead sentence.

Only headings and ordinals the document wrote decide what a list is; the question only has to name the heading."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

from ..ingest.headings import strip_marker
from ..text.normalize import for_match
from ..text.numerals import CN_ORDINAL_DIGITS
from ..text.overlap import support
from ..text.sentences import SENTENCE_ENDS
from ..types import Clause, Hit
from .verification import Checked
from .thresholds import HEADING_NAMED

# A heading named by fewer characters than this is too generic to list ("一、" or "其他").
MIN_HEADING_CHARS = 2
# A clause's own heading is the list the question asks for when they share a run of this many characters
# (「三大重点领域是哪三个」 and 「实施“三大重点领域”支撑引领行动计划」).
SHARED_RUN = 4
# Items listed at most (a longer list is cut, and says so).
MAX_ITEMS = 12
# Top clauses whose headings are tried, best first.
HEADING_HITS = 3
# Items a clause counts itself: 「一是」「二是」 at the start of a sentence, up to the sentence's end.
ORDINAL_ITEM = re.compile(
    rf"(?:^|(?<=[{SENTENCE_ENDS}\s]))([{CN_ORDINAL_DIGITS}]{{1,2}}是[^{SENTENCE_ENDS}]{{2,120}}[{SENTENCE_ENDS}]?)"
)

Section = Callable[[str, tuple[str, ...]], list[Clause]]  # (document, heading path prefix) → its clauses in order


@dataclass
class Listing:
    """A list answer: the sentences to show and the clauses they cite that retrieval did not return."""

    checked: list[Checked] = field(default_factory=list)
    extra: list[Hit] = field(default_factory=list)


def names_heading(question: str, heading: str) -> bool:
    """The question names the heading (its words, markers aside, are nearly all in the question)."""
    words = strip_marker(heading).strip()
    return len(for_match(words)) >= MIN_HEADING_CHARS and support(words, question) >= HEADING_NAMED


def shares_run(question: str, heading: str, run: int = SHARED_RUN) -> bool:
    """The question and the heading share a run of `run` characters (punctuation and spaces aside)."""
    q, h = for_match(question), for_match(strip_marker(heading))
    return any(q[i : i + run] in h for i in range(len(q) - run + 1))


def _children(members: Sequence[Clause], depth: int) -> list[tuple[str, Clause]]:
    """The next-level headings under a heading (in document order) with the first clause under each."""
    out: dict[str, Clause] = {}
    for clause in members:  # a clause that is only flagged text (it addresses the assistant) cannot answer
        if len(clause.path) > depth and clause.answer_text.strip():
            out.setdefault(clause.path[depth], clause)
    return list(out.items())


def _ordinal_items(text: str) -> list[str]:
    items = [m.group(1).strip() for m in ORDINAL_ITEM.finditer(text)]
    return items if len(items) >= 2 and items[0].startswith("一是") else []


def section_list(question: str, hits: Sequence[Hit], section: Section) -> Listing | None:
    """The items under the heading the question names, or None when it names none with a list under it."""
    for rank, hit in enumerate(hits[:HEADING_HITS]):
        path = hit.clause.path
        if path and shares_run(question, path[-1]):  # the clause's own heading: a list when it counts its items
            items = _ordinal_items(hit.answer_text)
            if items:
                return _ended(Listing([Checked(f"“{item}”", [rank + 1], newline=True) for item in items[:MAX_ITEMS]]))
        for depth in range(len(path) - 1, 0, -1):  # the deepest heading above the clause the question names
            if not names_heading(question, path[depth - 1]):
                continue
            children = _children(section(hit.clause.doc, path[:depth]), depth)
            if len(children) < 2:
                break
            return _ended(_heading_listing(path[depth - 1], children, hits))
    return None


def _ended(listing: Listing) -> Listing:
    listing.checked[-1].newline = False  # one item per line; the answer's end is not another line
    return listing


def _heading_listing(heading: str, children: list[tuple[str, Clause]], hits: Sequence[Hit]) -> Listing:
    listing = Listing([Checked(f"「{strip_marker(heading).strip()}」下列有：", [], newline=True)])
    position = {h.clause.id: i for i, h in enumerate(hits)}
    for child, clause in children[:MAX_ITEMS]:
        if clause.id not in position:
            position[clause.id] = len(hits) + len(listing.extra)
            listing.extra.append(Hit(clause, score=0.0, dense=0.0, keyword=0.0))
        listing.checked.append(Checked(f"{child.strip()}", [position[clause.id] + 1], newline=True))
    if len(children) > MAX_ITEMS:
        listing.checked.append(Checked(f"（另有 {len(children) - MAX_ITEMS} 项未列出）", [], newline=True))
    return listing
