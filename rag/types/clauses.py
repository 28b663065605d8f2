"""A clause (the unit that is indexed, retrieved and cited) and the views of it a search and an answer hold."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace

from ..text.sentences import clause_sentences
from .documents import DocumentFacts, Duty, named_departments


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
        return "".join(s for s in clause_sentences(self.text) if not _overlaps_flagged(s, self.flagged))

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
    """Typed read-through access to the held clause's fields (hit.label is hit.clause.label)."""

    clause: Clause

    @property
    def id(self) -> str:
        return self.clause.id

    @property
    def doc(self) -> str:
        return self.clause.doc

    @property
    def title(self) -> str:
        return self.clause.title

    @property
    def path(self) -> tuple[str, ...]:
        return self.clause.path

    @property
    def label(self) -> str:
        return self.clause.label

    @property
    def text(self) -> str:
        return self.clause.text

    @property
    def start(self) -> int:
        return self.clause.start

    @property
    def end(self) -> int:
        return self.clause.end

    @property
    def duties(self) -> tuple[Duty, ...]:
        return self.clause.duties

    @property
    def part(self) -> int:
        return self.clause.part

    @property
    def flagged(self) -> tuple[str, ...]:
        return self.clause.flagged

    @property
    def facts(self) -> DocumentFacts | None:
        return self.clause.facts

    @property
    def answer_text(self) -> str:
        return self.clause.answer_text

    @property
    def departments(self) -> tuple[str, ...]:
        return self.clause.departments

    def search_text(self) -> str:
        return self.clause.search_text()


# ---------------------------------------------------------------- retrieval and answers


def facts_suffix(clause: "Clause") -> str:
    """「（issuer · number · date）」 after a cited clause's label, when its document's facts are known."""
    line = clause.facts.line() if clause.facts is not None else ""
    return f"（{line}）" if line else ""


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


def _overlaps_flagged(sentence: str, flagged: tuple[str, ...]) -> bool:
    """A sentence that carries a flagged passage, or is part of a flagged sentence (split finer than it was)."""
    bare = sentence.strip()
    return any(f in sentence or (bare and bare in f) for f in flagged)
