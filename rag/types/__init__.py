"""The typed values that flow between the stages: ingest → indexing → retrieval → answering.

A type that refers to a clause holds the `Clause` itself (never copies of its fields), so a new clause
field reaches hits, citations and the page without touching them. One module per kind of value; import them
from here (`from rag.types import Hit`).
"""

from __future__ import annotations

from .answers import RELATED_HEADER, SOURCES_HEADER, Answer, Quoted, Retrieved, Timings, Waiting
from .clauses import Citation, Clause, Hit, facts_suffix
from .documents import FACT_FIELDS, FACT_LABELS, Document, DocumentFacts, Duty, Fact, named_departments
from .filters import SearchFilter
from .reports import BuildReport, IndexStatus, LoadReport

__all__ = [
    "FACT_FIELDS",
    "FACT_LABELS",
    "RELATED_HEADER",
    "SOURCES_HEADER",
    "Answer",
    "BuildReport",
    "Citation",
    "Clause",
    "Document",
    "DocumentFacts",
    "Duty",
    "Fact",
    "Hit",
    "IndexStatus",
    "LoadReport",
    "Quoted",
    "Retrieved",
    "SearchFilter",
    "Timings",
    "Waiting",
    "facts_suffix",
    "named_departments",
]
