"""Index rebuilds from the page: one at a time, in a worker thread, with progress messages. Answers keep
using the previous generation until the new one is live."""
from __future__ import annotations

import threading
from typing import Iterator

from ..session import Session
from ..types import BuildReport

_STAGES = {"reading": "读取文件", "embedding": "计算向量", "keyword index": "建立关键词索引", "done": "完成"}
BUSY = "已有重建在进行中，请稍候。"


class Rebuilder:
    """Runs at most one rebuild of a session's index at a time."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.lock = threading.Lock()

    def run(self, full: bool = False) -> Iterator[str]:
        """Progress messages, then the outcome."""
        if not self.lock.acquire(blocking=False):
            yield BUSY
            return
        try:
            yield from self._run(full)
        finally:
            self.lock.release()

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
