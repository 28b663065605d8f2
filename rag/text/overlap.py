"""How much wording two texts share: character bigrams after normalisation (the support score)."""

from __future__ import annotations

from difflib import SequenceMatcher

from .normalize import for_match


def bigrams(text: str) -> set[str]:
    t = for_match(text)
    return {t[i : i + 2] for i in range(len(t) - 1)} if len(t) > 1 else ({t} if t else set())


def longest_run_share(part: str, text: str) -> float:
    """Share of `part` covered by its longest unbroken stretch in `text` (as given: normalise both first)."""
    if not part:
        return 0.0
    match = SequenceMatcher(None, text, part, autojunk=False).find_longest_match(0, len(text), 0, len(part))
    return match.size / len(part)


def support(sentence: str, clause_text: str) -> float:
    """Share of the sentence's character bigrams (normalised) that occur in the clause, 0..1."""
    s = bigrams(sentence)
    if not s:
        return 0.0
    return len(s & bigrams(clause_text)) / len(s)
