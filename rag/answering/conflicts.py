"""Documents that disagree: when retrieved clauses from different documents state different figures for the
same item, the answer says so and cites both, instead of letting the better-ranked one win silently (an
uploaded document can contradict a real one)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

from ..ingest.headings import strip_marker
from ..text.overlap import support
from ..text.quantities import QUANTITY, quantities
from ..types import Hit
from .thresholds import CONFLICT_SAME_ITEM
from .verification import Checked

if TYPE_CHECKING:  # pragma: no cover
    from .answerability import Evidence, Verdict

DISAGREE_NOTE = "不同文件对此给出的数字不一致，请核对原文，并以发文机关和日期为准。"


def _item(sentence: str) -> str:
    """The sentence with its figures left out: what it says the figure is of."""
    return QUANTITY.sub(" ", sentence)


def disagree(a: str, b: str) -> bool:
    """Two figure sentences about the same item that state no figure in common."""
    figures_a, figures_b = quantities(a), quantities(b)
    if not figures_a or not figures_b or figures_a & figures_b:
        return False
    return max(support(_item(a), _item(b)), support(_item(b), _item(a))) >= CONFLICT_SAME_ITEM


def conflict(verdict: "Verdict", hits: Sequence[Hit], cited: set[int]) -> "Evidence | None":
    """Evidence from another document that contradicts the cited evidence, or None. Comparisons (which ask
    about two sides on purpose) have none."""
    if verdict.ask.comparison or not verdict.evidence:
        return None
    shown = [e for e in verdict.evidence if e.index + 1 in cited] or [verdict.evidence[0]]
    for other in verdict.evidence:
        if other.index + 1 in cited:
            continue
        for e in shown:
            if hits[other.index].doc != hits[e.index].doc and disagree(e.sentence, other.sentence):
                return other
    return None


def conflict_sentences(verdict: "Verdict", hits: Sequence[Hit], cited: set[int]) -> list[Checked]:
    """The contradicting sentence with its citation and the note saying the documents disagree ([] if none)."""
    other = conflict(verdict, hits, cited)
    if other is None:
        return []
    quote = re.sub(r"\s+", " ", strip_marker(other.sentence)).strip()
    return [
        Checked(f"但另一份文件《{hits[other.index].title}》的说法不同：“{quote}”", [other.index + 1]),
        Checked(DISAGREE_NOTE, []),
    ]
