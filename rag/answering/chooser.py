"""The learned chooser: which of the top clauses the extractive quote comes from.

Retrieval ranks clauses by how much they are about the question; the clause that *answers* it is often another of
the first five (NCP's tuning questions the rules answer by a quote: the first clause's quoted window holds the gold
span for 0.665 of them, one of the first five clauses' windows for 0.812). For each of the first CHOOSER_DEPTH hits the reader's features are read as
if that hit came first (`reader.reading`), with its rank and its gaps to the best candidate on the wording features
(CHOOSER_FEATURES). A logistic model fitted on labelled questions (`python -m rag train-chooser`,
rag/evaluation/train_chooser.py) scores each candidate: P(its quoted window holds the answer). The quote moves from
the first clause to another only when that one's log-odds are higher by more than the margin chosen on the tuning
split (stored with the parameters in chooser.json as its `threshold`).

It abstains (the first clause is quoted, as without it) when no parameters are shipped and when the index's vectors
come from another space than the one it was fitted in. Only clauses the checks let a model cite are candidates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from ..types import Hit
from ..indexing.e5_int8 import same_weights
from .answerability import Facts, Verdict, judge
from .reader import FEATURES, Reader, load_parameters, reading

log = logging.getLogger(__name__)
# Where the fitted parameters live (written by rag/evaluation/train_chooser.py).
CHOOSER_PARAMETERS = Path(__file__).with_name("chooser.json")
# How many of the ranked hits are candidates for the quote (3 did a little worse on the tuning splits: NCP 0.724
# against 0.729 quoted right, RGB 0.723 against 0.745; the cost is 9 ms p50, 31 ms p95 a question).
CHOOSER_DEPTH = 5
# Reader features also read as the gap to the best candidate's value (how this clause compares with the others).
RELATIVE = ("run", "run_clause", "clause", "window", "item", "figure_window", "keyword", "dense", "nouns_clause")
CHOOSER_FEATURES = FEATURES + ("first", "rank", "fused_gap") + tuple(f"{name}_gap" for name in RELATIVE)


@dataclass(frozen=True)
class Candidate:
    """One hit as the quote's source: its index into the hits, its features (CHOOSER_FEATURES), its window."""

    index: int
    values: tuple[float, ...]
    window: str


def candidates(
    question: str, hits: Sequence[Hit], verdict: Verdict, facts: Facts, depth: int = CHOOSER_DEPTH
) -> list[Candidate]:
    """The first `depth` hits that a model may cite (the first always), each read as if it came first."""
    eligible = [
        i for i in range(min(depth, len(hits))) if i == 0 or verdict.citable is None or i + 1 in verdict.citable
    ]
    read = []
    for i in eligible:
        order = [hits[i]] + [h for j, h in enumerate(hits) if j != i]
        seen = verdict if i == 0 else judge(question, order, facts)
        read.append((i, reading(question, order, seen, facts)))
    best = [max(getattr(r.values, name) for _, r in read) for name in RELATIVE]
    out = []
    for i, r in read:
        extra = (
            1.0 if i == 0 else 0.0,
            float(i),
            hits[i].score - hits[0].score,
            *(getattr(r.values, name) - top for name, top in zip(RELATIVE, best)),
        )
        out.append(Candidate(i, r.values + tuple(float(v) for v in extra), r.window))
    return out


def scores(model: Reader, found: Sequence[Candidate]) -> list[float]:
    """Each candidate's log-odds of holding the answer."""
    x = (np.array([c.values for c in found]) - np.asarray(model.mean)) / np.asarray(model.scale)
    return (x @ np.asarray(model.weights) + model.bias).tolist()


def pick(model: Reader, found: Sequence[Candidate]) -> int:
    """The index (into the hits) of the chosen candidate: the best-scored when it beats the first by more than the
    model's margin (its `threshold`), else the first."""
    if len(found) < 2:
        return 0
    z = scores(model, found)
    best = int(np.argmax(z))
    return found[best].index if z[best] - z[0] > model.threshold else found[0].index


@lru_cache(maxsize=4)
def load_chooser(path: Path = CHOOSER_PARAMETERS) -> Reader | None:
    """The fitted chooser, or None when no parameters are shipped (the first clause is then quoted)."""
    return load_parameters(path, CHOOSER_FEATURES)


def chosen(
    question: str, hits: Sequence[Hit], verdict: Verdict, facts: Facts, space: str, model: Reader | None = None
) -> int:
    """The hit (0-based) whose clause the extractive quote should come from; 0 when the chooser abstains."""
    model = model or load_chooser()
    if model is None or not same_weights(model.space, space) or len(hits) < 2:
        return 0
    index = pick(model, candidates(question, hits, verdict, facts))
    if index:
        log.info("chooser quotes hit %d for %r", index + 1, question)
    return index


__all__ = [
    "CHOOSER_DEPTH",
    "CHOOSER_FEATURES",
    "CHOOSER_PARAMETERS",
    "Candidate",
    "candidates",
    "chosen",
    "load_chooser",
    "pick",
    "scores",
]
