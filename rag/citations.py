"""Citation markers: parse [n] from model output, verify each cited sentence against its clause,
drop markers that point nowhere or do not support their sentence, renumber in order of appearance."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .normalize import for_match, for_search

MARKER = re.compile(r"\s*(?:\[(\d{1,2})\]|【(\d{1,2})】|〔(\d{1,2})〕|\[(?:条款)?(\d{1,2})\])")
SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|\n")
LIST_BULLET = re.compile(r"^\s*(?:\d{1,2}\s?[.、)）]|[（(]\d{1,2}[)）]|[-•·*]|[一二三四五六七八九十]、)\s*")
NUMBER = re.compile(r"\d+(?:\.\d+)?")
SUPPORT_THRESHOLD = 0.5


def bigrams(text: str) -> set[str]:
    t = for_match(text)
    return {t[i : i + 2] for i in range(len(t) - 1)} if len(t) > 1 else ({t} if t else set())


def support(sentence: str, clause_text: str) -> float:
    """Share of the sentence's character bigrams (normalised) that occur in the clause."""
    s = bigrams(sentence)
    if not s:
        return 0.0
    return len(s & bigrams(clause_text)) / len(s)


def numbers_supported(sentence: str, clause_text: str) -> bool:
    """Every number stated in the sentence appears in the clause (no invented or altered figures)."""
    clause_numbers = set(NUMBER.findall(for_search(clause_text).replace(" ", "")))
    return all(n in clause_numbers for n in NUMBER.findall(for_search(sentence)))


def entities_supported(sentence: str, clause_text: str) -> bool:
    """Every place, person or organisation named in the sentence is named in the clause."""
    from .tokenize import named_entities

    clause = for_match(clause_text)
    return all(for_match(e) in clause for e in named_entities(sentence))


def supports_sentence(sentence: str, clause_text: str) -> bool:
    """The clause supports the sentence: enough shared wording, and no number or name it lacks."""
    return (support(sentence, clause_text) >= SUPPORT_THRESHOLD and numbers_supported(sentence, clause_text)
            and entities_supported(sentence, clause_text))


def markers_in(text: str) -> list[int]:
    return [int(next(g for g in m.groups() if g)) for m in MARKER.finditer(text)]


def strip_markers(text: str) -> str:
    return MARKER.sub("", text)


def split_sentences(text: str) -> list[str]:
    """Split after sentence ends, keeping each sentence's trailing markers with it. The pieces
    concatenate back to the text exactly (so a streaming caller can keep the unfinished tail);
    pieces that are only whitespace are kept and left for the caller to skip."""
    pieces: list[str] = []
    buf = ""
    i = 0
    while i < len(text):
        ch = text[i]
        buf += ch
        i += 1
        if ch in "。！？!?；;\n":
            m = MARKER.match(text, i)
            while m:  # markers written after the full stop belong to this sentence
                buf += m.group(0)
                i = m.end()
                m = MARKER.match(text, i)
            pieces.append(buf)
            buf = ""
    if buf:
        pieces.append(buf)
    return pieces


@dataclass
class Checked:
    """A sentence after verification: its text without markers and the clause numbers (1-based,
    into the context list) that support it."""

    text: str
    sources: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    newline: bool = False  # the sentence ended a line (keeps list items on their own lines)


def verify_sentence(sentence: str, contexts: list[str], auto_cite: bool = True) -> Checked:
    """Keep the markers whose clause supports the sentence; optionally cite the best clause for an
    uncited sentence that one clause clearly supports."""
    body = strip_markers(sentence).strip()
    claim = LIST_BULLET.sub("", body)  # "1. …" list numbering is not a stated figure
    cited = list(dict.fromkeys(markers_in(sentence)))
    keep, dropped = [], []
    for n in cited:
        if 1 <= n <= len(contexts) and supports_sentence(claim, contexts[n - 1]):
            keep.append(n)
        else:
            dropped.append(n)
    if not keep and auto_cite and contexts:
        scored = sorted(((support(claim, c), i + 1) for i, c in enumerate(contexts)), reverse=True)
        best, n = scored[0]
        if best >= SUPPORT_THRESHOLD and supports_sentence(claim, contexts[n - 1]):
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
        marks = "".join(f"〔{self.number(n)}〕" for n in checked.sources)
        text = checked.text.rstrip()
        if text and text[-1] in "。！？!?；;":
            return text[:-1] + marks + text[-1] + tail
        return text + marks + tail
