"""Citation verification: keep a [n] only when its clause supports the sentence (enough shared wording and
every number and name present), drop the rest, and renumber the survivors 〔1〕〔2〕… in order of appearance."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from ..text.markers import markers_in, shown_marker, strip_lead_in, strip_markers
from ..text.names import GOVERNMENT_DEPARTMENT_SUFFIXES, PLACE_SUFFIXES, alternation
from ..text.normalize import for_match, for_search
from ..text.overlap import bigrams, support
from ..text.quantities import QUANTITY, levels_asked, quantities, states_level
from ..text.numerals import CN_ORDINAL_DIGITS
from ..text.sentences import SENTENCE_ENDS, clause_sentences, ends_with_sentence_end
from .thresholds import CLAIM_WINDOW_SENTENCES, ITEM_BINDING_MARGIN, SUPPORT_THRESHOLD

NUMBER = re.compile(r"\d+(?:\.\d+)?")
# Separates a verification context's frame (the clause's label: document title and heading path; its duties) from
# its text: the frame is read with every window of the text (answering/context.verification_contexts).
FRAME_SEPARATOR = "\x1f"
# Where a figure's item can no longer be named: sentence ends (figures of one sentence share its words).
SENTENCE_PARTS = re.compile(rf"[{SENTENCE_ENDS}\n]")
# What may stand between figures listed together (「50万元、30万元」).
LISTING_GAP = " 、，,和与及或"
# "1. …" list numbering at a sentence start is not a stated figure.
LIST_BULLET = re.compile(rf"^\s*(?:\d{{1,2}}\s?[.、)）]|[（(]\d{{1,2}}[)）]|[-•·*]|[{CN_ORDINAL_DIGITS}]、)\s*")


def numbers_supported(sentence: str, clause_text: str) -> bool:
    """Every number stated in the sentence appears in the clause (no invented or altered figures)."""
    clause_numbers = set(NUMBER.findall(for_search(clause_text).replace(" ", "")))
    return all(n in clause_numbers for n in NUMBER.findall(for_search(sentence)))


def entities_supported(sentence: str, clause_text: str) -> bool:
    """Every place, person or organisation named in the sentence is named in the clause."""
    from ..text.tokens import named_entities

    clause = for_match(clause_text)
    return all(for_match(e) in clause for e in named_entities(sentence))


# A department as answers name it: "市科技局", "区委组织部", "市委科创办", "高新区管委会".
DEPARTMENT_NAME = re.compile(
    rf"[{PLACE_SUFFIXES}][\u4e00-\u9fff]{{1,10}}?(?:{alternation(GOVERNMENT_DEPARTMENT_SUFFIXES)})"
)


def claims_supported(sentence: str, clause_text: str) -> bool:
    """The sentence's specific claims are the clause's: every figure with its unit ("50万元", not just 50),
    every administrative level and every department it names."""
    clause_figures = {for_match(f) for f in quantities(clause_text)}
    if any(for_match(f) not in clause_figures for f in quantities(sentence)):
        return False
    if any(not states_level(clause_text, level) for level in levels_asked(sentence)):
        return False
    clause = for_match(clause_text)
    return all(for_match(d) in clause for d in DEPARTMENT_NAME.findall(for_search(sentence)))


def _frame_and_body(context: str) -> tuple[str, str]:
    """A verification context's frame (label and duties; "" when it has none) and its clause text."""
    parts = context.split(FRAME_SEPARATOR)
    return (" ".join(parts[:1] + parts[2:]), parts[1]) if len(parts) >= 2 else ("", context)


def _windows(clause_text: str, size: int = CLAIM_WINDOW_SENTENCES) -> tuple[str, list[str]]:
    """(frame, every window of at most `size` consecutive sentences of the clause text)."""
    frame, body = _frame_and_body(clause_text)
    sentences = clause_sentences(body) or [body]
    return frame, [
        "".join(sentences[i:j]) for i in range(len(sentences)) for j in range(i + 1, min(len(sentences), i + size) + 1)
    ]


@lru_cache(maxsize=64)
def _question_words(question: str) -> frozenset[str]:
    """The question's search tokens of two or more characters (tokenised once per question, not per check)."""
    from ..text.tokens import tokens

    return frozenset(t for t in (for_match(w) for w in tokens(question)) if len(t) >= 2)


def topic_terms(question: str, sentence: str, clause_text: str) -> set[str]:
    """The question's words (search tokens of two or more characters) that the sentence repeats and the clause
    text states: what the sentence is about, as the question names it."""
    said, body = for_match(sentence), for_match(_frame_and_body(clause_text)[1])
    return {t for t in _question_words(question) if t in said and t in body}


def window_support(sentence: str, clause_text: str, question: str = "") -> float:
    """The sentence's support in the best window of at most CLAIM_WINDOW_SENTENCES consecutive clause sentences,
    each read with the clause's frame (title, heading path, duties) when the context carries one. With the
    `question`, a window is one sentence, and counts only when it, the sentence before it (whose lead, 「到2025年,」,
    runs on past a ；) and the frame state every topic term: 「算力券用于…」 is not supported by the sentence before
    the one about 算力券, however many of its words that one holds."""
    topic = topic_terms(question, sentence, clause_text) if question else set()
    if not topic:
        frame, windows = _windows(clause_text)
        return max((support(sentence, frame + " " + w) for w in windows), default=0.0)
    frame, sentences = _windows(clause_text, 1)
    best = 0.0
    for i, window in enumerate(sentences):
        held = for_match(" ".join((frame, sentences[i - 1] if i else "", window)))
        if all(t in held for t in topic):
            best = max(best, support(sentence, frame + " " + window))
    return best


def figure_items(text: str, after: bool = False) -> list[tuple[str, str]]:
    """(figure, the words that name its item) for each figure of the text: the words since the previous figure of
    its sentence (policy text names the item first: 「国家高新技术企业总量突破260家」); figures listed together
    (「分别给予50万元、30万元」) share their item. With `after`, the words up to the next figure count too (an answer
    may name the item after the figure: 「培育12家国家级高新技术企业」)."""
    out = []
    for sentence in SENTENCE_PARTS.split(for_search(text)):
        found = list(QUANTITY.finditer(sentence))
        start = previous_end = 0
        for k, m in enumerate(found):
            listed = previous_end and not sentence[previous_end : m.start()].strip(LISTING_GAP)
            start = start if listed else previous_end
            item = sentence[start : m.start()]
            if after:
                item += " " + sentence[m.end() : found[k + 1].start() if k + 1 < len(found) else len(sentence)]
            out.append((for_match(re.sub(r"\s+", "", m.group(0))), item))
            previous_end = m.end()
    return out


def figures_bound(sentence: str, clause_text: str) -> bool:
    """Every figure the sentence states is the clause's figure for the item the sentence gives it to: no other
    figure of the clause has an item matching the sentence's words around the figure better, by more than
    ITEM_BINDING_MARGIN of those words, than this figure's own item. Evidence against only: a figure the clause
    does not state is left to `claims_supported`."""
    clause = figure_items(_frame_and_body(clause_text)[1])
    for figure, words in figure_items(sentence, after=True):
        item = bigrams(words)
        if not item:
            continue
        own = [len(item & bigrams(text)) for f, text in clause if f == figure]
        rival = [len(item & bigrams(text)) for f, text in clause if f != figure]
        if own and rival and (max(rival) - max(own)) / len(item) > ITEM_BINDING_MARGIN:
            return False
    return True


def supports_sentence(sentence: str, clause_text: str, question: str = "") -> bool:
    """The clause supports the sentence: enough shared wording within one window of it (holding the question's
    topic, when the question is given), no number, name or claim it lacks, and every figure given to the item the
    clause gives it to."""
    return (
        window_support(sentence, clause_text, question) >= SUPPORT_THRESHOLD
        and numbers_supported(sentence, clause_text)
        and entities_supported(sentence, clause_text)
        and claims_supported(sentence, clause_text)
        and figures_bound(sentence, clause_text)
    )


@dataclass
class Checked:
    """A sentence after verification: its text without markers and the clause numbers (1-based,
    into the context list) that support it."""

    text: str
    sources: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    newline: bool = False  # the sentence ended a line (keeps list items on their own lines)


def verify_sentence(sentence: str, contexts: list[str], auto_cite: bool = True, question: str = "") -> Checked:
    """Keep the markers whose clause supports the sentence; optionally cite the best clause for an
    uncited sentence that one clause clearly supports. With the `question`, the supporting window must hold the
    question's topic as the sentence repeats it."""
    body = strip_lead_in(strip_markers(sentence)).strip()
    claim = LIST_BULLET.sub("", body)  # "1. …" list numbering is not a stated figure
    cited = list(dict.fromkeys(markers_in(sentence)))
    keep, dropped = [], []
    for n in cited:
        if 1 <= n <= len(contexts) and supports_sentence(claim, contexts[n - 1], question):
            keep.append(n)
        else:
            dropped.append(n)
    if not keep and auto_cite and contexts:
        scored = sorted(((support(claim, c), i + 1) for i, c in enumerate(contexts)), reverse=True)
        best, n = scored[0]
        if best >= SUPPORT_THRESHOLD and supports_sentence(claim, contexts[n - 1], question):
            keep.append(n)
    return Checked(body, keep, dropped, newline=sentence.rstrip(" ").endswith("\n"))


class Renumberer:
    """Maps context numbers to display numbers in order of first appearance."""

    def __init__(self) -> None:
        self.order: list[int] = []

    def number(self, context_no: int) -> int:
        if context_no not in self.order:
            self.order.append(context_no)
        return self.order.index(context_no) + 1

    def render(self, checked: Checked) -> str:
        """The sentence with its surviving markers as 〔n〕, placed before a closing full stop."""
        tail = "\n" if checked.newline else ""
        if not checked.sources:
            return checked.text + tail
        marks = "".join(shown_marker(self.number(n)) for n in checked.sources)
        text = checked.text.rstrip()
        if ends_with_sentence_end(text):
            return text[:-1] + marks + text[-1] + tail
        return text + marks + tail
