"""Question → retrieval → (LLM or extractive) answer → verified clause citations → Answer.

Every sentence shown carries a 〔n〕 citation that was checked against the clause it names;
unsupported sentences are dropped, and when nothing relevant is found the fixed refusal sentence
from prompts/refusal.txt is returned with the nearest clauses as "possibly related".
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Iterator, Sequence

from .clauses import strip_marker
from .citations import Checked, Renumberer, split_sentences, support, verify_sentence
from .config import Settings
from .departments import Duty
from .llm import ChatBackend, LLMError, make_llm
from .normalize import for_search
from .pipeline import Pipeline, check_question, pipeline_for
from .prompts import refusal_text, render
from .retrieve import Hit

log = logging.getLogger(__name__)

RESPONSIBILITY = re.compile(r"由(?:哪个|哪些|哪一?个?|什么)?(?:部门|单位|机构)|谁(?:来)?负责|哪个部门|哪些部门|牵头单位|责任单位|配合单位|负责部门|负责单位|由谁")
ASKS_NUMBER = re.compile(r"多少|几[个家项所件人次亿万]?|比例|比重|占比|目标是|数量|金额|额度|标准")
MODEL_REFUSAL = re.compile(r"无法回答|不能回答|没有(?:提及|提到|涉及|相关)|未(?:提及|提到|涉及|说明)|无相关")
MASK = re.compile(r"\*{1,}")
# The stream so far ends with a finished sentence (and its markers).
_SENTENCE_DONE = re.compile(r"[。！？!?；;\n]\s*(?:\[\d+\])*\s*$")


@dataclass(frozen=True)
class Citation:
    """A clause cited in the answer, with the sentence(s) of the answer it supports."""

    number: int
    id: str
    doc: str
    title: str
    label: str
    text: str
    departments: tuple[str, ...]
    supports: tuple[str, ...]
    start: int
    end: int

    def to_dict(self) -> dict:
        return {"number": self.number, "id": self.id, "doc": self.doc, "title": self.title, "label": self.label,
                "text": self.text, "departments": list(self.departments), "supports": list(self.supports),
                "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Answer:
    question: str
    standalone_question: str
    text: str  # answer sentences with 〔n〕 markers, then the source list
    body: str  # answer sentences only
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    refused: bool
    backend: str
    note: str = ""  # e.g. why the answer fell back to extractive
    timings: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"question": self.question, "standalone_question": self.standalone_question, "text": self.text,
                "body": self.body, "citations": [c.to_dict() for c in self.citations],
                "hits": [h.to_dict() for h in self.hits], "refused": self.refused, "backend": self.backend,
                "note": self.note, "timings": {k: round(v, 3) for k, v in self.timings.items()}}


# ---------------------------------------------------------------- conversation

def normalise_history(history: object, max_turns: int) -> list[tuple[str, str]]:
    """Accept [(user, assistant), ...] or [{"role", "content"}, ...]; keep the last max_turns exchanges."""
    if not history:
        return []
    pairs: list[tuple[str, str]] = []
    items = list(history)  # type: ignore[arg-type]
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


_FOLLOW_UP = re.compile(r"^(?:那|那么|它|其|该|这|此|上述|以上|还有|另外|同时)|(?:它|其|这项|这个|该项|该|上述|这些|那些)")


def looks_like_follow_up(question: str) -> bool:
    return bool(_FOLLOW_UP.search(question)) or len(question) <= 8


def condense(question: str, history: list[tuple[str, str]], llm: ChatBackend | None) -> str:
    """Rewrite a follow-up into a standalone question (LLM when available, else prefix the last question)."""
    if not history or not looks_like_follow_up(question):
        return question
    previous = history[-1][0]
    if llm is not None:
        transcript = "\n".join(f"用户：{q}\n助手：{_short(a)}" for q, a in history)
        try:
            text = "".join(llm.stream([{"role": "user", "content": render("condense", history=transcript, question=question)}],
                                      max_new_tokens=80)).strip()
            text = text.splitlines()[0].strip() if text else ""
            if 4 <= len(text) <= 200:
                return text
        except LLMError as exc:
            log.warning("condensing with the LLM failed (%s); using the previous question as context", exc)
    return f"{previous} {question}"


def _short(text: str, limit: int = 200) -> str:
    text = text.split("\n来源：")[0]
    return text if len(text) <= limit else text[:limit] + "…"


# ---------------------------------------------------------------- context

def context_block(hits: Sequence[Hit]) -> str:
    """Numbered clauses for the prompt, with the responsible units extracted at indexing time."""
    parts = []
    for i, h in enumerate(hits, 1):
        duties = "；".join(f"{d.task[-30:]}→{d.describe()}" for d in h.duties)
        extra = f"\n（责任单位：{duties}）" if duties else ""
        parts.append(f"[{i}] {h.label}\n{for_search(h.text)}{extra}")
    return "\n\n".join(parts)


def prompt_messages(question: str, hits: Sequence[Hit]) -> list[dict]:
    """The chat messages sent to an LLM backend: the rules, then the numbered clauses and the question."""
    return [
        {"role": "system", "content": render("system", refusal=refusal_text())},
        {"role": "user", "content": render("answer", context=context_block(hits), question=question)},
    ]


def best_sentences(question: str, text: str, limit: int = 2) -> list[str]:
    """The clause sentences that share most with the question (original wording)."""
    sentences = [s.strip() for s in re.split(r"(?<=[。；;！？])", text) if len(s.strip()) > 4]
    if not sentences:
        return [text.strip()]
    scored = [(support(question, s), -idx, s) for idx, s in enumerate(sentences)]
    top = sorted(scored, reverse=True)[:limit]
    return [s for _, _, s in sorted(top, key=lambda t: -t[1])]


# ---------------------------------------------------------------- answer strategies

def masked_note(question: str, sentences: Sequence[str]) -> str:
    """When the question asks for a number that the source masks, say so plainly."""
    if not ASKS_NUMBER.search(question):
        return ""
    for s in sentences:
        masks = MASK.findall(s)
        if masks:
            return f"原文中相关数字被遮蔽（显示为“{masks[0]}”），文件未给出具体数值。"
    return ""


MASKED_MATCH = 0.35  # question-bigram coverage of a masked sentence (masked questions ≥0.6, others ≤0.1)


def masked_sentences(question: str, hits: Sequence[Hit]) -> list[Checked]:
    """A number question whose answer sentence has the number masked: quote it and say the figure is not given."""
    if not ASKS_NUMBER.search(question):
        return []
    best: tuple[float, int, str] | None = None
    for i, h in enumerate(hits[:2]):
        for sentence in re.split(r"(?<=[。；;])", h.text):
            if MASK.search(sentence):
                score = support(question, sentence)
                if best is None or score > best[0]:
                    best = (score, i, sentence.strip())
    if best is None or best[0] < MASKED_MATCH:
        return []
    _, i, sentence = best
    sentence = strip_marker(sentence).rstrip("。；;")
    mask = MASK.search(sentence).group(0)
    return [Checked(f"原文为：“{sentence}”。", [i + 1]),
            Checked(f"其中的数字在原文中被遮蔽（显示为“{mask}”），文件未给出具体数值，无法确定。", [])]


STRONG_EVIDENCE = 0.4  # question-bigram coverage; unanswerable dev questions stay ≤0.27


def strong_evidence(question: str, hits: Sequence[Hit]) -> bool:
    """The top clause has a sentence that covers most of the question's wording."""
    if not hits:
        return False
    sentence = best_sentences(question, hits[0].text, 1)[0]
    return support(question, sentence) >= STRONG_EVIDENCE


def duty_for_question(question: str, hits: Sequence[Hit]) -> tuple[int, Duty] | None:
    """The (hit index, duty) whose task best matches the question, among hits with departments."""
    best: tuple[float, int, Duty] | None = None
    for i, h in enumerate(hits[:3]):
        for d in h.duties:
            score = support(question, d.task + " " + h.label) + (0.15 if i == 0 else 0.0)
            if best is None or score > best[0]:
                best = (score, i, d)
    return (best[1], best[2]) if best and best[0] >= 0.2 else None


def responsibility_sentences(question: str, hits: Sequence[Hit]) -> list[Checked]:
    found = duty_for_question(question, hits)
    if found is None:
        return []
    i, duty = found
    task = duty.task.rstrip("，,。；;")
    if len(hits[i].duties) == 1 and hits[i].path:
        # One assignment for the whole clause: name the task by the clause's own heading.
        heading = strip_marker(hits[i].path[-1])
        if heading and support(question, heading) > support(question, task):
            task = for_search(heading)
    if duty.lead and duty.partners:
        text = f"“{task}”由{'、'.join(duty.lead)}牵头，{'、'.join(duty.partners)}为责任（配合）单位。"
    else:
        text = f"“{task}”由{'、'.join(duty.lead or duty.partners)}负责。"
    return [Checked(text, [i + 1])]


def extractive_sentences(question: str, hits: Sequence[Hit]) -> list[Checked]:
    """Quote the best sentences of the top clause, and of the runner-up when it comes from another
    document and scores nearly as well (comparison questions span documents)."""
    if not hits:
        return []
    chosen = [0]
    if len(hits) > 1 and hits[1].doc != hits[0].doc and hits[1].score >= 0.8 * hits[0].score:
        chosen.append(1)
    out = []
    for i in chosen:
        quote = "".join(best_sentences(question, hits[i].text, 2 if i == 0 else 1)).strip()
        quote = strip_marker(quote)
        out.append(Checked(f"“{quote}”", [i + 1]))
    return out


# ---------------------------------------------------------------- main entry points

class Answerer:
    """Runs one question through the pipeline with a chosen backend."""

    def __init__(self, pipeline: Pipeline, backend: str, llm: ChatBackend | None = None) -> None:
        self.pipeline = pipeline
        self.settings: Settings = pipeline.settings
        self.backend = backend
        self.llm = llm if llm is not None else make_llm(backend, self.settings)

    def stream(self, question: str, history=None, k: int | None = None) -> Iterator[str | Answer]:
        t0 = time.perf_counter()
        question = check_question(question, self.settings.max_question_chars)
        pairs = normalise_history(history, self.settings.history_turns)
        note = ""
        try:
            standalone = condense(question, pairs, self.llm)
        except Exception as exc:  # never let condensing break answering
            standalone, note = f"{pairs[-1][0]} {question}" if pairs else question, f"改写追问失败：{exc}"
        retriever = self.pipeline.retriever()
        hits = retriever.search(standalone, k or self.settings.top_k)
        timings = {"retrieval": time.perf_counter() - t0}

        unknown = retriever.unknown_entities(standalone)
        if unknown:
            note = f"文件中没有出现“{'、'.join(unknown)}”。"
        if not hits or hits[0].dense < self.settings.min_relevance or unknown:
            yield from self._refuse(question, standalone, hits, note, timings, t0)
            return

        if RESPONSIBILITY.search(standalone):
            checked = responsibility_sentences(standalone, hits)
            if checked:
                yield from self._emit(checked, timings, t0)
                yield self._finish(question, standalone, checked, hits, False, note, timings, t0)
                return

        masked = masked_sentences(standalone, hits)
        if masked:
            yield from self._emit(masked, timings, t0)
            yield self._finish(question, standalone, masked, hits, False, note, timings, t0)
            return

        checked: list[Checked] = []
        dropped = 0
        backend_used = self.backend
        if self.llm is not None:
            try:
                checked, dropped = yield from self._llm_sentences(standalone, hits, timings, t0)
            except LLMError as exc:
                note = f"{self.backend} 模型不可用（{exc}），以下为摘录式回答。"
                log.warning("falling back to extractive: %s", exc)
                backend_used = "extractive"
                checked = []
                yield note + "\n"
            if self._model_refused(checked) and strong_evidence(standalone, hits):
                # The small model refuses some answerable questions; a clause sentence that covers most
                # of the question is better shown (quoted) than withheld.
                note = "模型未能作答，以下为相关条款原文摘录。"
                backend_used = "extractive"
                checked = []
                yield note + "\n"
            elif self._model_refused(checked):
                yield from self._refuse(question, standalone, hits, note, timings, t0)
                return
            if dropped and not any(c.sources for c in checked) and backend_used != "extractive":
                # The model answered, but nothing it said is backed by a clause: refuse rather than guess.
                note = "模型的回答无法在检索到的条款中得到印证，已拒答。"
                yield from self._refuse(question, standalone, hits, note, timings, t0)
                return
        if not checked or not any(c.sources for c in checked):
            checked = extractive_sentences(standalone, hits)
            yield from self._emit(checked, timings, t0)
        cited_text = [hits[n - 1].text for c in checked for n in c.sources]
        mask = masked_note(standalone, [s for t in cited_text for s in re.split(r"(?<=[。；])", t)
                                        if support(standalone, s) > 0.2 or MASK.search(s)])
        if mask and not any("遮蔽" in c.text or "未给出" in c.text for c in checked):
            checked.append(Checked(mask, []))
            yield mask
        yield self._finish(question, standalone, checked, hits, False, note, timings, t0, backend=backend_used)

    def _llm_sentences(self, question: str, hits: Sequence[Hit], timings: dict, t0: float):
        """Stream the model's answer sentence by sentence, verifying each before it is shown.
        Returns (kept sentences, number of sentences dropped as unsupported)."""
        contexts = [f"{h.label} {for_search(h.text)} " + " ".join(d.describe() for d in h.duties) for h in hits]
        renum = Renumberer()
        out: list[Checked] = []
        dropped = 0

        def take(sentence: str) -> str | None:
            """Verify one finished sentence; the text to show now, if any."""
            nonlocal dropped
            if not sentence.strip():
                return None
            c = self._check(sentence, contexts)
            if c is None:
                dropped += 1
                return None
            out.append(c)
            # A refusal is decided on at the end, so it is not streamed.
            return renum.render(c) if c.sources or not MODEL_REFUSAL.search(c.text) else None

        buffer = ""
        for piece in self.llm.stream(prompt_messages(question, hits), self.settings.max_new_tokens):
            timings.setdefault("first_token", time.perf_counter() - t0)
            buffer += piece
            sentences = split_sentences(buffer)
            finished = _SENTENCE_DONE.search(buffer)
            complete, buffer = (sentences, "") if finished else (sentences[:-1], sentences[-1] if sentences else "")
            for sentence in complete:
                shown = take(sentence)
                if shown:
                    yield shown
        for sentence in split_sentences(buffer):
            shown = take(sentence)
            if shown:
                yield shown
        timings["generation"] = time.perf_counter() - t0 - timings.get("first_token", 0.0)
        return out, dropped

    def _refuse(self, question, standalone, hits, note, timings, t0) -> Iterator[str | Answer]:
        refusal = refusal_text()
        yield refusal
        yield self._finish(question, standalone, [], hits, True, note, timings, t0, refusal)

    @staticmethod
    def _check(sentence: str, contexts: list[str]) -> Checked | None:
        """Verified sentence, or None when it is an unsupported claim (dropped)."""
        c = verify_sentence(sentence, contexts)
        if c.sources or MODEL_REFUSAL.search(c.text) or "遮蔽" in c.text or "未给出" in c.text:
            return c
        log.info("dropped unsupported sentence: %s", c.text)
        return None

    @staticmethod
    def _model_refused(checked: list[Checked]) -> bool:
        return bool(checked) and not any(c.sources for c in checked) and any(MODEL_REFUSAL.search(c.text) for c in checked)

    def _emit(self, checked: list[Checked], timings, t0) -> Iterator[str]:
        timings.setdefault("first_token", time.perf_counter() - t0)
        renum = Renumberer()
        for c in checked:
            yield renum.render(c)

    def _finish(self, question, standalone, checked: list[Checked], hits, refused, note, timings, t0,
                refusal: str = "", backend: str | None = None) -> Answer:
        timings["total"] = time.perf_counter() - t0
        timings.setdefault("first_token", timings["total"])
        if refused:
            body = refusal
            text = refusal + (f"\n（{note}）" if note else "")
            text += ("\n可能相关：\n" + "\n".join(f"· {h.label}" for h in hits[:3])) if hits else ""
            return Answer(question, standalone, text, body, (), tuple(hits), True, backend or self.backend, note, timings)
        renum = Renumberer()
        rendered = [renum.render(c) for c in checked]
        body = "".join(rendered).strip()
        supports: dict[int, list[str]] = {}
        for c in checked:
            for n in c.sources:
                supports.setdefault(n, []).append(c.text)
        citations = []
        for display_no, context_no in enumerate(renum.order, 1):
            h = hits[context_no - 1]
            citations.append(Citation(display_no, h.id, h.doc, h.title, h.label, h.text, h.departments,
                                      tuple(supports.get(context_no, ())), h.start, h.end))
        sources = "\n".join(f"〔{c.number}〕{c.label}" for c in citations)
        text = body + (f"\n\n来源：\n{sources}" if sources else "")
        if note:
            text = note + "\n" + text
        return Answer(question, standalone, text, body, tuple(citations), tuple(hits), False, backend or self.backend,
                      note, timings)


def answer_stream(question: str, history=None, k: int | None = None, llm: str | None = None,
                  settings: Settings | None = None) -> Iterator[str | Answer]:
    """Yield verified answer text pieces as they are ready, then the final Answer."""
    pipeline = pipeline_for(settings)
    backend = llm or pipeline.settings.llm
    return Answerer(pipeline, backend).stream(question, history=history, k=k)


def answer(question: str, history=None, k: int | None = None, llm: str | None = None,
           settings: Settings | None = None) -> Answer:
    """Answer a question; returns an Answer with text, citations, hits, refused, backend and timings."""
    final = None
    for item in answer_stream(question, history=history, k=k, llm=llm, settings=settings):
        if isinstance(item, Answer):
            final = item
    assert final is not None
    return final
