"""What the model sees: the numbered clauses with their duties, then the question, under the system rules."""
from __future__ import annotations

from typing import Sequence

from ..text.normalize import for_search
from ..types import Hit
from .prompts import refusal_text, render

# How much of a duty's task is shown next to its departments.
DUTY_TASK_CHARS = 30


def context_block(hits: Sequence[Hit]) -> str:
    """Numbered clauses for the prompt, with the responsible units extracted at indexing time."""
    parts = []
    for i, h in enumerate(hits, 1):
        duties = "；".join(f"{d.task[-DUTY_TASK_CHARS:]}→{d.describe()}" for d in h.duties)
        extra = f"\n（责任单位：{duties}）" if duties else ""
        parts.append(f"[{i}] {h.label}\n{for_search(h.text)}{extra}")
    return "\n\n".join(parts)


def verification_contexts(hits: Sequence[Hit]) -> list[str]:
    """The text each [n] is checked against: label, clause and the described duties."""
    return [f"{h.label} {for_search(h.text)} " + " ".join(d.describe() for d in h.duties) for h in hits]


def prompt_messages(question: str, hits: Sequence[Hit]) -> list[dict]:
    """The chat messages sent to an LLM backend: the rules, then the numbered clauses and the question."""
    return [
        {"role": "system", "content": render("system", refusal=refusal_text())},
        {"role": "user", "content": render("answer", context=context_block(hits), question=question)},
    ]
