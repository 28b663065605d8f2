"""Questions about a document itself (who issued it, its number, its date), recognised by meaning where the
wording rules of query/intents.py miss (「那份方案的来源单位是哪个」, 「答复落款日期是哪天」).

A one-against-the-rest logistic model per field over the question's e5 query vector, fitted on labelled questions
(`python -m rag train-fact-questions`: tests/fact_questions.jsonl and tests/metadata_questions.jsonl as the fields,
and content questions of the tuning sets as none) and shipped in fact_questions.json with its threshold, chosen
under cross-validation so that at most FALSE_FACT_BUDGET of the content questions are taken for one. It abstains
(None) for vectors of another space than the one it was fitted in. The wording rules still come first: the model
only adds questions they miss.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from ..query.intents import asks_document_fact
from ..indexing.e5_int8 import same_weights

FACT_QUESTIONS_PARAMETERS = Path(__file__).with_name("fact_questions.json")
FACT_FIELDS_ASKED = ("issuer", "number", "date")


@dataclass(frozen=True)
class FactQuestionModel:
    space: str  # the vector space it was fitted in (embedder_base.E5_SPACE)
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray  # one row per field of FACT_FIELDS_ASKED
    bias: np.ndarray
    threshold: float

    def probabilities(self, vector: np.ndarray) -> np.ndarray:
        z = (np.asarray(vector, dtype=np.float64).reshape(-1) - self.mean) / self.scale
        return 1.0 / (1.0 + np.exp(-np.clip(self.weights @ z + self.bias, -40, 40)))

    def field_of(self, vector: np.ndarray) -> str | None:
        p = self.probabilities(vector)
        best = int(np.argmax(p))
        return FACT_FIELDS_ASKED[best] if p[best] >= self.threshold else None

    def to_dict(self) -> dict:
        return {
            "space": self.space,
            "fields": list(FACT_FIELDS_ASKED),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "weights": self.weights.tolist(),
            "bias": self.bias.tolist(),
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "FactQuestionModel":
        if tuple(data["fields"]) != FACT_FIELDS_ASKED:
            raise ValueError(f"fitted on fields {data['fields']}, not {list(FACT_FIELDS_ASKED)}")
        arrays = {k: np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "weights", "bias")}
        return cls(space=data["space"], threshold=float(data["threshold"]), **arrays)


@lru_cache(maxsize=2)
def load_fact_model(path: Path = FACT_QUESTIONS_PARAMETERS) -> FactQuestionModel | None:
    """The shipped model, or None when none is shipped (the wording rules alone then decide)."""
    if not path.is_file():
        return None
    return FactQuestionModel.from_dict(json.loads(path.read_text(encoding="utf-8")))


def asked_fact(
    question: str, vector: Callable[[], np.ndarray], space: str, model: FactQuestionModel | None = None
) -> str | None:
    """ "issuer", "number" or "date" when the question asks that of a document, else None: the wording rules first,
    then the model on the question's query vector (asked for only when the rules miss)."""
    by_wording = asks_document_fact(question)
    if by_wording:
        return by_wording
    model = model or load_fact_model()
    if model is None or not same_weights(model.space, space):
        return None
    return model.field_of(vector())


__all__ = ["FACT_FIELDS_ASKED", "FACT_QUESTIONS_PARAMETERS", "FactQuestionModel", "asked_fact", "load_fact_model"]
