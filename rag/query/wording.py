"""Forgiving reading of a question's words: users type 广西省 where documents say 广西, 外省 for 省外, 规上 for
规模以上, 国高企 for 国家高新技术企业, 本市 for 我市, 县里 for 县. A word of a question is *found* in a text when
the text holds the word or one of these forms. Every form is derived from the word itself, not from a list of
the documents' terms, so it works on documents never seen.

All texts here are `for_match` forms (simplified, no punctuation or spaces, lower-cased).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..text.names import PLACE_ENDINGS, alternation
from ..text.normalize import for_match

# "本市" and "我市" (and the other self-references) name the same place.
_SELF = re.compile(rf"^(?:本|我)(?={alternation(PLACE_ENDINGS)})")
# A place's level suffix, dropped: 广西省 → 广西, 长春市 → 长春 (the stem keeps at least two characters).
_LEVEL = re.compile(rf"^(.{{2,}}?)(?:{alternation(PLACE_ENDINGS)})$")
# Colloquial locatives after a word: 县里, 市里, 区内.
_LOCATIVE = re.compile(r"^(.+?)(?:里|内|这边|那边)$")
# Characters an abbreviation may skip between two of its characters (规上 ← 规模以上, 国高企 ← 国家高新技术企业).
ABBREVIATION_GAP = 4


@lru_cache(maxsize=4096)
def forms(word: str) -> tuple[str, ...]:
    """The word and the forms a document may write it in, as exact strings (for_match form)."""
    w = for_match(word)
    out = [w]
    if _SELF.match(w):
        out += [_SELF.sub(p, w) for p in ("本", "我")]
    level = _LEVEL.match(w)
    if level:
        out.append(level.group(1))
    locative = _LOCATIVE.match(w)
    if locative:
        out.append(locative.group(1))
    if len(w) == 2:
        out.append(w[::-1])  # 外省 / 省外
    return tuple(dict.fromkeys(f for f in out if f))


@lru_cache(maxsize=4096)
def _abbreviation(word: str) -> re.Pattern | None:
    """A pattern for the word as an abbreviation: its characters in order, each gap at most ABBREVIATION_GAP; a
    two-character word also in the other order (防疫 ← 疫情防控, as 外省 ← 省外)."""
    w = for_match(word)
    if not 2 <= len(w) <= 4:
        return None
    gap = f".{{0,{ABBREVIATION_GAP}}}"
    spread = gap.join(re.escape(ch) for ch in w)
    return re.compile(spread + ("|" + gap.join(re.escape(ch) for ch in w[::-1]) if len(w) == 2 else ""))


def found_in(word: str, text: str, abbreviations: bool = True) -> bool:
    """The word, or a form of it, is in the (for_match) text. `abbreviations`: also as spread-out characters
    (not for names of places and organisations, where that would match unrelated names)."""
    if any(f in text for f in forms(word)):
        return True
    pattern = _abbreviation(word) if abbreviations else None
    return bool(pattern and pattern.search(text))
