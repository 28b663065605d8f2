"""Is it a question at all: text, not empty, with words, not too long."""

from __future__ import annotations

import re

from ..errors import QuestionError
from ..text.normalize import join_han, without_surrogates

# A question needs at least one letter or Chinese character (digits, emoji and punctuation alone are not one).
_WORD_CHAR = re.compile(r"[^\W\d_]")


def check_question(question: object, max_chars: int) -> str:
    """Return the stripped question (spaces between Chinese words removed) or raise QuestionError saying what
    is wrong."""
    if not isinstance(question, str):
        raise QuestionError(f"question must be text, got {type(question).__name__}", "not_text", "问题必须是文字。")
    text = join_han(without_surrogates(question)).strip()
    if not text:
        raise QuestionError("question is empty", "empty", "请输入问题。")
    if not _WORD_CHAR.search(text):
        raise QuestionError("question has no words", "no_words", "问题里没有文字，请用文字提问。")
    if len(text) > max_chars:
        raise QuestionError(
            f"question is {len(text)} characters long; the limit is {max_chars}",
            "too_long",
            f"问题太长了（{len(text)} 字），请精简到 {max_chars} 字以内。",
        )
    return text
