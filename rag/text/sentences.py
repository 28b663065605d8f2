"""Where a sentence ends. One character set for the parser, the verifier, the streamer and the quoting code."""

from __future__ import annotations

import re

from .markers import MARKER

# Full-width and ASCII sentence ends; the semicolon ends a clause sentence in policy text ("…；（二）…").
SENTENCE_ENDS = "。！？!?；;"
_AFTER_END = re.compile(rf"(?<=[{SENTENCE_ENDS}])")
# A streamed text whose last sentence is finished: an end (or a line break), then only markers and spaces.
_FINISHED = re.compile(rf"[{SENTENCE_ENDS}\n]\s*(?:{MARKER.pattern})*\s*$")


def clause_sentences(text: str, min_chars: int = 1) -> list[str]:
    """A clause's sentences (stripped, in order), each ending with its end character."""
    return [s.strip() for s in _AFTER_END.split(text) if len(s.strip()) >= min_chars]


def ends_with_sentence_end(text: str) -> bool:
    """The text's last non-space character ends a sentence."""
    stripped = text.rstrip()
    return bool(stripped) and stripped[-1] in SENTENCE_ENDS


def is_finished(text: str) -> bool:
    """A streamed text ends with a finished sentence (and perhaps its citation markers)."""
    return bool(_FINISHED.search(text))


def split_sentences(text: str) -> list[str]:
    """Split after sentence ends and line breaks, keeping each sentence's trailing markers with it. The pieces
    concatenate back to the text exactly (so a streaming caller can keep the unfinished tail); pieces that are
    only whitespace are kept and left for the caller to skip."""
    pieces: list[str] = []
    buf = ""
    i = 0
    while i < len(text):
        ch = text[i]
        buf += ch
        i += 1
        if ch in SENTENCE_ENDS or ch == "\n":
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
