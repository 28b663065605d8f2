"""The functions behind the public API (`rag.build_index`, `rag.retrieve`, …), over the shared Session."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from .config import Settings
from .indexing.runner import Progress
from .session import shared_session
from .types import Answer, BuildReport, Hit, IndexStatus, SearchFilter


def build_index(
    docs_dir: str | Path | None = None,
    index_dir: str | Path | None = None,
    full: bool = False,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> BuildReport:
    """Build or incrementally update the index; returns a BuildReport (counts and seconds)."""
    settings = (settings or Settings.from_env()).with_(
        docs_dir=Path(docs_dir) if docs_dir else None, index_dir=Path(index_dir) if index_dir else None
    )
    return shared_session(settings).build(full=full, progress=progress)


def retrieve(
    question: str, k: int | None = None, settings: Settings | None = None, filters: SearchFilter | None = None
) -> list[Hit]:
    """Ranked clauses for a question (hybrid dense + BM25). Builds the index on first use if missing. `filters`
    (region, issuer, doc_type, date_from, date_to) keeps only the documents whose facts match; an empty list
    when none does."""
    return shared_session(settings).retrieve(question, k, filters)


def index_status(settings: Settings | None = None) -> IndexStatus:
    """Documents, clauses, embedder and whether the index is fresh or stale."""
    return shared_session(settings).status()


def answer_stream(
    question: str,
    history=None,
    k: int | None = None,
    llm: str | None = None,
    settings: Settings | None = None,
    filters: SearchFilter | None = None,
) -> Iterator[str | Answer]:
    """Yield verified answer text pieces as they are ready, then the final Answer."""
    stream = shared_session(settings).answerer(llm).stream(question, history=history, k=k, filters=filters)
    return (item for item in stream if isinstance(item, (str, Answer)))


def answer(
    question: str,
    history=None,
    k: int | None = None,
    llm: str | None = None,
    settings: Settings | None = None,
    filters: SearchFilter | None = None,
) -> Answer:
    """Answer a question; returns an Answer with body, citations, hits, refused, backend, note and timings.
    `filters` restricts the documents searched (see `retrieve`)."""
    final = None
    for item in answer_stream(question, history=history, k=k, llm=llm, settings=settings, filters=filters):
        if isinstance(item, Answer):
            final = item
    assert final is not None, "answer_stream always ends with an Answer"
    return final
