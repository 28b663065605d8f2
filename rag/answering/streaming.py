"""Stream a model's answer sentence by sentence, verifying each sentence against the clause it cites before
it is shown. Sentences no clause supports are dropped; a model's refusal is held back (decided on at the end)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import AbstractSet, Generator, Sequence

from ..llm.base import ChatBackend
from ..text.masks import says_not_given
from ..text.sentences import is_finished, split_sentences
from ..types import Hit, Timings
from .answerability import Verdict
from .context import verification_contexts
from .replies import is_model_refusal
from .verification import Checked, Renumberer, verify_sentence

log = logging.getLogger(__name__)


@dataclass
class ModelReply:
    """The verified sentences of a model's answer and how many were dropped as unsupported."""

    checked: list[Checked] = field(default_factory=list)
    dropped: int = 0

    @property
    def cited(self) -> bool:
        return any(c.sources for c in self.checked)

    @property
    def refused(self) -> bool:
        """The model said the clauses do not answer, and cited nothing."""
        return bool(self.checked) and not self.cited and any(is_model_refusal(c.text) for c in self.checked)


@dataclass
class Turn:
    """One answer as the model path reads it: the question, the hits and the checks' verdict on them, the verified
    quote (None: none was made), the renumbering of the markers shown, and the timings (measured from t0)."""

    question: str
    hits: Sequence[Hit]
    verdict: Verdict
    renum: Renumberer
    timings: Timings
    t0: float
    quote: list[Checked] | None = None
    span: str = ""  # the span reader's answer, when the verified quote holds it: the model is asked to state it


def _keep(c: Checked) -> bool:
    """A sentence is kept when a clause supports it, or when it says "not answered" / "figure not given"."""
    return bool(c.sources) or is_model_refusal(c.text) or says_not_given(c.text)


def stream_verified(
    llm: ChatBackend,
    messages: list[dict],
    hits: Sequence[Hit],
    max_new_tokens: int,
    turn: Turn,
    citable: AbstractSet[int] | None = None,
) -> Generator[str, None, ModelReply]:
    """Send the prompt; yield each verified sentence as soon as it is complete (rendered with the turn's `renum`);
    return a ModelReply. Sentences are checked against the whole clauses `hits` (the ones the prompt showed, in its
    order), whatever the prompt carried of them; a clause outside `citable` (1-based; None: all) supports nothing;
    the question's topic, where a sentence repeats it, must stand in the window that supports the sentence.
    Raises LLMError."""
    renum, timings, t0, question = turn.renum, turn.timings, turn.t0, turn.question
    contexts = [
        text if citable is None or n in citable else "" for n, text in enumerate(verification_contexts(hits), 1)
    ]
    reply = ModelReply()

    def take(sentence: str) -> str | None:
        if not sentence.strip():
            return None
        c = verify_sentence(sentence, contexts, question=question)
        if not _keep(c):
            log.info("dropped unsupported sentence: %s", c.text)
            reply.dropped += 1
            return None
        reply.checked.append(c)
        return renum.render(c) if c.sources or not is_model_refusal(c.text) else None

    buffer = ""
    for piece in llm.stream(messages, max_new_tokens):
        timings.saw_first_token(time.perf_counter() - t0)
        buffer += piece
        sentences = split_sentences(buffer)
        complete, buffer = (
            (sentences, "") if is_finished(buffer) else (sentences[:-1], sentences[-1] if sentences else "")
        )
        for sentence in complete:
            shown = take(sentence)
            if shown:
                yield shown
    for sentence in split_sentences(buffer):
        shown = take(sentence)
        if shown:
            yield shown
    timings.generation = time.perf_counter() - t0 - (timings.first_token or 0.0)
    return reply
