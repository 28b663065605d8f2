"""Turn the decided sentences into an Answer: renumber citations in order of appearance and attach to each
cited clause the sentences it supports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from ..types import Answer, Citation, Hit, Timings
from .prompts import refusal_text
from .verification import Checked, Renumberer


@dataclass
class Draft:
    """What the answer path decided: the verified sentences, or a refusal, with a note and the backend used."""

    checked: list[Checked] = field(default_factory=list)
    refused: bool = False
    note: str = ""
    backend: str = ""
    quiet: bool = False  # the note is for logs only (see Answer.quiet_note)


def compose(question: str, standalone: str, draft: Draft, hits: Sequence[Hit], timings: Timings) -> Answer:
    """The final Answer for a draft."""
    renum = Renumberer()
    body = "".join(renum.render(c) for c in draft.checked).strip()
    if draft.refused:
        # "refused" means the documents do not answer what was asked; the body may still say what they do say.
        body = f"{body}\n{refusal_text()}".strip()
    supports: dict[int, list[str]] = {}
    for c in draft.checked:
        for n in c.sources:
            supports.setdefault(n, []).append(c.text)
    citations = tuple(
        Citation(number, hits[context_no - 1].clause, tuple(supports.get(context_no, ())))
        for number, context_no in enumerate(renum.order, 1)
    )
    return Answer(
        question=question,
        standalone_question=standalone,
        body=body,
        citations=citations,
        hits=tuple(hits),
        refused=draft.refused,
        backend=draft.backend,
        note=draft.note,
        timings=timings,
        quiet_note=draft.quiet,
    )
