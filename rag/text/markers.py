"""Citation markers: the forms a model writes ([n], 【n】, 〔n〕, [条款n]) and the one the answer shows (〔n〕)."""

from __future__ import annotations

import re

MARKER = re.compile(r"\s*(?:\[(\d{1,2})\]|【(\d{1,2})】|〔(\d{1,2})〕|\[(?:条款)?(\d{1,2})\])")
# The form shown to users, after verification and renumbering.
SHOWN_MARKER = re.compile(r"〔(\d+)〕")


def markers_in(text: str) -> list[int]:
    """The numbers of every citation marker in the text, in order."""
    return [int(next(g for g in m.groups() if g)) for m in MARKER.finditer(text)]


# A model's lead-in that only says where the sentence comes from (「根据条款，」「根据条款10，」「依据上述条款1和2，」),
# read after the markers are stripped: it says nothing the citation does not, and stripped markers leave fragments.
CITING_LEAD_IN = re.compile(
    r"^\s*(?:根据|依据|按照|参照)(?:以上|上述|所给|提供的)?(?:的)?(?:条款|条文|材料|文件|内容)"
    r"(?:\s*\d{1,2})?(?:\s*[和、及与,，]\s*(?:条款)?\s*\d{1,2})*\s*(?:[和、及与]\s*)?(?:的(?:规定|内容))?\s*[，,：:]\s*"
)


def strip_markers(text: str) -> str:
    return MARKER.sub("", text)


def strip_lead_in(text: str) -> str:
    """The sentence without a lead-in that only names the clauses it comes from."""
    return CITING_LEAD_IN.sub("", text, count=1)


def shown_marker(number: int) -> str:
    return f"〔{number}〕"
