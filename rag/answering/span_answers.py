"""The span reader on the answer path: it reads the first citable clauses (each with its document title and
heading path); a best span that does not beat "no answer" by SPAN_ANSWER_MARGIN refuses (`refuses`), and a model's answer that
drops or changes the span (`states_span`) gives way to the quote when the quote holds it. Which clause is quoted
stays the chooser's: on the tuning sets it picked the clause holding the answer more often than the reader did, and
quoting only the sentence holding the span lost NCP answers their gold span (docs/benchmarks.md, "The span reader").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from ..text.overlap import support
from ..types import Hit
from .span_reader import Reading, SpanReader
from .thresholds import SPAN_ANSWER_MARGIN, SPAN_KEPT, SPAN_OVERRIDE_MARGIN, SPAN_SWITCH_MARGIN

if TYPE_CHECKING:  # pragma: no cover
    from .answerability import Verdict

SPAN_DEPTH = 5  # clauses the reader reads: the first five citable ones
SPAN_REFUSAL = "检索到的条款中没有找到回答这个问题的内容。"
SPAN_DROPPED_NOTE = "模型的回答没有给出原文中的答案，保留原文摘录。"


@dataclass(frozen=True)
class SpanFound:
    """The reader's best span over the hits: which hit (index), and the reading (span in its answer_text)."""

    hit: int
    reading: Reading
    margins: tuple[tuple[int, float], ...] = ()  # (hit index, its reading's margin) for every clause read

    def margin_of(self, hit: int) -> float | None:
        return dict(self.margins).get(hit)

    @property
    def answers(self) -> bool:
        return self.reading.margin >= SPAN_ANSWER_MARGIN


def passage_of(hit: Hit) -> tuple[str, str]:
    """What the reader reads of a clause: its document title and heading path, and its answerable text."""
    return f"{hit.title} {' '.join(hit.path)}".strip(), hit.answer_text


def read_hits(reader: SpanReader, question: str, hits: Sequence[Hit], verdict: "Verdict | None") -> SpanFound | None:
    """The best span among the first SPAN_DEPTH hits a model may cite (the first always); None without hits."""
    citable = verdict.citable if verdict is not None else None
    eligible = [i for i in range(min(SPAN_DEPTH, len(hits))) if i == 0 or citable is None or i + 1 in citable]
    eligible = [i for i in eligible if hits[i].answer_text.strip()]
    if not eligible:
        return None
    readings = reader.read(question, [passage_of(hits[i]) for i in eligible])
    best = max(range(len(eligible)), key=lambda n: (readings[n].margin, readings[n].span_score, -n))
    return SpanFound(eligible[best], readings[best], tuple((i, r.margin) for i, r in zip(eligible, readings)))


def quoted_clause(chooser: int, found: SpanFound | None, margin: float | None = None) -> int:
    """The clause to quote: the chooser's, or the reader's when its best span lies in another clause it read and
    beats its reading of the chooser's clause by `margin` (SPAN_SWITCH_MARGIN)."""
    margin = SPAN_SWITCH_MARGIN if margin is None else margin
    if found is None or found.hit == chooser:
        return chooser
    theirs = found.margin_of(chooser)
    return found.hit if theirs is not None and found.reading.margin - theirs >= margin else chooser


def abstains(verdict: "Verdict", found: SpanFound | None) -> bool:
    """Where the reader's margin cannot establish that nothing answers, so it neither refuses nor vouches:
    - a comparison (「…分别…」): it reads one clause at a time, and each side of a comparison is answered by a clause
      of its own, so no single clause answers the whole question;
    - an answer its kind head reads as YES or NO, not a span (in policy questions also many 「如何…」 ones answered
      by a whole clause): its margin learned only answers that are spans."""
    return verdict.ask.comparison or (found is not None and found.reading.kind != "span")


def refuses(verdict: "Verdict", found: SpanFound | None) -> bool:
    """Whether the reader refuses a question the rules answer: its best span does not beat "no answer" by
    SPAN_ANSWER_MARGIN, where it does not abstain (`abstains`)."""
    return found is not None and verdict.answerable and not abstains(verdict, found) and not found.answers


def overrides(verdict: "Verdict", found: SpanFound | None, margin: float | None = None) -> bool:
    """Whether the reader answers a question the rules refused only for absent words (`Verdict.absent_only`): its
    best span lies in the clause they judged nearest, by at least `margin` (SPAN_OVERRIDE_MARGIN)."""
    margin = SPAN_OVERRIDE_MARGIN if margin is None else margin
    return (
        found is not None
        and not verdict.answerable
        and verdict.absent_only
        and found.hit == verdict.near
        and found.reading.margin >= margin
    )


def states_span(texts: Sequence[str], span: str) -> bool:
    """Whether sentences (a model's answer) state the reader's span: at least SPAN_KEPT of its wording, in order
    or not (a model may reorder 「50万元奖补」 as 「奖补50万元」); an empty span is stated by anything."""
    return not span.strip() or support(span, " ".join(texts)) >= SPAN_KEPT


__all__ = [
    "SPAN_DEPTH",
    "SPAN_DROPPED_NOTE",
    "SPAN_REFUSAL",
    "SpanFound",
    "abstains",
    "overrides",
    "passage_of",
    "quoted_clause",
    "read_hits",
    "refuses",
    "states_span",
]
