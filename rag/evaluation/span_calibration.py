"""`python -m rag calibrate-span-reader`: where the span reader's refusal margin goes, measured on tuning questions
only (the project's own sets, NCP sample.jsonl, RGB items 100–199; never a check set), and whether its
pick of the clause to quote beats the learned chooser's.

For each question (and, for an answerable one whose answer was retrieved, for the same retrieval with the answer's
clauses removed, as the learned reader's rows are made) it records whether the rules would answer, the reader's
best margin, and whether the clause each of them would quote holds the answer. SPAN_ANSWER_MARGIN is then the
highest margin that refuses at most MAX_FALSE_REFUSALS of every source's answerable rows the rules let through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..answering.answerability import judge
from ..answering.chooser import chosen
from ..answering.span_answers import abstains, quoted_clause, read_hits
from .train_reader import REMOVAL_POOL, ROW_HITS, Question

MAX_FALSE_REFUSALS = 0.05  # of each source's answerable rows the rules answer
# The override (SPAN_OVERRIDE_MARGIN) may answer at most this share of each source's unanswerable rows.
MAX_FALSE_OVERRIDES = 0.02
CANDIDATE_MARGINS = tuple(x / 2 for x in range(-12, 13))
OVERRIDE_MARGINS = tuple(x / 2 for x in range(0, 21))


@dataclass
class MarginRow:
    id: str
    source: str
    label: int  # 1: the retrieval holds the answer; 0: it does not (unanswerable, or the answer removed)
    passes: bool
    margin: float
    span_holds: bool  # the clause the reader would quote holds the answer
    chooser_holds: bool  # the clause the chooser would quote holds it
    absent_only: bool = False  # the rules refused only for absent words (Verdict.absent_only)
    near_margin: float = -99.0  # the reader's margin when its best span lies in the clause the rules judged nearest
    quoted_holds: bool = False  # the clause the answer path quotes (span_answers.quoted_clause) holds it


def margin_rows(reader):
    """A `rows_of` for train_reader.gather: the question's MarginRows over its retrieval as is and, when it held
    the answer, without the answer's clauses."""

    def rows_of(question: Question, retriever, min_relevance: float) -> list[MarginRow]:
        if question.source == "ncp" and question.split != "tune":
            return []  # NCP's raw train questions taught the reader: only sample.jsonl (tune) calibrates it
        pool = [h for h in retriever.search(question.text, REMOVAL_POOL) if h.answer_text.strip()]
        kept = pool[:ROW_HITS]
        if question.holds is None:
            return [r for r in [_row(reader, question, retriever, kept, 0, min_relevance)] if r]
        holding = [question.holds(h.text) for h in pool]
        if not any(holding):
            return []
        out = [_row(reader, question, retriever, kept, 1, min_relevance)] if any(holding[:ROW_HITS]) else []
        removed = [h for h, held in zip(pool, holding) if not held][:ROW_HITS]
        out.append(_row(reader, question, retriever, removed, 0, min_relevance))
        return [r for r in out if r is not None]

    return rows_of


def _row(reader, question: Question, retriever, hits, label: int, min_relevance: float) -> MarginRow | None:
    if not hits:
        return None
    verdict = judge(question.text, hits, retriever.facts)
    reachable = hits[0].dense >= min_relevance and not retriever.unknown_entities(question.text)
    passes = verdict.answerable and reachable
    found = read_hits(reader, question.text, hits, verdict)
    margin = found.reading.margin if found else -99.0
    if abstains(verdict, found):
        margin = float("inf")  # it neither refuses nor answers here
    first = chosen(question.text, hits, verdict, retriever.facts, retriever.embedder.space)
    holds = question.holds or (lambda text: False)
    return MarginRow(
        question.id,
        question.source,
        label,
        passes,
        margin,
        found is not None and holds(hits[found.hit].text),
        holds(hits[first].text),
        verdict.absent_only and reachable,
        found.reading.margin if found is not None and found.hit == verdict.near else -99.0,
        holds(hits[quoted_clause(first, found)].text),
    )


def summary(rows: Sequence[MarginRow], budget: float = MAX_FALSE_REFUSALS) -> tuple[float, list[str]]:
    """The margin chosen and the table: per source and candidate margin, answerable rows refused and unanswerable
    rows refused (among the rows the rules answer); the reader's and the chooser's quoted clause holding the
    answer."""
    sources = sorted({r.source for r in rows})
    passing = [r for r in rows if r.passes]
    chosen_margin = CANDIDATE_MARGINS[0]
    lines = ["margin  " + "  ".join(f"{s}: answerable refused / unanswerable refused" for s in sources)]
    for m in CANDIDATE_MARGINS:
        cells, within = [], True
        for s in sources:
            yes = [r for r in passing if r.source == s and r.label == 1]
            no = [r for r in passing if r.source == s and r.label == 0]
            false = sum(r.margin < m for r in yes) / max(1, len(yes))
            true = sum(r.margin < m for r in no) / max(1, len(no))
            within = within and false <= budget
            cells.append(f"{false:.3f} / {true:.3f} ({len(yes)}/{len(no)})")
        if within:
            chosen_margin = m
        lines.append(f"{m:6.1f}  " + "  ".join(cells))
    for s in sources:
        yes = [r for r in passing if r.source == s and r.label == 1]
        span = sum(r.span_holds for r in yes) / max(1, len(yes))
        chooser = sum(r.chooser_holds for r in yes) / max(1, len(yes))
        quoted = sum(r.quoted_holds for r in yes) / max(1, len(yes))
        lines.append(
            f"{s}: quoted clause holds the answer — span reader {span:.3f}, chooser {chooser:.3f}, "
            f"the path's (quoted_clause) {quoted:.3f} ({len(yes)})"
        )
    lines.append(f"chosen margin (at most {budget:.0%} of each source's answerable rows refused): {chosen_margin:.1f}")
    return chosen_margin, lines + override_summary(rows)


def override_summary(rows: Sequence[MarginRow], budget: float = MAX_FALSE_OVERRIDES) -> list[str]:
    """Rows the rules refused only for absent words: per source and candidate margin, answerable rows the reader
    would answer (from a clause holding the answer) and unanswerable rows it would answer; the lowest margin within
    `budget` of every source's unanswerable rows."""
    sources = sorted({r.source for r in rows})
    lines = ["override  " + "  ".join(f"{s}: answerable answered / unanswerable answered" for s in sources)]
    chosen = float("inf")
    for m in reversed(OVERRIDE_MARGINS):
        cells, within = [], True
        for s in sources:
            yes = [r for r in rows if r.source == s and r.label == 1 and r.absent_only]
            no_all = [r for r in rows if r.source == s and r.label == 0]
            gained = sum(r.near_margin >= m and r.span_holds for r in yes)
            lost = sum(r.absent_only and r.near_margin >= m for r in no_all)
            within = within and lost <= budget * max(1, len(no_all))
            cells.append(f"{gained} of {len(yes)} / {lost} of {len(no_all)}")
        if within:
            chosen = m
        lines.append(f"{m:6.1f}  " + "  ".join(cells))
    lines.append(f"chosen override margin (at most {budget:.0%} of each source's unanswerable rows answered): {chosen}")
    return lines


def run_calibration(settings, weights=None, limit: int | None = None, log=print) -> float:
    from ..answering.span_reader import load_reader
    from .train_reader import gather

    reader = load_reader(weights)
    rows = gather(settings, limit, True, log=log, rows_of=margin_rows(reader))
    margin, lines = summary(rows)
    for line in lines:
        log(line)
    return margin


__all__ = ["MarginRow", "margin_rows", "run_calibration", "summary"]
