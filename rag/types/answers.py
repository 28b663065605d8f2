"""An answer and the pieces a streamed answer yields before it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..text.markers import strip_markers
from .clauses import Citation, Hit, facts_suffix


# Headers of the plain-text source list after an answer, and of the nearest clauses after a refusal.
SOURCES_HEADER = "来源："
RELATED_HEADER = "可能相关："


@dataclass
class Timings:
    """Seconds from the question's arrival: how long retrieval and the span reader took, when the first verified
    text, the first streamed text and the end came, and how long the model generated; None where it did not
    happen."""

    retrieval: float | None = None
    reader: float | None = None
    first_verified: float | None = None
    first_token: float | None = None
    generation: float | None = None
    total: float | None = None

    def saw_first_token(self, elapsed: float) -> None:
        if self.first_token is None:
            self.first_token = elapsed

    def saw_first_verified(self, elapsed: float) -> None:
        if self.first_verified is None:
            self.first_verified = elapsed

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True, kw_only=True)
class Answer:
    """A finished answer. `body` holds the verified sentences with 〔n〕 markers; `citations` the clauses behind
    them. `refused` means the documents do not answer what was asked: `body` then says what they do say and what
    they do not (citing the nearest clause when one says something) and ends with the refusal sentence, and
    `related` holds the nearest clauses."""

    question: str
    standalone_question: str
    body: str
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    refused: bool
    backend: str
    note: str = ""  # e.g. why the answer fell back to extractive, or why it was refused
    timings: Timings = field(default_factory=Timings)
    # The note is for logs and scripts only: a model's wording that did not verify was replaced by the verified
    # quote, which needs no apology on the page.
    quiet_note: bool = False

    @property
    def related(self) -> tuple[Hit, ...]:
        """The nearest clauses shown with a refusal (those it cites left out)."""
        if not self.refused:
            return ()
        cited = {c.clause.id for c in self.citations}
        return tuple(h for h in self.hits if h.clause.id not in cited)[:3]

    @property
    def extra_note(self) -> str:
        """The note, unless the body already says it or it is only for logs."""
        if self.quiet_note:
            return ""
        return self.note if self.note and self.note not in strip_markers(self.body) else ""

    def sources_text(self) -> str:
        """The source list (and, for a refusal, the nearest clauses) as plain text."""
        parts = []
        if self.citations:
            parts.append(
                SOURCES_HEADER
                + "\n"
                + "\n".join(f"〔{c.number}〕{c.label}{facts_suffix(c.clause)}" for c in self.citations)
            )
        if self.related:
            parts.append(RELATED_HEADER + "\n" + "\n".join(f"· {h.label}" for h in self.related))
        return "\n".join(parts)

    @property
    def text(self) -> str:
        """The whole answer as plain text: note, body, then sources."""
        if self.refused:
            parts = [self.body + (f"\n（{self.extra_note}）" if self.extra_note else "")]
            sources = self.sources_text()
            return parts[0] + ("\n" + sources if sources else "")
        text = self.body + (f"\n\n{self.sources_text()}" if self.citations else "")
        return (self.note + "\n" + text) if self.note else text

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "standalone_question": self.standalone_question,
            "text": self.text,
            "body": self.body,
            "citations": [c.to_dict() for c in self.citations],
            "hits": [h.to_dict() for h in self.hits],
            "refused": self.refused,
            "backend": self.backend,
            "note": self.note,
            "timings": self.timings.to_dict(),
        }


@dataclass(frozen=True)
class Retrieved:
    """Streamed before the answer: the candidate clauses, as soon as retrieval is done."""

    hits: tuple[Hit, ...]


@dataclass(frozen=True)
class Quoted:
    """Streamed before a model's answer: the verified quote (text with its 〔n〕 markers), on screen at once; the
    model's wording takes its place only when it verifies."""

    text: str


@dataclass(frozen=True)
class Waiting:
    """Streamed while the question waits for the model: how many questions are ahead of it."""

    ahead: int
