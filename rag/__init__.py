"""Question answering with clause-level citations over Chinese policy documents.

Public API (heavy models load lazily, on first use)::

    from rag import build_index, retrieve
    report = build_index("seeds", "index")
    for hit in retrieve("唐山对新认定的高新技术企业奖励多少？", k=5):
        print(hit.label, hit.departments)
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings

if TYPE_CHECKING:  # pragma: no cover
    from .indexing import BuildReport, Progress
    from .retrieve import Hit

__all__ = ["Settings", "build_index", "retrieve", "index_status", "answer", "answer_stream"]


def build_index(docs_dir: str | Path | None = None, index_dir: str | Path | None = None, full: bool = False,
                settings: Settings | None = None, progress: "Progress | None" = None) -> "BuildReport":
    """Build or incrementally update the index; returns a BuildReport (counts and seconds)."""
    from .pipeline import pipeline_for

    settings = (settings or Settings.from_env()).with_(
        docs_dir=Path(docs_dir) if docs_dir else None, index_dir=Path(index_dir) if index_dir else None)
    return pipeline_for(settings).build(full=full, progress=progress)


def retrieve(question: str, k: int = 5, settings: Settings | None = None) -> "list[Hit]":
    """Ranked clauses for a question (hybrid dense + BM25). Builds the index on first use if missing."""
    from .pipeline import pipeline_for

    return pipeline_for(settings).retrieve(question, k)


def index_status(settings: Settings | None = None):
    """Documents, clauses, embedder and whether the index is fresh or stale."""
    from .pipeline import pipeline_for

    return pipeline_for(settings).status()


def answer(question: str, history=None, k: int | None = None, llm: str | None = None, settings: Settings | None = None):
    """Answer a question with verified clause citations (see rag.answer)."""
    from .answer import answer as _answer

    return _answer(question, history=history, k=k, llm=llm, settings=settings)


def answer_stream(question: str, history=None, k: int | None = None, llm: str | None = None,
                  settings: Settings | None = None):
    """Yield answer text pieces, then the final Answer."""
    from .answer import answer_stream as _stream

    return _stream(question, history=history, k=k, llm=llm, settings=settings)
