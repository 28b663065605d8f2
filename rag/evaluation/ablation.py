"""`python -m rag eval GOLD --without RULE`: a tuning set's eval line with one hand rule of the answer path switched off,
to measure what each rule earns (issue 41's table: keep a rule only where it helps the tuning sets).

Each rule is switched off by replacing, in this process only, the function or constant that applies it with a
neutral one (the rule then never refuses or never moves the answer); the eval then runs as `python -m rag eval`
does. Only tuning sets are measured this way; check sets are read once, at the end, with the rules kept.
"""

from __future__ import annotations

from typing import Callable


def _off_other_place() -> None:
    from ..answering import answerability

    answerability._other_place = lambda *a, **k: False


def _off_years() -> None:
    from ..answering import answerability

    answerability.mentions_year = lambda *a, **k: True
    answerability.years_in = lambda *a, **k: []


def _off_levels() -> None:
    from ..answering import answerability

    answerability.states_level = lambda *a, **k: True


def _off_nouns() -> None:
    """Every noun of the question counts as found in every clause (the missing-noun and other-figure's-noun rules)."""
    from ..answering import answerability

    answerability.found_in = lambda *a, **k: True


def _off_other_figure_noun() -> None:
    """A noun that another figure sentence of the clause names no longer disqualifies this figure."""
    from ..answering import answerability

    answerability._goes_elsewhere = lambda *a, **k: False


def _off_label_line() -> None:
    """A label line ("举报电话：…") no longer takes its subject from the sentence before it."""
    from ..answering import answerability

    answerability.is_label_line = lambda *a, **k: False


def _off_stated_figures() -> None:
    """A figure the question states ("3.2%") no longer has to be in the answer's sentence."""
    from dataclasses import replace

    from ..answering import answerability

    original = answerability.read_ask
    answerability.read_ask = lambda *a, **k: replace(original(*a, **k), figures=())


def _off_unknown_nouns() -> None:
    """A noun the corpus lacks no longer refuses (answerability's unknown nouns)."""
    from ..answering import answerability

    original = answerability._resolve_nouns
    answerability._resolve_nouns = lambda ask, facts: (original(ask, facts)[0], [])


def _off_unknown_entities() -> None:
    """A place or organisation no document names no longer refuses (retriever.unknown_entities)."""
    from ..retrieval.retriever import Retriever

    Retriever.unknown_entities = lambda self, question: []  # type: ignore[method-assign]


def _off_item_margin() -> None:
    from ..answering import answerability

    answerability.ITEM_MARGIN = 10.0


RULES: dict[str, Callable[[], None]] = {
    "other-place": _off_other_place,
    "years": _off_years,
    "levels": _off_levels,
    "nouns": _off_nouns,
    "other-figure-noun": _off_other_figure_noun,
    "label-line": _off_label_line,
    "stated-figures": _off_stated_figures,
    "unknown-nouns": _off_unknown_nouns,
    "unknown-entities": _off_unknown_entities,
    "item-margin": _off_item_margin,
}


def switch_off(rule: str) -> None:
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}: one of {', '.join(RULES)}")
    RULES[rule]()


__all__ = ["RULES", "switch_off"]
