"""Citation markers: the forms a model writes ([n], 【n】, 〔n〕, [条款n]) and the one the answer shows (〔n〕)."""

from __future__ import annotations

import re

MARKER = re.compile(r"\s*(?:\[(\d{1,2})\]|【(\d{1,2})】|〔(\d{1,2})〕|\[(?:条款)?(\d{1,2})\])")
# The form shown to users, after verification and renumbering.
SHOWN_MARKER = re.compile(r"〔(\d+)〕")


def markers_in(text: str) -> list[int]:
    """The numbers of every citation marker in the text, in order."""
    return [int(next(g for g in m.groups() if g)) for m in MARKER.finditer(text)]


def strip_markers(text: str) -> str:
    return MARKER.sub("", text)


def shown_marker(number: int) -> str:
    return f"〔{number}〕"
