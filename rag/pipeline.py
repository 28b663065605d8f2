"""The stateful part of the public API: one loaded retriever (and LLM) per settings, reloaded
when a rebuild switches the index generation."""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from .config import Settings
from .embedding import Embedder, make_embedder
from .indexing import BuildReport, Progress, build_index as _build_index, index_status
from .retrieve import Hit, Retriever
from .store import current_generation

log = logging.getLogger(__name__)


class QuestionError(ValueError):
    """A question that cannot be answered as asked (empty, too long)."""


def check_question(question: object, max_chars: int) -> str:
    """Return the stripped question or raise QuestionError saying what is wrong."""
    if not isinstance(question, str):
        raise QuestionError(f"question must be text, got {type(question).__name__}")
    text = question.strip()
    if not text:
        raise QuestionError("question is empty")
    if len(text) > max_chars:
        raise QuestionError(f"question is {len(text)} characters long; the limit is {max_chars}")
    return text


class Pipeline:
    """Holds the embedder and the loaded index for one Settings; thread-safe reloads."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(settings.embedder)
        self._retriever: Retriever | None = None
        self._lock = threading.Lock()

    def build(self, full: bool = False, progress: Progress | None = None) -> BuildReport:
        return _build_index(self.settings.docs_dir, self.settings.index_dir, full=full, embedder=self.embedder,
                            progress=progress, max_clause_chars=self.settings.max_clause_chars)

    def retriever(self) -> Retriever:
        """The retriever for the live index generation; builds the index on first use if there is none."""
        index_dir = Path(self.settings.index_dir)
        with self._lock:
            gen = current_generation(index_dir)
            if gen is None:
                log.warning("no index in %s: building it from %s", index_dir, self.settings.docs_dir)
                self.build()
                gen = current_generation(index_dir)
            if self._retriever is None or self._retriever.generation != gen.name:
                self._retriever = Retriever.open(index_dir, self.embedder)
            return self._retriever

    def retrieve(self, question: str, k: int | None = None) -> list[Hit]:
        text = check_question(question, self.settings.max_question_chars)
        return self.retriever().search(text, k or self.settings.top_k)

    def status(self):
        return index_status(self.settings.docs_dir, self.settings.index_dir)


_pipelines: dict[Settings, Pipeline] = {}
_pipelines_lock = threading.Lock()


def pipeline_for(settings: Settings | None = None) -> Pipeline:
    """The shared Pipeline for these settings (from the environment when None)."""
    settings = settings or Settings.from_env()
    with _pipelines_lock:
        if settings not in _pipelines:
            _pipelines[settings] = Pipeline(settings)
        return _pipelines[settings]
