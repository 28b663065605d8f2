"""`python -m rag eval-reader FILE.json`: the span reader alone on a SQuAD-format file — EM and F1 (CMRC 2018's
metric, 0–100), has-answer F1, no-answer accuracy and milliseconds per question. Each question is read over its own
context; the reader answers with its best span when the window's margin (answer − none) reaches the threshold,
else with nothing (a refusal), or with YES or NO when its kind head reads the answer as one (weights without a kind
head never answer YES or NO)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .squad import Item, item_scores, load_squad


@dataclass(frozen=True)
class ReaderFigures:
    questions: int
    em: float
    f1: float
    has_answer_f1: float
    no_answer_accuracy: float | None
    ms_per_question: float

    def to_dict(self) -> dict:
        return asdict(self)

    def lines(self) -> list[str]:
        no_answer = "—" if self.no_answer_accuracy is None else f"{self.no_answer_accuracy:.3f}"
        return [
            f"questions {self.questions}",
            f"EM {self.em:.1f}  F1 {self.f1:.1f}  has-answer F1 {self.has_answer_f1:.1f}",
            f"no-answer accuracy {no_answer}",
            f"{self.ms_per_question:.0f} ms per question",
        ]


def predictions(reader, items: list[Item], threshold: float) -> tuple[list[str], float]:
    """Each item's predicted answer ("" = none) and the mean milliseconds a question took."""
    out, started = [], time.perf_counter()
    for item in items:
        (reading,) = reader.read(item.question, [(item.title, item.context)])
        answer = reading.kind.upper() if reading.kind in ("yes", "no") else reading.text
        out.append(answer if reading.margin >= threshold else "")
    return out, 1000 * (time.perf_counter() - started) / max(1, len(items))


def figures(items: list[Item], answers: list[str], ms: float) -> ReaderFigures:
    scores = [item_scores(item, answer) for item, answer in zip(items, answers)]
    has = [f1 for (_, f1), item in zip(scores, items) if item.kind != "none"]
    none = [em for (em, _), item in zip(scores, items) if item.kind == "none"]
    n = max(1, len(items))
    return ReaderFigures(
        len(items),
        100 * sum(em for em, _ in scores) / n,
        100 * sum(f1 for _, f1 in scores) / n,
        100 * sum(has) / max(1, len(has)),
        sum(none) / len(none) if none else None,
        ms,
    )


def run_eval_reader(
    path: Path,
    limit: int | None = None,
    threshold: float = 0.0,
    weights: Path | None = None,
    contexts: range | None = None,
    simplified: bool = False,
) -> ReaderFigures:
    from ..answering.span_reader import load_reader

    items = load_squad(path, contexts=contexts, simplified=simplified)[:limit]
    answers, ms = predictions(load_reader(weights), items, threshold)
    return figures(items, answers, ms)


__all__ = ["ReaderFigures", "figures", "predictions", "run_eval_reader"]
