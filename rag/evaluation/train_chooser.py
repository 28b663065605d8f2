"""`python -m rag train-chooser`: fit the learned chooser (rag/answering/chooser.py) on labelled questions.

Each answerable question whose retrieval returns clauses gives one Choice: the candidates (the first
CHOOSER_DEPTH hits a model may cite, each read as if it came first) and, for each, whether its quoted window holds
the gold answer. The sources and their train/tune splits are the reader's (rag/evaluation/training_questions.py: own
questions without the check ids, NCP's raw train file without check and sample ids, RGB items 100–199), never a
check set. A logistic model is fitted on every training candidate; the margin by which a candidate must beat the
first clause is chosen on the tuning choices: the one that quotes the answer most often while no source's tuning
choices do worse than quoting the first clause always.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from ..answering.answerability import judge
from ..answering.chooser import CHOOSER_FEATURES, CHOOSER_PARAMETERS, Candidate, candidates, pick
from ..answering.reader import Reader
from .train_reader import ROW_HITS, Question, fit, gathered, split_table, write_parameters

# Margins (in log-odds) tried on the tuning choices; NEVER_SWITCH when every one loses on some source.
MARGINS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
NEVER_SWITCH = 1e6


@dataclass
class Choice:
    id: str
    source: str
    split: str
    question: str
    indices: list[int]  # the candidates' hit indices (the first is 0)
    values: list[list[float]]  # their features (CHOOSER_FEATURES)
    holds: list[int]  # 1 when the candidate's quoted window holds the answer
    applies: bool  # the rules answer it by quoting a clause (not refused, no figure-evidence sentence)

    def candidates(self) -> list[Candidate]:
        return [Candidate(i, tuple(v), "") for i, v in zip(self.indices, self.values)]


def choices_for(question: Question, retriever, min_relevance: float) -> list[Choice]:
    """The question's Choice ([] when it is unanswerable or nothing was retrieved)."""
    if question.holds is None:
        return []
    hits = [h for h in retriever.search(question.text, ROW_HITS) if h.answer_text.strip()]
    if not hits:
        return []
    verdict = judge(question.text, hits, retriever.facts)
    found = candidates(question.text, hits, verdict, retriever.facts)
    applies = verdict.answerable and not verdict.evidence and hits[0].dense >= min_relevance
    return [
        Choice(
            question.id,
            question.source,
            question.split,
            question.text,
            [c.index for c in found],
            [list(c.values) for c in found],
            [int(question.holds(c.window)) for c in found],
            applies,
        )
    ]


def outcome(model: Reader, choices: Sequence[Choice]) -> dict[str, float]:
    """How often the first clause's window, the chosen one's and the best possible one hold the answer."""
    n = max(1, len(choices))
    chosen = [c.indices.index(pick(model, c.candidates())) for c in choices]
    return {
        "questions": len(choices),
        "first": round(sum(c.holds[0] for c in choices) / n, 4),
        "chosen": round(sum(c.holds[k] for c, k in zip(choices, chosen)) / n, 4),
        "oracle": round(sum(max(c.holds) for c in choices) / n, 4),
        "switched": round(sum(k != 0 for k in chosen) / n, 4),
    }


def by_source(model: Reader, choices: Sequence[Choice]) -> dict[str, dict[str, float]]:
    return {
        source: outcome(model, [c for c in choices if c.source == source])
        for source in sorted({c.source for c in choices})
    }


def choose_margin(model: Reader, tune: Sequence[Choice], margins: Sequence[float] = MARGINS) -> float:
    """The margin that holds the answer most often on the tuning choices with no source doing worse than the first
    clause always (the smallest such margin on a tie); NEVER_SWITCH when none does."""
    best: tuple[float, float] | None = None
    for margin in margins:
        figures = by_source(replace(model, threshold=margin), tune)
        if any(f["chosen"] < f["first"] for f in figures.values()):
            continue
        total = sum(f["chosen"] * f["questions"] for f in figures.values())
        if best is None or total > best[0]:
            best = (total, margin)
    return best[1] if best is not None else NEVER_SWITCH


def train(choices: Sequence[Choice], space: str = "") -> tuple[Reader, dict]:
    """Fit on every training candidate; choose the margin on the tuning choices the rules answer by a quote."""
    train_rows = [c for c in choices if c.split == "train"]
    tune_rows = [c for c in choices if c.split == "tune" and c.applies]
    x = np.array([v for c in train_rows for v in c.values])
    y = np.array([h for c in train_rows for h in c.holds], dtype=float)
    if len(x) == 0 or len(set(y.tolist())) < 2:
        raise ValueError("the training choices need candidates that hold the answer and candidates that do not")
    mean, scale, weights, bias = fit(x, y)
    model = Reader(tuple(mean.tolist()), tuple(scale.tolist()), tuple(weights.tolist()), bias, 0.0, space)
    margin = choose_margin(model, tune_rows) if tune_rows else NEVER_SWITCH
    model = replace(model, threshold=margin)
    report = {
        "train_choices": len(train_rows),
        "tune_choices": len(tune_rows),
        "margin": margin,
        "train": by_source(model, [c for c in train_rows if c.applies]),
        "tune": by_source(model, tune_rows),
    }
    return model, report


def run_train_chooser(
    settings,
    out: Path = CHOOSER_PARAMETERS,
    limit: int | None = None,
    shared: bool = True,
    rows_file: Path | None = None,
) -> dict:
    """Gather (or read back) the choices, fit, write the parameters; returns the fitted figures."""
    choices = gathered(settings, limit, shared, rows_file, Choice, choices_for)
    from ..indexing.embedders import embedder_from

    model, report = train(choices, space=embedder_from(settings).space)
    write_parameters(model, report, out, CHOOSER_FEATURES)
    return report


def format_chosen(report: dict) -> str:
    margin = report["margin"]
    shown = "never switch" if margin >= NEVER_SWITCH else f"{margin:g}"
    return "\n".join(
        [
            f"fitted on {report['train_choices']} questions' candidates; margin chosen on "
            f"{report['tune_choices']} tuning questions the rules answer by a quote: {shown}"
        ]
        + split_table(report, ("questions", "first", "chosen", "oracle", "switched"))
    )


__all__ = [
    "Choice",
    "MARGINS",
    "NEVER_SWITCH",
    "by_source",
    "choices_for",
    "choose_margin",
    "format_chosen",
    "run_train_chooser",
    "train",
]
