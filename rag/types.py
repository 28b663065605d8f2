"""The typed values that flow between the stages: ingest → indexing → retrieval → answering.

A type that refers to a clause holds the `Clause` itself (never copies of its fields), so a new clause
field reaches hits, citations and the page without touching them.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .text.dates import fact_date, typed_date
from .text.markers import strip_markers
from .text.masks import is_masked
from .text.normalize import to_simplified
from .text.sentences import clause_sentences


# ---------------------------------------------------------------- ingest


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
        return replace(self, **changes)


@dataclass(frozen=True)
class SearchFilter:
    """Which documents a search may return, by their facts: region and issuer (a part of the name, e.g. 天津),
    document type (通知, 方案, …) and a date range (YYYY-MM-DD, inclusive, on the 成文日期 or else the stated
    发布日期). A document whose fact is not established does not match a filter on it."""

    region: str = ""
    issuer: str = ""
    doc_type: str = ""
    date_from: str = ""
    date_to: str = ""
    in_force_only: bool = False  # leave out documents that are abolished, replaced or expired

    def __bool__(self) -> bool:
        return any((self.region, self.issuer, self.doc_type, self.date_from, self.date_to, self.in_force_only))

    def matches(self, facts: "DocumentFacts | None") -> bool:
        if not self:
            return True
        if facts is None:
            return not any((self.region, self.issuer, self.doc_type, self.date_from, self.date_to))
        if self.in_force_only and facts.superseded is not None:
            return False
        for wanted, fact in ((self.region, facts.region), (self.issuer, facts.issuer), (self.doc_type, facts.doc_type)):
            if wanted and (fact is None or to_simplified(wanted) not in to_simplified(fact.value)):
                return False
        if self.date_from or self.date_to:
            date = facts.issue_date()
            day = fact_date(date.value) if date is not None and not date.masked else None
            if day is None or (self.date_from and day < self.date_from) or (self.date_to and day > self.date_to):
                return False
        return True

    MAX_TEXT = 40  # characters of a region, issuer or type a user may type

    @classmethod
    def parse(
        cls, region: str = "", issuer: str = "", doc_type: str = "", since: str = "", until: str = ""
    ) -> "SearchFilter":
        """A filter from what a user typed (the CLI's flags, the page's fields); ValueError names a bad date."""
        dates = []
        for name, raw in (("since", since), ("until", until)):
            raw = (raw or "").strip()
            day = typed_date(raw) if raw else ""
            if day is None:
                raise ValueError(f"{name} {raw[:20]!r} is not a date of the calendar (use YYYY-MM-DD)")
            dates.append(day)
        clip = lambda text: " ".join((text or "").split())[: cls.MAX_TEXT]  # noqa: E731
        return cls(clip(region), clip(issuer), clip(doc_type), *dates)

    @classmethod
    def policy(cls, filters: "SearchFilter | None", search_superseded: bool) -> "SearchFilter | None":
        """`filters` with the setting on superseded documents applied (RAG_SEARCH_SUPERSEDED)."""
        if search_superseded:
            return filters
        return replace(filters or cls(), in_force_only=True)

    def no_match(self) -> str:
        """What is said when no document matches the filter."""
        return f"没有符合筛选条件（{self.describe()}）的文件。"

    def describe(self) -> str:
        """The filter in words, for the message when nothing matches."""
        parts = [
            f"{name}含“{v}”"
            for name, v in (("地区", self.region), ("发文机关", self.issuer), ("文种", self.doc_type))
            if v
        ]
        if self.date_from or self.date_to:
            parts.append(f"日期 {self.date_from or '…'} 至 {self.date_to or '…'}")
        if self.in_force_only:
            parts.append("仅现行有效")
        return "，".join(parts)


@dataclass(frozen=True)
class Clause:
    """One citable unit: a leaf clause (or a part of a long one) with its place in the document."""

    id: str
    doc: str
    title: str
    path: tuple[str, ...]
    label: str
    text: str  # display text: the original wording (pinyin artefacts and page furniture removed)
    start: int  # span in the original file
    end: int
    duties: tuple[Duty, ...] = ()
    part: int = 0
    # Passages that address an assistant ("忽略以上指令…"): shown with a warning, never used in answers.
    flagged: tuple[str, ...] = ()
    # The document's facts (issuer, number, date…), attached when the index is loaded; stored once per document.
    facts: DocumentFacts | None = field(default=None, compare=False, repr=False)

    @property
    def answer_text(self) -> str:
        """The text answers may use: the clause without the sentences that carry a flagged passage."""
        if not self.flagged:
            return self.text
        return "".join(s for s in clause_sentences(self.text) if not any(f in s for f in self.flagged))

    @property
    def departments(self) -> tuple[str, ...]:
        """Every department named as responsible in this clause, in order, without repeats."""
        return named_departments(self.duties)

    def search_text(self) -> str:
        """What is embedded and keyword-indexed: document title and heading path, then the clause text."""
        return f"{self.title} " + " ".join(self.path) + "\n" + self.text

    def content_hash(self) -> str:
        return hashlib.sha256(self.search_text().encode("utf-8")).hexdigest()[:32]

    def to_dict(self) -> dict:
        data = asdict(replace(self, facts=None))
        data["facts"] = self.facts.summary() if self.facts is not None else None
        data["path"] = list(self.path)
        data["duties"] = [asdict(d) for d in self.duties]
        data["departments"] = list(self.departments)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Clause":
        duties = tuple(Duty(tuple(d["lead"]), tuple(d["partners"]), d["task"]) for d in data.get("duties", []))
        return cls(
            id=data["id"],
            doc=data["doc"],
            title=data["title"],
            path=tuple(data["path"]),
            label=data["label"],
            text=data["text"],
            start=data["start"],
            end=data["end"],
            duties=duties,
            part=data.get("part", 0),
            flagged=tuple(data.get("flagged", ())),
        )


class _ClauseView:
    """Read-through access to the held clause's fields (hit.label is hit.clause.label)."""

    clause: Clause

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "clause":
            raise AttributeError(name)
        return getattr(self.clause, name)


# ---------------------------------------------------------------- retrieval and answers


def _facts_suffix(clause: "Clause") -> str:
    """「（issuer · number · date）」 after a cited clause's label, when its document's facts are known."""
    line = clause.facts.line() if clause.facts is not None else ""
    return f"（{line}）" if line else ""


# Headers of the plain-text source list after an answer, and of the nearest clauses after a refusal.
SOURCES_HEADER = "来源："
RELATED_HEADER = "可能相关："


@dataclass(frozen=True)
class Hit(_ClauseView):
    """One retrieved clause with its scores. Clause fields read through: hit.label, hit.text, hit.departments."""

    clause: Clause
    score: float  # fused (RRF) score; higher is better
    dense: float  # cosine similarity of the clause to the question
    keyword: float  # BM25 score (0 when the clause was not among the keyword hits)

    def to_dict(self) -> dict:
        return {
            **self.clause.to_dict(),
            "score": round(self.score, 6),
            "dense": round(self.dense, 4),
            "keyword": round(self.keyword, 4),
        }


@dataclass(frozen=True)
class Citation(_ClauseView):
    """A clause cited in the answer as 〔number〕, with the answer sentences it supports."""

    number: int
    clause: Clause
    supports: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"number": self.number, **self.clause.to_dict(), "supports": list(self.supports)}


@dataclass(frozen=True)
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
    timings: dict = field(default_factory=dict)
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
                + "\n".join(f"〔{c.number}〕{c.label}{_facts_suffix(c.clause)}" for c in self.citations)
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
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
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


# ---------------------------------------------------------------- reports


@dataclass(frozen=True)
class LoadReport:
    documents: tuple[Document, ...]
    skipped: tuple[tuple[str, str], ...]  # (file name, reason)


@dataclass(frozen=True)
class BuildReport:
    """What a build did."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    documents: int = 0
    clauses: int = 0
    embedded: int = 0  # clauses whose vectors were computed in this build
    reused: int = 0  # clauses whose vectors were reused by content hash
    characters_embedded: int = 0
    seconds: float = 0.0
    full: bool = False
    index_dir: str = ""
    standing: tuple[str, ...] = ()  # documents whose standing this build changed, or claims it did not apply
    warnings: tuple[str, ...] = ()  # e.g. a documents.toml table naming no document

    def summary(self) -> str:
        return (
            f"{self.documents} documents, {self.clauses} clauses: added {len(self.added)}, changed {len(self.changed)}, "
            f"removed {len(self.removed)}, unchanged {len(self.unchanged)}, skipped {len(self.skipped)}; "
            f"embedded {self.embedded} clauses ({self.characters_embedded} chars), reused {self.reused}; "
            f"{self.seconds:.1f} s"
        )

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class IndexStatus:
    """The live index compared with the documents on disk."""

    index_dir: str
    exists: bool
    fresh: bool
    documents: int = 0
    clauses: int = 0
    embedder: str = ""
    dim: int = 0
    built_at: str = ""
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    per_document: dict = field(default_factory=dict)
    store: str = ""  # where the live generation's vectors and keywords are ("faiss (flat) + bm25s", "milvus (…)")
    configured_store: str = "faiss"  # what the settings name (RAG_STORE); the next build writes there

    def summary(self) -> str:
        if not self.exists:
            return f"no index in {self.index_dir} (store {self.configured_store}): run `python -m rag build`"
        state = (
            "fresh"
            if self.fresh
            else (
                f"STALE (added {len(self.added)}, changed {len(self.changed)}, removed {len(self.removed)}: "
                "run `python -m rag build`)"
            )
        )
        moved = (
            ""
            if self.store.startswith(self.configured_store)
            else f" (RAG_STORE={self.configured_store}: the next build moves it there)"
        )
        return (
            f"{self.documents} documents, {self.clauses} clauses, embedder {self.embedder} (dim {self.dim}), "
            f"store {self.store}{moved}, built {self.built_at}, {state}"
        )

    def to_dict(self) -> dict:
        return asdict(self)
