"""Answers made without a model, from the retrieved clauses: who is responsible (from the duty data), a masked
figure reported as not given, and quotes of the best clause sentences (the extractive backend)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from ..ingest.headings import strip_marker
from ..text.masks import MASK, first_mask, not_given_sentence
from ..text.names import names_departments
from ..text.normalize import for_search
from ..text.overlap import bigrams, support
from ..text.sentences import clause_sentences
from ..types import Duty, Hit
from ..query.intents import asks_number
from .thresholds import (
    DUTY_MATCH,
    DUTY_TOP_BONUS,
    MASK_CHECK_RELEVANCE,
    MASKED_MATCH,
    MEANING_WEIGHT,
    QUOTE_CHARS,
    RANK_TIEBREAK,
    RESPONSIBILITY_DEPTH,
)
from .verification import Checked

if TYPE_CHECKING:  # pragma: no cover
    from .answerability import Verdict

# Shorter pieces between sentence ends are not quotable sentences.
MIN_SENTENCE_CHARS = 5


def join_quoted(sentences: list[str], text: str) -> str:
    """Sentences of one clause as one quote: "……" marks where the clause text between them was left out."""
    out = sentences[0] if sentences else ""
    for sentence in sentences[1:]:
        out += sentence if (out + sentence) in text else "……" + sentence
    return out.strip()


def best_sentences(question: str, text: str, limit: int = 2) -> list[str]:
    """The clause sentences that share most with the question (original wording, in clause order)."""
    sentences = clause_sentences(text, MIN_SENTENCE_CHARS)
    if not sentences:
        return [text.strip()]
    scored = [(support(question, s), -idx, s) for idx, s in enumerate(sentences)]
    top = sorted(scored, reverse=True)[:limit]
    return [s for _, _, s in sorted(top, key=lambda t: -t[1])]


def best_window(
    question: str,
    text: str,
    max_chars: int = QUOTE_CHARS,
    meaning: dict[str, float] | None = None,
    anchor: str = "",
) -> str:
    """The run of consecutive clause sentences (at most max_chars, at least one sentence) that holds most of the
    question's wording and, where the index has sentence vectors (`meaning`: sentence → cosine with the question),
    the sentence closest to it in meaning; among equal runs, the longer (it carries the answer after the echo of
    the question). With an `anchor` (the span reader's answer), only runs that hold it are considered."""
    sentences = clause_sentences(text, MIN_SENTENCE_CHARS) or [text.strip()]
    meaning = meaning or {}
    closest = max((meaning.get(s, 0.0) for s in sentences), default=0.0)
    best: tuple[float, int, int, str] | None = None
    for i in range(len(sentences)):
        run = ""
        for j in range(i, len(sentences)):
            if j > i and len(run) + len(sentences[j]) > max_chars:
                break
            run = join_quoted(sentences[i : j + 1], text)
            if anchor and anchor not in run:
                continue
            missed = closest - max((meaning.get(s, 0.0) for s in sentences[i : j + 1]), default=0.0) if meaning else 0.0
            key = (round(support(question, run) - MEANING_WEIGHT * missed, 3), len(run), -i, run)
            if best is None or key[:3] > best[:3]:
                best = key
    if best is None:  # the anchor lies in no run short enough (or across sentences the quote would split)
        return best_window(question, text, max_chars, meaning)
    return best[3]


def masked_sentences(question: str, hits: Sequence[Hit]) -> list[Checked]:
    """A number question whose answer sentence has the number masked: quote it and say the figure is not given."""
    if not asks_number(question):
        return []
    best: tuple[float, int, str] | None = None
    for i, h in enumerate(hits[:2]):
        for sentence in clause_sentences(h.answer_text):
            if MASK.search(sentence):
                score = support(question, sentence)
                if best is None or score > best[0]:
                    best = (score, i, sentence)
    if best is None or best[0] < MASKED_MATCH:
        return []
    _, i, sentence = best
    sentence = strip_marker(sentence).rstrip("。；;")
    mask = first_mask(sentence)
    return [
        Checked(f"原文为：“{sentence}”。", [i + 1]),
        Checked(f"其中的数字在原文中被遮蔽（显示为“{mask}”），文件未给出具体数值，无法确定。", []),
    ]


def masked_note(question: str, cited_texts: Sequence[str]) -> str:
    """For a number question whose cited clauses mask the relevant figure: the sentence saying so, else ""."""
    if not asks_number(question):
        return ""
    for text in cited_texts:
        for sentence in clause_sentences(text):
            mask = first_mask(sentence)
            if mask and support(question, sentence) > MASK_CHECK_RELEVANCE:
                return not_given_sentence(mask)
    return ""


def duty_for_question(question: str, hits: Sequence[Hit]) -> tuple[int, Duty] | None:
    """The (hit index, duty) whose task best matches the question, among the first RESPONSIBILITY_DEPTH hits."""
    best: tuple[float, int, Duty] | None = None
    for i, h in enumerate(hits[:RESPONSIBILITY_DEPTH]):
        for d in h.duties:
            score = support(question, d.task + " " + h.label) + (DUTY_TOP_BONUS if i == 0 else 0.0)
            if best is None or score > best[0]:
                best = (score, i, d)
    return (best[1], best[2]) if best and best[0] >= DUTY_MATCH else None


def responsibility_sentences(question: str, hits: Sequence[Hit]) -> list[Checked]:
    """ "“task”由…负责" from the duty data of the best-matching clause; without one, the sentence of the top three
    clauses that names departments (collaboration wording or a joint signature), quoted; [] when none does."""
    found = duty_for_question(question, hits)
    if found is None:
        return naming_sentence(question, hits)
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


def naming_sentence(question: str, hits: Sequence[Hit]) -> list[Checked]:
    """The sentence naming departments that shares most with the question, among the first RESPONSIBILITY_DEPTH
    clauses."""
    best: tuple[float, int, str] | None = None
    for i, h in enumerate(hits[:RESPONSIBILITY_DEPTH]):
        for sentence in clause_sentences(h.answer_text, MIN_SENTENCE_CHARS) or [h.answer_text]:
            if names_departments(sentence):
                score = support(question, sentence + " " + h.label) - RANK_TIEBREAK * i
                if best is None or score > best[0]:
                    best = (score, i, sentence.strip())
    return [Checked(f"“{best[2]}”", [best[1] + 1])] if best else []


def other_document(question: str, hits: Sequence[Hit], first: int, limit: int = 5) -> int | None:
    """The hit (index) from a document other than hits[first]'s, among the top `limit`, that best shares the
    topic of the comparison: the question's wording that the first side's clause also has ("科技担保")."""
    others = [i for i, h in enumerate(hits[:limit]) if h.doc != hits[first].doc]
    if not others:
        return None
    topic = bigrams(question) & bigrams(hits[first].answer_text) or bigrams(question)
    return max(others, key=lambda i: (len(topic & bigrams(hits[i].answer_text)), -i))


def evidence_sentences(verdict: "Verdict", hits: Sequence[Hit]) -> list[Checked]:
    """Quote the sentence that states the asked-for figure; for a comparison, one such sentence from each of
    two documents."""
    best = verdict.evidence[0]
    chosen = [best]
    if verdict.ask.comparison:
        second = next((e for e in verdict.evidence if hits[e.index].doc != hits[best.index].doc), None)
        if second is not None:
            chosen.append(second)
    return [Checked(f"“{_with_subject(verdict.ask.item, e)}”", [e.index + 1]) for e in chosen]


def _with_subject(item: str, evidence) -> str:
    """The evidence sentence, after the sentence before it when that one says more of what was asked (the
    figure sentence is then only the figure: 「举报电话：86222616」)."""
    sentence = strip_marker(evidence.sentence).strip()
    before = strip_marker(evidence.before).strip()
    if before and support(item, before) > support(item, sentence):
        return before + sentence
    return sentence


def extractive_sentences(
    question: str,
    hits: Sequence[Hit],
    comparison: bool = False,
    meaning: dict[str, float] | None = None,
    first: int = 0,
    anchor: str = "",
) -> list[Checked]:
    """Quote the best sentences of the `first` clause (the top one unless the chooser picked another; `meaning` is
    its sentences'; `anchor` is text its quote must hold), and of another document's best clause when the question
    compares."""
    if not hits:
        return []
    chosen = [first]
    other = other_document(question, hits, first) if comparison else None
    if other is not None:
        chosen.append(other)
    out = []
    for i in chosen:
        text = hits[i].answer_text
        quote = (
            best_window(question, text, meaning=meaning, anchor=anchor)
            if i == first
            else join_quoted(best_sentences(question, text, 1), text)
        )
        out.append(Checked(f"“{strip_marker(quote)}”", [i + 1]))
    return out
