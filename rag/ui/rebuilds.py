"""Index rebuilds from the page: one at a time, in a worker thread, with progress messages. A request made
while a build runs is covered by the next build, so every request ends with an index that includes its change.
Answers use the previous generation meanwhile.

No lock is held while a caller's generator is suspended: Gradio resumes generators on any thread, so a lock
taken before a `yield` could be released by another thread (or never). Requests only count themselves in and
then watch the shared state; the worker thread alone builds."""

from __future__ import annotations

import html
import threading
from typing import Iterator

from ..indexing.priority import lower_priority
from ..session import Session
from ..types import BuildReport

_STAGES = {
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
        self._outcomes: list[tuple[int, BuildReport | Exception]] = []  # (requests covered, outcome)

    def run(self, full: bool = False, hold: frozenset[str] = frozenset()) -> Iterator[str]:
        """Progress messages, then the outcome of a build that started after this request. `hold`: files not to
        read in that build (the latest request's word counts)."""
        with self._state:
            self._requested += 1
            mine = self._requested
            self._full = self._full or full
            self._hold = hold
            busy = self._worker is not None
            if not busy:
                self._worker = threading.Thread(target=self._work, name="rebuild", daemon=True)
                self._worker.start()
        yield BUSY if busy else STARTED
        shown = ""
        while True:
            with self._state:
                self._state.wait_for(lambda: self._covered >= mine or self._progress != shown, POLL_SECONDS)
                done = self._covered >= mine
                progress = self._progress
                outcome = next((o for covered, o in self._outcomes if covered >= mine), None) if done else None
            if done:
                yield _report(outcome)
                return
            if progress != shown:
                shown = progress
                yield progress

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
                outcome: BuildReport | Exception = self.session.build(full=full, progress=self._note, hold=hold)
            except Exception as exc:  # reported on the page; the previous index stays live
                outcome = exc
            with self._state:
                self._covered = covering
                self._outcomes = (self._outcomes + [(covering, outcome)])[-KEPT_OUTCOMES:]
                self._state.notify_all()

    def state(self) -> dict:
        """For the HTTP API: whether a build runs, its progress, and the last outcome (plain data)."""
        with self._state:
            running, progress = self._worker is not None, self._progress
            last = self._outcomes[-1][1] if self._outcomes else None
        if isinstance(last, Exception):
            outcome: dict | None = {"ok": False, "error": f"{type(last).__name__}: {last}"}
        else:
            outcome = {"ok": True, "summary": last.summary(), "seconds": round(last.seconds, 1)} if last else None
        return {"running": running, "progress": progress if running else "", "last": outcome}

    def _note(self, stage: str, done: int, total: int) -> None:
        with self._state:
            self._progress = f"正在重建索引：{_STAGES.get(stage, stage)} {done}/{total}"
            self._state.notify_all()


def _report(outcome: BuildReport | Exception | None) -> str:
    """The outcome as page HTML; file names and reasons come from the folder and are escaped."""
    if outcome is None:  # covered by a build whose outcome is no longer kept
        return "重建完成（已包含本次的更改）。"
    if isinstance(outcome, Exception):
        return f"⚠️ 重建失败：{html.escape(f'{type(outcome).__name__}: {outcome}')}（原索引仍可使用）"
    skipped = "".join(f"<br>跳过 {html.escape(name)}：{html.escape(reason)}" for name, reason in outcome.skipped)
    standing = "".join(f"<br>⚠️ 文件效力变化：{html.escape(line)}" for line in outcome.standing)
    warnings = "".join(f"<br>⚠️ {html.escape(line)}" for line in outcome.warnings)
    return (
        f"重建完成：新增 {len(outcome.added)}、修改 {len(outcome.changed)}、删除 {len(outcome.removed)} 个文件，"
        f"重新计算 {outcome.embedded} 个条款的向量，用时 {outcome.seconds:.1f} 秒。{standing}{warnings}{skipped}"
    )
