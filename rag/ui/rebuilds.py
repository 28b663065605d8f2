"""The page's view of a rebuild (rag/rebuilds.py): progress lines and the outcome as escaped HTML; file names and
reasons come from the folder and are escaped."""

from __future__ import annotations

import html
from typing import Iterable, Iterator

from ..rebuilds import RebuildOutcome, RebuildProgress


def page_messages(events: Iterable[RebuildProgress | RebuildOutcome]) -> Iterator[str]:
    """Each event of a rebuild request as the page shows it."""
    for event in events:
        yield outcome_html(event) if isinstance(event, RebuildOutcome) else html.escape(event.text)


def outcome_html(outcome: RebuildOutcome) -> str:
    if outcome.error:
        return f"⚠️ 重建失败：{html.escape(outcome.error)}（原索引仍可使用）"
    report = outcome.report
    if report is None:  # covered by a build whose outcome is no longer kept
        return "重建完成（已包含本次的更改）。"
    skipped = "".join(f"<br>跳过 {html.escape(name)}：{html.escape(reason)}" for name, reason in report.skipped)
    standing = "".join(f"<br>⚠️ 文件效力变化：{html.escape(line)}" for line in report.standing)
    warnings = "".join(f"<br>⚠️ {html.escape(line)}" for line in report.warnings)
    return (
        f"重建完成：新增 {len(report.added)}、修改 {len(report.changed)}、删除 {len(report.removed)} 个文件，"
        f"重新计算 {report.embedded} 个条款的向量，用时 {report.seconds:.1f} 秒。{standing}{warnings}{skipped}"
    )


__all__ = ["outcome_html", "page_messages"]
