"""Numbers masked in the source ("***项", "**%"): how they are found and how the answer says they are not given."""

from __future__ import annotations

import re

# The character sources mask numbers with ("***项", "**%", "****年", "*.") and its regex form, for patterns elsewhere.
MASK_CHAR = "*"
MASKED = re.escape(MASK_CHAR)
MASK = re.compile(f"{MASKED}+")
# Words every "the figure is not given" sentence contains; a sentence with one of them states no figure.
NOT_GIVEN_WORDS = ("遮蔽", "未给出")


def is_masked(text: str) -> bool:
    """The text (a figure, a year, an ordinal) has a masked digit."""
    return MASK_CHAR in text


def only_masks(text: str) -> bool:
    """The text is nothing but mask characters ("***")."""
    return bool(text) and not text.strip(MASK_CHAR)


def first_mask(text: str) -> str | None:
    m = MASK.search(text)
    return m.group(0) if m else None


def not_given_sentence(mask: str) -> str:
    """The plain statement that the source masks a figure (contains every NOT_GIVEN_WORDS)."""
    return f"原文中相关数字被遮蔽（显示为“{mask}”），文件未给出具体数值。"


def says_not_given(text: str) -> bool:
    """The sentence reports a masked figure rather than stating one."""
    return any(word in text for word in NOT_GIVEN_WORDS)
