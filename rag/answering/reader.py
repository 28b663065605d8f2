"""The learned reader: how likely the retrieved clauses answer the question, from a model fitted on labelled data.

`reading(...)` turns a question and its ranked hits into one row of named features (FEATURES): retrieval scores,
wording overlap, and the question's item words, years and places read against the whole document (title, heading
path, text), not the clause alone. `Reader` is a logistic model over those rows. Its parameters (reader.json beside this file) were fitted
by `python -m rag train-reader` (rag/evaluation/train_reader.py) on questions whose answering clauses were kept
(answerable) or removed (unanswerable); its threshold was chosen on a tuning split and is stored with them.

The rules (answerability.judge) still refuse on evidence against; the reader refuses what they let through when
the clauses are unlikely to hold the answer.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from ..query.wording import found_in
from ..indexing.e5_int8 import same_weights
from ..text.normalize import for_match
from ..text.overlap import longest_run_share, support
from ..text.quantities import mentions_year, years_in
from ..types import Hit
from ..query.asks import has_figure
from .answerability import Facts, Verdict, clause_text
from .strategies import best_sentences, best_window

log = logging.getLogger(__name__)
# Where the fitted parameters live (written by rag/evaluation/train_reader.py).
READER_PARAMETERS = Path(__file__).with_name("reader.json")
# How many of the ranked hits the features read beside the first (the model path shows several clauses).
READER_DEPTH = 3


class Features(NamedTuple):
    """One question's features over its ranked hits, by name (the model reads them in this order)."""

    dense: float  # cosine of the question with the first clause (e5)
    dense_margin: float  # ... minus the mean cosine of the next READER_DEPTH-1 clauses
    keyword: float  # log(1 + BM25) of the first clause
    window: float  # share of the question's bigrams in the quoted window of the first clause
    clause: float  # ... in the first clause with its title and heading path
    item: float  # share of the asked item's bigrams (the question without question words) in the window and headings
    nouns_clause: float  # share of the question's item words found in the clause with title and headings
    nouns_document: float  # ... found anywhere in the clause's document
    nouns_corpus: float  # ... found anywhere in the corpus
    figure_asked: float  # the question asks for a figure
    figure_window: float  # ... and the window states one of that kind
    evidence: float  # the rules found a sentence stating the asked figure under every constraint
    # +1 every asked year is in the document's title or clause, -1 the clause dates others only, 0 none asked
    years: float
    places: float  # +1 every asked place is governed or named by the document, -1 not, 0 none asked
    others: float  # best share of the question's bigrams in a sentence of the next clauses
    run: float  # longest run of the asked item's characters found unbroken in the window, over the item's length
    run_clause: float  # ... in the clause with its title and headings
    length: float  # log of the question's length in characters


FEATURES: tuple[str, ...] = Features._fields


@dataclass(frozen=True)
class Reading:
    """One question's features over its hits (in FEATURES order)."""

    values: Features
    window: str = ""  # the first clause's quoted window the features read

    def as_dict(self) -> dict[str, float]:
        return self.values._asdict()


def _share(words: Sequence[str], present) -> float:
    return sum(1 for w in words if present(w)) / len(words) if words else 1.0


def _years(question_years: Sequence[str], hit: Hit) -> float:
    if not question_years:
        return 0.0
    if all(mentions_year(clause_text(hit), y) for y in question_years):
        return 1.0
    return -1.0 if years_in(hit.answer_text) else 0.0


def _places(places: Sequence[str], hit: Hit, facts: Facts) -> float:
    if not places:
        return 0.0
    governed = facts.places_of(hit.doc)
    ok = all(p in governed or facts.mentions(hit.doc, p) for p in places)
    return 1.0 if ok else -1.0


def reading(
    question: str, hits: Sequence[Hit], verdict: Verdict, facts: Facts, meaning: dict[str, float] | None = None
) -> Reading:
    """The features of `question` over its ranked `hits` (at least one), as the answer path sees them."""
    first = hits[0]
    ask = verdict.ask
    window = best_window(question, first.answer_text, meaning=meaning)
    headings = " ".join(first.path)
    whole = clause_text(first)
    context = for_match(whole)
    nouns = list(ask.nouns)
    others = [best_sentences(question, h.answer_text, 1) for h in hits[1:READER_DEPTH]]
    next_dense = [h.dense for h in hits[1:READER_DEPTH]]
    other_best = [s[0] for s in others if s]
    item = for_match(ask.item or question)
    values = Features(
        dense=first.dense,
        dense_margin=first.dense - (sum(next_dense) / len(next_dense) if next_dense else 0.0),
        keyword=math.log1p(max(first.keyword, 0.0)),
        window=support(question, window),
        clause=support(question, whole),
        item=support(ask.item or question, f"{headings} {window}"),
        nouns_clause=_share(nouns, lambda w: found_in(w, context)),
        nouns_document=_share(nouns, lambda w: found_in(w, context) or facts.mentions(first.doc, w)),
        nouns_corpus=_share(nouns, facts.in_corpus),
        figure_asked=1.0 if ask.wants_figure else 0.0,
        figure_window=1.0 if ask.wants_figure and has_figure(ask.kind, ask.unit, window) else 0.0,
        evidence=1.0 if verdict.evidence else 0.0,
        years=_years(ask.years, first),
        places=_places(ask.places, first, facts),
        others=max((support(question, s) for s in other_best), default=0.0),
        run=longest_run_share(item, for_match(window)),
        run_clause=longest_run_share(item, context),
        length=math.log(max(len(question), 1)),
    )
    return Reading(Features(*(float(v) for v in values)), window)


@dataclass(frozen=True)
class Reader:
    """A logistic model over standardised features: P(the hits answer the question) = σ(w·(x−μ)/σ + b)."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float  # answer when the probability is at least this (chosen on the tuning split)
    space: str = ""  # the vector space of the dense scores it was fitted on (an embedder's `space`)

    def probability(self, values: Sequence[float]) -> float:
        """P(answered) of one row of feature values (a Reading's `values`)."""
        x = (np.asarray(values, dtype=float) - np.asarray(self.mean)) / np.asarray(self.scale)
        z = float(x @ np.asarray(self.weights)) + self.bias
        return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))

    def answers(self, values: Sequence[float]) -> bool:
        return self.probability(values) >= self.threshold

    def to_dict(self, features: Sequence[str] = FEATURES) -> dict:
        return {
            "features": list(features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "weights": list(self.weights),
            "bias": self.bias,
            "threshold": self.threshold,
            "space": self.space,
        }

    @classmethod
    def from_dict(cls, data: dict, features: Sequence[str] = FEATURES) -> "Reader":
        """The model of stored parameters fitted on `features` (the reader's own, or the chooser's)."""
        if list(data.get("features", ())) != list(features):
            raise ValueError(
                "parameters were fitted on other features: refit them (`python -m rag train-reader`, "
                "`python -m rag train-chooser`)"
            )
        n = len(features)
        fields = {key: tuple(float(v) for v in data[key]) for key in ("mean", "scale", "weights")}
        if any(len(v) != n for v in fields.values()) or any(s <= 0 for s in fields["scale"]):
            raise ValueError("reader parameters are malformed")
        return cls(
            **fields, bias=float(data["bias"]), threshold=float(data["threshold"]), space=str(data.get("space", ""))
        )


def load_parameters(path: Path, features: Sequence[str] = FEATURES) -> Reader | None:
    """A logistic model's stored parameters (fitted on `features`), or None when the file is not there."""
    if not path.is_file():
        return None
    return Reader.from_dict(json.loads(path.read_text(encoding="utf-8")), features)


@lru_cache(maxsize=4)
def load_reader(path: Path = READER_PARAMETERS) -> Reader | None:
    """The fitted reader, or None when no parameters are shipped (the rules alone then decide)."""
    return load_parameters(path)


def belief(
    question: str,
    hits: Sequence[Hit],
    verdict: Verdict,
    facts: Facts,
    space: str,
    meaning: dict[str, float] | None = None,
    reader: Reader | None = None,
) -> float | None:
    """The reader's probability that the hits answer the question. None when no reader is shipped, when the rules
    already refused, and when the hits' dense scores come from another vector space (`space`) than the one it was
    fitted on: its scores would mean something else there, so it abstains."""
    reader = reader or load_reader()
    if reader is None or not same_weights(reader.space, space) or not hits or not verdict.answerable:
        return None
    return reader.probability(reading(question, hits, verdict, facts, meaning).values)


def doubt(
    question: str,
    hits: Sequence[Hit],
    verdict: Verdict,
    facts: Facts,
    space: str,
    meaning: dict[str, float] | None = None,
    reader: Reader | None = None,
) -> str:
    """Why the reader refuses what the rules let through ("" when it answers or abstains)."""
    reader = reader or load_reader()
    probability = belief(question, hits, verdict, facts, space, meaning, reader)
    if probability is None or reader is None or probability >= reader.threshold:
        return ""
    # The probability goes to the log, not the answer: every figure an answer shows is one its cited clause states.
    log.info("reader doubts the hits for %r: %.3f < %.3f", question, probability, reader.threshold)
    return f"最接近的条款出自《{facts.title_of(hits[0].doc)}》，但与所问内容不够相符，不能确认文件回答了这个问题。"
