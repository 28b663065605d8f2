"""The one object that owns the live index, the embedder and the chat backends, shared by the page, the CLI,
eval and bench. A rebuild switches generations; the next question reads the new one.

>>> session = Session(Settings.from_env())        # doctest: +SKIP
>>> session.retrieve("静海区有效发明专利的目标是多少件？")[0].label  # doctest: +SKIP
"""
from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

from .config import Settings
from .errors import QuestionError
from .text.normalize import without_surrogates
from .indexing.build import Progress, build_index
from .indexing.embedders import Embedder, make_embedder
from .indexing.status import index_status
from .indexing.store import current_generation
from .llm.base import ChatBackend
from .llm.factory import make_llm
from .retrieval.retriever import Retriever
from .types import BuildReport, Hit, IndexStatus

log = logging.getLogger(__name__)
# A question needs at least one letter or Chinese character (digits, emoji and punctuation alone are not one).
_WORD_CHAR = re.compile(r"[^\W\d_]")


def check_question(question: object, max_chars: int) -> str:
    """Return the stripped question or raise QuestionError saying what is wrong."""
    if not isinstance(question, str):
        raise QuestionError(f"question must be text, got {type(question).__name__}", "not_text", "问题必须是文字。")
    text = without_surrogates(question).strip()
    if not text:
        raise QuestionError("question is empty", "empty", "请输入问题。")
    if not _WORD_CHAR.search(text):
        raise QuestionError("question has no words", "no_words", "问题里没有文字，请用文字提问。")
    if len(text) > max_chars:
        raise QuestionError(f"question is {len(text)} characters long; the limit is {max_chars}", "too_long",
                            f"问题太长了（{len(text)} 字），请精简到 {max_chars} 字以内。")
    return text


class Session:
    """Settings, the embedder, the live retriever (reloaded when a rebuild switches generations) and the chat
    backends, loaded lazily and at most once each. Thread-safe."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(settings.embedder)
        self._retriever: Retriever | None = None
        self._llms: dict[str, ChatBackend | None] = {}
        self._lock = threading.Lock()

    def build(self, full: bool = False, progress: Progress | None = None, allow_large: bool = False) -> BuildReport:
        """Build or incrementally update the index from the document folder, within the settings' limits."""
        return build_index(self.settings.docs_dir, self.settings.index_dir, full=full, embedder=self.embedder,
                           progress=progress, max_clause_chars=self.settings.max_clause_chars,
                           limits=self.settings.limits(), allow_large=allow_large,
                           store=self.settings.store_config())

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
                self._retriever = Retriever.open(index_dir, self.embedder, self.settings.store_config())
            return self._retriever

    def retrieve(self, question: str, k: int | None = None) -> list[Hit]:
        text = check_question(question, self.settings.max_question_chars)
        return self.retriever().search(text, k or self.settings.top_k)

    def status(self) -> IndexStatus:
        return index_status(self.settings.docs_dir, self.settings.index_dir, self.settings.store_config(),
                            self.settings.limits())

    def llm(self, backend: str) -> ChatBackend | None:
        """The chat backend by name (None for "extractive"); created once per session."""
        with self._lock:
            if backend not in self._llms:
                self._llms[backend] = make_llm(backend, self.settings)
            return self._llms[backend]

    def warm_up(self, backend: str) -> None:
        """Load a chat backend and let it keep its state after the fixed system rules, before any question."""
        from .answering.context import system_message

        llm = self.llm(backend)
        if llm is not None:
            llm.warm_up()
            llm.keep_prefix([system_message()])

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
