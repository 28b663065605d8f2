"""How much wording two texts share: character bigrams after normalisation (the support score)."""
from __future__ import annotations

from .normalize import for_match


def bigrams(text: str) -> set[str]:
    t = for_match(text)
    return {t[i : i + 2] for i in range(len(t) - 1)} if len(t) > 1 else ({t} if t else set())


def support(sentence: str, clause_text: str) -> float:
    """Share of the sentence's character bigrams (normalised) that occur in the clause, 0..1."""
    s = bigrams(sentence)
    if not s:
        return 0.0
    return len(s & bigrams(clause_text)) / len(s)
