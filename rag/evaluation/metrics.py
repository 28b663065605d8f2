"""Evaluation metrics: retrieval recall@k / MRR and answer-citation quality, on plain data."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..text.normalize import covers


@dataclass(frozen=True)
class GoldItem:
    """One question of a gold set: quotes empty means unanswerable."""

    id: str
    question: str
    quotes: tuple[str, ...]
    type: str = "factoid"

    @property
    def answerable(self) -> bool:
        return bool(self.quotes)


def first_hit_rank(passages: list[str], quotes: tuple[str, ...]) -> int | None:
    """1-based rank of the first passage that covers any gold quote (None when none does)."""
    for rank, passage in enumerate(passages, 1):
        if any(covers(passage, q) for q in quotes):
            return rank
    return None


def retrieval_metrics(ranks: list[int | None], ks: tuple[int, ...] = (1, 3, 5)) -> dict[str, float]:
    """recall@k and MRR from the first-hit ranks of the answerable questions."""
    n = len(ranks)
    if n == 0:
        return {**{f"recall@{k}": 0.0 for k in ks}, "mrr": 0.0, "questions": 0}
    out = {f"recall@{k}": sum(1 for r in ranks if r is not None and r <= k) / n for k in ks}
    out["mrr"] = sum(1.0 / r for r in ranks if r is not None) / n
    out["questions"] = n
    return out


@dataclass
class AnswerOutcome:
    """What an answer did for one gold item."""

    item: GoldItem
    refused: bool
    citations: list[str] = field(default_factory=list)  # clause texts cited
    body: str = ""  # the answer as shown
    cited_labels: list[str] = field(default_factory=list)

    @property
    def good_citations(self) -> int:
        return sum(1 for text in self.citations if any(covers(text, q) for q in self.item.quotes))


def answer_metrics(outcomes: list[AnswerOutcome]) -> dict[str, float]:
    """Citation precision (cited clauses covering a gold quote of that question, over all citations on
    answerable questions), share of answerable questions answered with a valid citation, refusal rate on
    unanswerable questions, and false-refusal rate on answerable ones."""
    answerable = [o for o in outcomes if o.item.answerable]
    unanswerable = [o for o in outcomes if not o.item.answerable]
    cited = sum(len(o.citations) for o in answerable)
    good = sum(o.good_citations for o in answerable)
    refused = [o for o in outcomes if o.refused]
    refused_unanswerable = (sum(o.refused for o in unanswerable) / len(unanswerable)) if unanswerable else 0.0
    return {
        # Of the refusals, the share that were right (the documents do not answer) …
        "refusal_precision": (sum(not o.item.answerable for o in refused) / len(refused)) if refused else 1.0,
        # … and of the questions the documents do not answer, the share refused.
        "refusal_recall": refused_unanswerable if unanswerable else 1.0,
        "citation_precision": good / cited if cited else 0.0,
        "answered_with_valid_citation": (
            sum(1 for o in answerable if not o.refused and o.good_citations) / len(answerable)
        )
        if answerable
        else 0.0,
        "refusal_rate_unanswerable": refused_unanswerable,
        "false_refusal_rate": (sum(o.refused for o in answerable) / len(answerable)) if answerable else 0.0,
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
    }


def per_type(outcomes: list[AnswerOutcome], ranks: dict[str, int | None]) -> dict[str, dict[str, float]]:
    """Per question type: count, recall@5 (answerable), answered with valid citation, refused."""
    table: dict[str, dict[str, float]] = {}
    for kind in sorted({o.item.type for o in outcomes}):
        group = [o for o in outcomes if o.item.type == kind]
        answerable = [o for o in group if o.item.answerable]
        row = {"n": len(group), "refused": sum(o.refused for o in group) / len(group)}
        if answerable:
            row["recall@5"] = sum(1 for o in answerable if (ranks.get(o.item.id) or 99) <= 5) / len(answerable)
            row["valid_citation"] = sum(1 for o in answerable if not o.refused and o.good_citations) / len(answerable)
        table[kind] = row
    return table


def miss_reason(outcome: AnswerOutcome) -> str | None:
    """Why an outcome is wrong, in a few words (None when it is right)."""
    if not outcome.item.answerable:
        return None if outcome.refused else "answered a question the documents do not answer"
    if outcome.refused:
        return "refused an answerable question"
    if not outcome.citations:
        return "answered without a citation"
    if not outcome.good_citations:
        return "no cited clause holds the gold quote"
    if outcome.good_citations < len(outcome.citations):
        return "a cited clause does not hold the gold quote"
    return None


def misses(outcomes: list[AnswerOutcome]) -> list[dict[str, str]]:
    """One row per wrong outcome: id, type, question, reason, and what the answer said."""
    rows = []
    for o in outcomes:
        reason = miss_reason(o)
        if reason:
            rows.append(
                {
                    "id": o.item.id,
                    "type": o.item.type,
                    "question": o.item.question,
                    "reason": reason,
                    "cited": "; ".join(o.cited_labels),
                    "answer": " ".join(o.body.split())[:120],
                }
            )
    return rows
