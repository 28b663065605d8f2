"""The conversation: history in either accepted form, and follow-ups rewritten into standalone questions."""

from __future__ import annotations

import logging
from typing import Any, Iterable

from ..errors import LLMError
from ..llm.base import ChatBackend
from ..types import SOURCES_HEADER
from ..query.intents import looks_like_follow_up
from .prompts import render

log = logging.getLogger(__name__)
# How much of an earlier answer the condensing prompt sees.
HISTORY_ANSWER_CHARS = 200
CONDENSE_MAX_TOKENS = 80


def normalise_history(history: Iterable[Any] | None, max_turns: int) -> list[tuple[str, str]]:
    """Accept [(user, assistant), ...] or [{"role", "content"}, ...]; keep the last max_turns exchanges."""
    if not history:
        return []
    pairs: list[tuple[str, str]] = []
    items = list(history)
    if items and isinstance(items[0], dict):
        user = None
        for msg in items:
            content = msg.get("content")
            content = content if isinstance(content, str) else str(content or "")
            if msg.get("role") == "user":
                user = content
            elif msg.get("role") == "assistant" and user is not None:
                pairs.append((user, content))
                user = None
    else:
        for item in items:
            if not isinstance(item, (list, tuple)) or len(item) != 2:
                raise ValueError("history must be a list of (question, answer) pairs or of {role, content} messages")
            pairs.append((str(item[0] or ""), str(item[1] or "")))
    return pairs[-max_turns:]


def fallback_standalone(question: str, history: list[tuple[str, str]]) -> str:
    """Without a model: the previous question gives the follow-up its subject."""
    return f"{history[-1][0]} {question}" if history else question


def condense(question: str, history: list[tuple[str, str]], llm: ChatBackend | None) -> str:
    """Rewrite a follow-up into a standalone question (LLM when available, else prefix the last question)."""
    if not history or not looks_like_follow_up(question):
        return question
    if llm is not None:
        transcript = "\n".join(f"用户：{q}\n助手：{_answer_gist(a)}" for q, a in history)
        try:
            prompt = render("condense", history=transcript, question=question)
            text = "".join(llm.stream([{"role": "user", "content": prompt}], max_new_tokens=CONDENSE_MAX_TOKENS))
            text = text.strip().splitlines()[0].strip() if text.strip() else ""
            if 4 <= len(text) <= 200:
                return text
        except LLMError as exc:
            log.warning("condensing with the LLM failed (%s); using the previous question as context", exc)
    return fallback_standalone(question, history)


def _answer_gist(text: str) -> str:
    """An earlier answer without its source list, cut to HISTORY_ANSWER_CHARS."""
    text = text.split("\n" + SOURCES_HEADER)[0]
    return text if len(text) <= HISTORY_ANSWER_CHARS else text[:HISTORY_ANSWER_CHARS] + "…"
