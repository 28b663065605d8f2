"""Index rebuilds from the page: one at a time, in a worker thread, with progress messages. A request made
while a build runs waits for it and, if that build started before the request, for one more, so every
request ends with an index that includes its change. Answers use the previous generation meanwhile."""
from __future__ import annotations

import threading
from typing import Iterator

from ..session import Session
from ..types import BuildReport

_STAGES = {"reading": "读取文件", "embedding": "计算向量", "keyword index": "建立关键词索引", "done": "完成"}
BUSY = "已有重建在进行中，完成后会再更新一次索引，请稍候…"


class Rebuilder:
    """Runs at most one rebuild of a session's index at a time; concurrent requests share the next one."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.lock = threading.Lock()
        self._changed = threading.Condition()
        self._requested = 0  # requests so far
        self._covered = 0  # requests covered by the last finished build

    def run(self, full: bool = False) -> Iterator[str]:
        """Progress messages, then the outcome of a build that started after this request."""
        with self._changed:
            self._requested += 1
            mine = self._requested
        told = False
        while True:
            if self.lock.acquire(blocking=False):
                try:
                    with self._changed:
                        covering = self._requested
                    yield from self._run(full)
                    with self._changed:
                        self._covered = max(self._covered, covering)
                        self._changed.notify_all()
                finally:
                    self.lock.release()
                return
            if not told:
                yield BUSY
                told = True
            with self._changed:
                if self._changed.wait_for(lambda: self._covered >= mine, timeout=0.5):
                    yield "重建完成（已包含本次的更改）。"
                    return

    def _run(self, full: bool) -> Iterator[str]:
        progress: list[str] = []
        outcome: list[BuildReport | Exception] = []

        def work() -> None:
            try:
                outcome.append(self.session.build(
                    full=full, progress=lambda stage, done, total: progress.append(f"{_STAGES.get(stage, stage)} {done}/{total}")))
            except Exception as exc:  # reported on the page; the previous index stays live
                outcome.append(exc)

        yield "正在重建索引…"
        worker = threading.Thread(target=work)
        worker.start()
        while worker.is_alive():
            worker.join(0.5)
            if progress:
                yield f"正在重建索引：{progress[-1]}"
        result = outcome[0]
        if isinstance(result, Exception):
            yield f"⚠️ 重建失败：{type(result).__name__}: {result}（原索引仍可使用）"
            return
        skipped = "".join(f"<br>跳过 {name}：{reason}" for name, reason in result.skipped)
        yield (f"重建完成：新增 {len(result.added)}、修改 {len(result.changed)}、删除 {len(result.removed)} 个文件，"
               f"重新计算 {result.embedded} 个条款的向量，用时 {result.seconds:.1f} 秒。{skipped}")
