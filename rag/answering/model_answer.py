"""The model's part of an answer: wait for the model's turn, send the prompt (the evidence sentences, or the first
clauses), stream its verified sentences, and keep them only when they verify; otherwise the verified quote stays.
Whether to answer was decided before (answerability.py); the model only words what the checks allow.
"""

from __future__ import annotations

import logging
from typing import AbstractSet, Sequence

from ..config import Settings
from ..errors import LLMError
from ..llm.base import ChatBackend
from ..text.normalize import for_search
from ..text.overlap import support
from ..types import Hit, Waiting
from .compose import Draft
from .context import EVIDENCE_CLAUSES, context_block, evidence_excerpt, prompt_messages, system_message
from .prompts import render
from .replies import SOURCE_LABEL, is_model_refusal
from .streaming import Turn, stream_verified
from .thresholds import QUOTE_REPEATED
from .verification import Checked

log = logging.getLogger(__name__)
# How often a waiting question re-reads its place in line.
QUEUE_POLL_SECONDS = 0.5


SPAN_HINT = "（条款中回答这个问题的原文：「{span}」。第一句请直接给出它。）"


def asked_with_span(question: str, span: str) -> str:
    """The question as the evidence prompt asks it: with the span reader's answer, when there is one, so that the
    model's first sentence states it (a reply that drops it gives way to the quote). The span is simplified like the
    clauses the prompt shows, so the model copies the wording it reads."""
    return f"{question}\n{SPAN_HINT.format(span=for_search(span))}" if span.strip() else question


def with_source(answer: list[Checked], quote: list[Checked]) -> list[Checked]:
    """The verified quote's sentences to show after a model's verified answer, each marked 「原文：」 on its own line:
    the clause's own words, so a reworded figure or item can be checked at a glance (the 1.5B model's rewording
    made right quotes wrong: docs/benchmarks.md). None when the model's answer was not kept (the quote then stands
    alone) or already repeats the quote's wording."""
    said = " ".join(c.text for c in answer if c.sources)
    if not said:
        return []
    return [
        Checked(f"{SOURCE_LABEL}{c.text}", list(c.sources))
        for c in quote
        if c.sources and support(c.text, said) < QUOTE_REPEATED
    ]


class ModelWriter:
    """One backend's model writing one answer: `draft(...)` yields the text to show (and Waiting while in line)
    and returns the Draft."""

    def __init__(self, llm: ChatBackend, settings: Settings, backend: str) -> None:
        self.llm = llm
        self.settings = settings
        self.backend = backend

    def draft(self, turn: Turn):
        """The model's verified answer; a refusal; or an empty extractive draft with a note saying why."""
        try:
            reply = yield from self._generate(turn)
        except LLMError as exc:
            log.warning("falling back to extractive: %s", exc)
            return (yield from self._fall_back(f"{self.backend} 模型不可用（{exc}），以下为摘录式回答。"))
        # Whether to answer was decided by the checks (and the reader, when on) before the model ran; the model only
        # words the answer. Its "the clauses do not answer", even where the reader doubts them, refused 6 answerable
        # tuning questions for 2 unanswerable ones (docs/benchmarks.md, "The learned reader"). When it declines
        # (the small model refuses some answerable questions) or nothing it wrote is backed by a clause, the
        # clause sentences are quoted instead, as the extractive backend would.
        if reply.refused:
            return self._quote_stays("模型未能作答，保留原文摘录。")
        if reply.dropped and not reply.cited:
            return self._quote_stays("模型的回答无法在检索到的条款中得到印证，保留原文摘录。")
        evidence = {e.index + 1 for e in turn.verdict.evidence}
        if evidence and not evidence & {n for c in reply.checked for n in c.sources}:
            # A figure was asked for and the model cited no clause that states it: quote the one that does.
            return self._quote_stays("模型的回答未引用给出所问数字的条款，保留原文摘录。")
        # A "cannot answer" sentence beside cited ones is the small model hedging; the cited sentences stand.
        return Draft([c for c in reply.checked if c.sources or not is_model_refusal(c.text)])

    def _generate_from_evidence(self, turn: Turn, quote: list[Checked]):
        """The short prompt: only the clauses the verified quote cites (at most EVIDENCE_CLAUSES), each as the
        quoted sentence with its neighbours. The model's [n] is renumbered back to the hits afterwards."""
        hits, verdict = turn.hits, turn.verdict
        order = list(dict.fromkeys(n - 1 for c in quote for n in c.sources))[:EVIDENCE_CLAUSES]
        shown = [hits[i] for i in order]
        excerpts = [
            evidence_excerpt(
                for_search(hits[i].answer_text),
                for_search(" ".join(c.text.strip("“”") for c in quote if i + 1 in c.sources)),
            )
            for i in order
        ]
        messages = [
            system_message(),
            {
                "role": "user",
                "content": render(
                    "answer", context=context_block(shown, excerpts), question=asked_with_span(turn.question, turn.span)
                ),
            },
        ]
        citable = (
            None if verdict.citable is None else {order.index(n - 1) + 1 for n in verdict.citable if n - 1 in order}
        )
        reply = yield from self._stream(turn, messages, shown, citable)
        for c in reply.checked:
            c.sources = [order[n - 1] + 1 for n in c.sources]
        return reply

    def _generate(self, turn: Turn):
        """Wait for the model's turn (showing the place in line), then stream its verified answer. Leaving the
        generator early (the user left or pressed stop) gives the turn to the next question."""
        llm = self.llm
        queue = llm.queue
        ticket = queue.join() if queue is not None else None
        try:
            while ticket is not None and not ticket.wait(QUEUE_POLL_SECONDS):
                yield Waiting(ticket.ahead())
            llm.keep_prefix([system_message()])
            if self.settings.prompt_mode == "evidence" and turn.quote:
                return (yield from self._generate_from_evidence(turn, turn.quote))
            shown = turn.hits[: self.settings.model_clauses or len(turn.hits)]  # a prefix: the model's [n] is hits[n-1]
            messages = prompt_messages(turn.question, shown, self.settings.prompt_budget_chars)
            return (yield from self._stream(turn, messages, shown, turn.verdict.citable))
        finally:
            if ticket is not None:
                ticket.leave()

    def _stream(self, turn: Turn, messages: list[dict], shown: Sequence[Hit], citable: AbstractSet[int] | None):
        """The model's reply to `messages`, each sentence verified against the `shown` clauses as it completes."""
        return stream_verified(self.llm, messages, shown, self.settings.max_new_tokens, turn, citable)

    @staticmethod
    def _quote_stays(note: str) -> Draft:
        """The model's wording did not verify: the verified quote already shown stays, with no apology on the page
        (the note is kept for logs and scripts)."""
        log.info("model answer replaced by the quote: %s", note)
        return Draft(note=note, backend="extractive", quiet=True)

    @staticmethod
    def _fall_back(note: str):
        yield note + "\n"
        return Draft(note=note, backend="extractive")
