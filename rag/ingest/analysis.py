"""One document from its bytes to everything the index keeps of it: its text, its facts, what it claims about
standing (in_force.read_claims) and its clauses. `analyse_file` runs it all in a parse child (isolation.py), so
every rule that reads a whole document's text is held to the same time and memory limits as parsing; the build
process only joins the results.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import MAX_CLAUSE_CHARS
from ..errors import DocumentError
from ..types import Clause, DocumentFacts
from .clauses import parse_clauses
from .documents import document_from_text, read_file
from .facts import extract_facts
from .in_force import Claims, read_claims
from .isolation import run_isolated
from .limits import Limits
from .readers import extract_text


@dataclass(frozen=True)
class Analysis:
    """What the index keeps of one document."""

    name: str
    title: str
    original: str
    sha256: str
    encoding: str
    facts: DocumentFacts
    claims: Claims
    clauses: tuple[Clause, ...]

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "original": self.original,
            "sha256": self.sha256,
            "encoding": self.encoding,
            "facts": self.facts.to_dict(),
            "claims": self.claims.to_dict(),
            "clauses": [c.to_dict() for c in self.clauses],
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Analysis":
        return cls(
            d["name"],
            d["title"],
            d["original"],
            d["sha256"],
            d["encoding"],
            DocumentFacts.from_dict(d["facts"]),
            Claims.from_dict(d["claims"]),
            tuple(Clause.from_dict(c) for c in d["clauses"]),
        )


def analyse_bytes(name: str, data: bytes, limits: Limits = Limits(), max_chars: int = MAX_CLAUSE_CHARS) -> Analysis:
    """The whole analysis in this process (the child runs this; tests may call it directly)."""
    original, encoding = extract_text(Path(name), data, limits)
    doc = document_from_text(name, original, encoding, data, limits)
    return Analysis(
        doc.name,
        doc.title,
        doc.original,
        doc.sha256,
        doc.encoding,
        extract_facts(doc),
        read_claims(doc.original),
        tuple(parse_clauses(doc, max_chars)),
    )


def analyse_file(path: Path, limits: Limits = Limits(), max_chars: int = MAX_CLAUSE_CHARS) -> Analysis:
    """Read a file (its size checked first) and analyse it in a parse child; DocumentError says why it cannot
    be used (unreadable, too big, or its reading ran past the time or memory limit)."""
    path = Path(path)
    data = read_file(path, limits)
    reply = run_isolated({"kind": "analyse", "name": path.name, "max_chars": int(max_chars)}, data, limits)
    try:
        return Analysis.from_dict(reply["analysis"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DocumentError(path.name, f"the parser's reply was not understood ({type(exc).__name__})") from exc
