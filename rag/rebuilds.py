"""Index rebuilds shared by the page, the HTTP API and the watched folder: one at a time, in a worker thread, with
progress. A request made while a build runs is covered by the next build, so every request ends with an index
that includes its change. Answers use the previous generation meanwhile.

A request's `run()` yields `RebuildProgress` (plain text: where the build is) and ends with its `RebuildOutcome`
(the build's report, or the error that stopped it); each caller renders them its own way (the page as escaped
HTML in ui/rebuilds.py, the API as JSON, the watcher as a log line). No lock is held while a caller's generator is
suspended: Gradio resumes generators on any thread, so a lock taken before a `yield` could be released by another
thread (or never). Requests only count themselves in and then watch the shared state; the worker thread alone
builds."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Iterator

from .indexing.priority import lower_priority
from .session import Session
from .types import BuildReport

STAGES = {
    "reading": "读取文件",
    "embedding": "计算向量",
    "sentences": "计算句子向量",
    "keyword index": "建立关键词索引",
    "done": "完成",
}
STARTED = "正在重建索引…"
BUSY = "已有重建在进行中，完成后会再更新一次索引，请稍候…"
# How often a waiting request re-reads the progress; outcomes kept for requests that have not read theirs yet.
POLL_SECONDS = 0.5
KEPT_OUTCOMES = 64


@dataclass(frozen=True)
class RebuildProgress:
    text: str  # plain text, no markup


@dataclass(frozen=True)
class RebuildOutcome:
    """How the build that covered a request ended: its report, or the error (type and message) that stopped it;
    neither when that build's outcome is no longer kept (it still included the request's change)."""

    report: BuildReport | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def to_dict(self) -> dict:
        if self.error:
            return {"ok": False, "error": self.error}
        if self.report is None:
            return {"ok": True, "summary": "", "seconds": 0.0}
        return {"ok": True, "summary": self.report.summary(), "seconds": round(self.report.seconds, 1)}


@dataclass(frozen=True)
class RebuildState:
    """Whether a build runs, where it is, and how the last one ended (None before any)."""

    running: bool
    progress: str
    last: RebuildOutcome | None

    def to_dict(self) -> dict:
        return {"running": self.running, "progress": self.progress, "last": self.last.to_dict() if self.last else None}


class Rebuilder:
    """Runs at most one rebuild of a session's index at a time; concurrent requests share the next one."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._state = threading.Condition()
        self._requested = 0  # requests so far
        self._covered = 0  # requests covered by the last finished build
        self._full = False  # a waiting request asked for a full build
        self._hold: frozenset[str] = frozenset()  # files the latest request asked not to read (watch: still written)
        self._worker: threading.Thread | None = None
        self._progress = ""
        self._outcomes: list[tuple[int, RebuildOutcome]] = []  # (requests covered, outcome)

    def run(self, full: bool = False, hold: frozenset[str] = frozenset()) -> Iterator[RebuildProgress | RebuildOutcome]:
        """Progress, then the outcome of a build that started after this request. `hold`: files not to read in
        that build (the latest request's word counts)."""
        with self._state:
            self._requested += 1
            mine = self._requested
            self._full = self._full or full
            self._hold = hold
            busy = self._worker is not None
            if not busy:
                self._worker = threading.Thread(target=self._work, name="rebuild", daemon=True)
                self._worker.start()
        yield RebuildProgress(BUSY if busy else STARTED)
        shown = ""
        while True:
            with self._state:
                self._state.wait_for(lambda: self._covered >= mine or self._progress != shown, POLL_SECONDS)
                done = self._covered >= mine
                progress = self._progress
                outcome = next((o for covered, o in self._outcomes if covered >= mine), None) if done else None
            if done:
                yield outcome or RebuildOutcome()
                return
            if progress != shown:
                shown = progress
                yield RebuildProgress(progress)

    def _work(self) -> None:
        """Build until every request so far is covered, then end. The thread gives way to answers (nice)."""
        lower_priority(thread=True)
        while True:
            with self._state:
                if self._covered >= self._requested:
                    self._worker = None
                    self._state.notify_all()
                    return
                covering, full, hold = self._requested, self._full, self._hold
                self._full, self._hold = False, frozenset()
                self._progress = STARTED
                self._state.notify_all()
            try:
                outcome = RebuildOutcome(self.session.build(full=full, progress=self._note, hold=hold))
            except Exception as exc:  # reported to the caller; the previous index stays live
                outcome = RebuildOutcome(error=f"{type(exc).__name__}: {exc}")
            with self._state:
                self._covered = covering
                self._outcomes = (self._outcomes + [(covering, outcome)])[-KEPT_OUTCOMES:]
                self._state.notify_all()

    def state(self) -> RebuildState:
        with self._state:
            running, progress = self._worker is not None, self._progress
            last = self._outcomes[-1][1] if self._outcomes else None
        return RebuildState(running, progress if running else "", last)

    def _note(self, stage: str, done: int, total: int) -> None:
        with self._state:
            self._progress = f"正在重建索引：{STAGES.get(stage, stage)} {done}/{total}"
            self._state.notify_all()


__all__ = ["Rebuilder", "RebuildOutcome", "RebuildProgress", "RebuildState"]
