"""The one object that owns the live index, the embedder and the chat backends, shared by the page, the CLI,
eval and bench. A rebuild switches generations; the next question reads the new one.

>>> session = Session(Settings.from_env())        # doctest: +SKIP
>>> session.retrieve("静海区有效发明专利的目标是多少件？")[0].label  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from .config import Settings
from .errors import EmbedderMismatch, IndexMissing
from .query.questions import check_question
from .indexing.build import build_index
from .indexing.runner import Progress, yielding_runner
from .indexing.embedders import Embedder, embedder_from
from .indexing.engines import StoreConfig
from .indexing.status import index_status
from .indexing.store import current_generation
from .ingest.limits import Limits, limits_from
from .llm.base import ChatBackend
from .llm.factory import make_llm
from .retrieval.retriever import Retriever
from .runtime import release_freed_memory
from .types import BuildReport, Hit, IndexStatus, SearchFilter

log = logging.getLogger(__name__)


class Session:
    """Settings, the embedder, the live retriever (reloaded when a rebuild switches generations) and the chat
    backends, loaded lazily and at most once each. Thread-safe."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or embedder_from(settings)
        self._retriever: Retriever | None = None
        self._llms: dict[str, ChatBackend | None] = {}
        self._lock = threading.Lock()

    def build(
        self,
        full: bool = False,
        progress: Progress | None = None,
        allow_large: bool = False,
        hold: frozenset[str] = frozenset(),
    ) -> BuildReport:
        """Build or incrementally update the index from the document folder, within the settings' limits; on
        Ray when the settings name an address (RAG_RAY_ADDRESS, `build --ray`). `hold`: files not to read now
        (build_index)."""
        distributed = None
        if self.settings.ray_address:
            from .indexing.distributed import ray_embedding

            distributed = ray_embedding(
                self.settings.ray_address,
                self.settings.ray_workers,
                self.settings.embedder,
                self.settings.cache_dir,
                self.settings.precision,
            )
        # In this process the embedding steps aside while a local model generates (they would share the cores).
        runner = distributed or yielding_runner(self.embedder, self.generating)
        try:
            return build_index(
                self.settings.docs_dir,
                self.settings.index_dir,
                full=full,
                embedder=self.embedder,
                progress=progress,
                max_clause_chars=self.settings.max_clause_chars,
                limits=self.limits(),
                allow_large=allow_large,
                store=self.store_config(),
                sentence_vectors=self.settings.sentence_vectors,
                runner=runner,
                hold=hold,
            )
        finally:
            if distributed is not None:
                distributed.close()
            release_freed_memory()

    def generating(self) -> bool:
        """A chat backend of this session that runs in this process is generating or has questions waiting. Read
        without the session's lock: `retriever()` holds it while it builds a missing index, and that build asks."""
        llms = tuple(self._llms.values())
        return any(llm is not None and llm.queue is not None and len(llm.queue) > 0 for llm in llms)

    def retriever(self) -> Retriever:
        """The retriever for the live index generation; builds the index on first use if there is none."""
        index_dir = Path(self.settings.index_dir)
        with self._lock:
            gen = current_generation(index_dir)
            if gen is None:
                log.warning("no index in %s: building it from %s", index_dir, self.settings.docs_dir)
                self.build()
                gen = current_generation(index_dir)
                if gen is None:
                    raise IndexMissing(f"no index in {index_dir} after building it from {self.settings.docs_dir}")
            if self._retriever is None or self._retriever.generation != gen.name:
                try:
                    self._retriever = Retriever.open(index_dir, self.embedder, self.store_config())
                except EmbedderMismatch as exc:  # another embedder or precision: rebuilt, never mixed
                    log.warning("%s; rebuilding it with %s", exc, self.embedder.name)
                    self.build(full=True)
                    self._retriever = Retriever.open(index_dir, self.embedder, self.store_config())
            return self._retriever

    def retrieve(self, question: str, k: int | None = None, filters: SearchFilter | None = None) -> list[Hit]:
        text = check_question(question, self.settings.max_question_chars)
        return self.retriever().search(
            text, k or self.settings.top_k, SearchFilter.policy(filters, self.settings.search_superseded)
        )

    def status(self) -> IndexStatus:
        return index_status(
            self.settings.docs_dir, self.settings.index_dir, self.store_config(), self.limits(), self.embedder.space
        )

    def limits(self) -> Limits:
        """What one document may cost, from the settings."""
        return limits_from(self.settings)

    def store_config(self) -> StoreConfig:
        """Where the index's vectors and keywords live, from the settings."""
        return StoreConfig.from_settings(self.settings)

    def llm(self, backend: str) -> ChatBackend | None:
        """The chat backend by name (None for "extractive"); created once per session."""
        with self._lock:
            if backend not in self._llms:
                self._llms[backend] = make_llm(backend, self.settings)
            return self._llms[backend]

    def warm_up(self, backend: str) -> None:
        """Load the encoders (embedder, span reader), then a chat backend and let it keep its state after the fixed
        system rules, before any question. The encoders first: building the span reader's graph needs about 200 MB
        for a moment, and this way that moment comes before the model's 1.2 GB are resident (the serving process's
        peak, docs/benchmarks.md "Memory")."""
        from .answering.context import system_message
        from .answering.span_reader import span_reader_for

        self.embedder.warm_up()
        if self.settings.span_reader:
            span_reader_for(self.embedder)
        llm = self.llm(backend)
        if llm is not None:
            llm.warm_up()
            llm.keep_prefix([system_message()])
        release_freed_memory()

    def answerer(self, backend: str | None = None, llm: ChatBackend | None = None):
        """An Answerer over this session with the named backend (the configured one by default)."""
        from .answering.answerer import Answerer

        name = backend or self.settings.llm
        return Answerer(self, name, llm if llm is not None else self.llm(name))


_sessions: dict[Settings, Session] = {}
_sessions_lock = threading.Lock()


def shared_session(settings: Settings | None = None) -> Session:
    """The process-wide Session for these settings (from the environment when None), used by the public API."""
    settings = settings or Settings.from_env()
    with _sessions_lock:
        if settings not in _sessions:
            _sessions[settings] = Session(settings)
        return _sessions[settings]
