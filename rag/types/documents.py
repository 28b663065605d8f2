"""What a document is and what it states of itself: its text, its duties (who is responsible) and its facts
(issuer, number, dates, type, …), which ingest/facts.py reads."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..text.masks import is_masked


@dataclass(frozen=True)
class Duty:
    """Who is responsible for one task: lead units (where stated) and the others named."""

    lead: tuple[str, ...]
    partners: tuple[str, ...]
    task: str  # the sentence the assignment belongs to (simplified)

    def describe(self) -> str:
        """Human-readable assignment, e.g. "牵头：市科技局；责任/配合：市财政局"."""
        if self.lead and self.partners:
            return f"牵头：{'、'.join(self.lead)}；责任/配合：{'、'.join(self.partners)}"
        return "、".join(self.lead or self.partners)


def named_departments(duties: tuple[Duty, ...]) -> tuple[str, ...]:
    """Every department named in some duties, in order, without repeats."""
    seen: dict[str, None] = {}
    for duty in duties:
        for name in duty.lead + duty.partners:
            seen.setdefault(name, None)
    return tuple(seen)


@dataclass(frozen=True)
class Document:
    """One loaded document: the original text, a cleaned view of it, and the mapping between them."""

    name: str
    title: str
    original: str
    clean: str
    offsets: tuple[int, ...]  # offsets[i] = position in `original` of clean[i]
    sha256: str
    encoding: str

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) range of the clean text to the original text."""
        if end <= start:
            pos = self.offsets[start] if start < len(self.offsets) else len(self.original)
            return pos, pos
        return self.offsets[start], self.offsets[end - 1] + 1


# ---------------------------------------------------------------- document facts (ingest/facts.py reads them)


@dataclass(frozen=True)
class Fact:
    value: str
    start: int = -1  # span in the original text; -1 when the fact comes from the title or documents.toml
    end: int = -1
    how: str = "stated"  # "stated", "inferred" or "corrected"
    masked: bool = False

    def to_dict(self) -> dict:
        return {"value": self.value, "start": self.start, "end": self.end, "how": self.how, "masked": self.masked}

    @classmethod
    def from_dict(cls, d: dict) -> "Fact":
        return cls(
            str(d["value"]),
            int(d.get("start", -1)),
            int(d.get("end", -1)),
            str(d.get("how", "stated")),
            bool(d.get("masked", False)),
        )


FACT_FIELDS = (
    "title",
    "issuer",
    "number",
    "date",
    "published",
    "addressees",
    "doc_type",
    "region",
    "level",
    "superseded",
)
# How each shown fact is named, in answers and on the cards.
FACT_LABELS = {"issuer": "发文机关", "number": "文号", "date": "成文日期", "published": "发布日期", "doc_type": "文种"}


@dataclass(frozen=True)
class DocumentFacts:
    title: Fact | None = None
    issuer: Fact | None = None
    number: Fact | None = None
    date: Fact | None = None  # 成文日期 (the date under the signature, or labelled so)
    published: Fact | None = None  # 发布日期 a site states for the document (not a page's own time stamp)
    addressees: Fact | None = None
    doc_type: Fact | None = None
    region: Fact | None = None
    level: Fact | None = None
    superseded: Fact | None = None  # no longer in force: abolished, replaced by a newer version, or expired
    notes: tuple[str, ...] = field(default=())

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(f for f in ("issuer", "number", "date") if getattr(self, f) is None)

    def issue_date(self) -> Fact | None:
        """The date a question about "when" gets: the 成文日期, else the stated 发布日期."""
        return self.date or self.published

    def to_dict(self) -> dict:
        out = {f: getattr(self, f).to_dict() for f in FACT_FIELDS if getattr(self, f) is not None}
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    @classmethod
    def from_dict(cls, d: dict | None) -> "DocumentFacts":
        d = d or {}
        return cls(
            **{f: Fact.from_dict(d[f]) for f in FACT_FIELDS if isinstance(d.get(f), dict)},
            notes=tuple(d.get("notes", ())),
        )

    def summary(self) -> dict:
        """The facts a citation carries: value per field (masked values as the copy shows them)."""
        return {f: getattr(self, f).value for f in FACT_FIELDS if f != "title" and getattr(self, f) is not None}

    def line(self) -> str:
        """One display line: issuer · number · date (the ones known)."""
        date = self.issue_date()
        parts = [
            f.value + ("（原文遮蔽）" if f.masked else "") for f in (self.issuer, self.number, date) if f is not None
        ]
        if self.superseded is not None:
            parts.append(f"⚠ {self.superseded.value}")
        return " · ".join(parts)

    def corrected(self, values: dict[str, str]) -> "DocumentFacts":
        """These facts with the user's corrections (documents.toml) in place; corrections win."""
        changes = {
            k: Fact(str(v), how="corrected", masked=is_masked(str(v))) for k, v in values.items() if k in FACT_FIELDS
        }
        return replace(self, **changes)  # type: ignore[arg-type]  # FACT_FIELDS are the Fact-valued fields
