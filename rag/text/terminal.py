"""What may reach a terminal from text users or documents supplied: every control character that a terminal
obeys (escape sequences that retitle the window, clear the screen or hide lines, bells, carriage returns that
overwrite a line) and the bidirectional overrides that reorder what is shown are dropped; tab and newline stay.

The command line prints through `TerminalSafe` (rag/cli), so everything it prints — answers, clause texts, file
names, feedback comments, error messages — passes `for_terminal` once, whatever command printed it."""

from __future__ import annotations

import io
import re
from typing import TextIO

# C0 controls but tab and newline, DEL, C1 controls, and the marks and overrides of bidirectional text.
TERMINAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def for_terminal(text: str) -> str:
    """The text without the characters a terminal would obey instead of showing."""
    return TERMINAL_CONTROL.sub("", text)


class TerminalSafe(io.TextIOBase):
    """A text stream that writes to `raw` only what `for_terminal` keeps."""

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(for_terminal(text))
        return len(text)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return self.raw.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.raw, "encoding", "utf-8")


__all__ = ["TERMINAL_CONTROL", "TerminalSafe", "for_terminal"]
