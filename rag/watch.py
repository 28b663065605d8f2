"""A watched document folder: `python -m rag watch` (or RAG_WATCH=1 for the page's server) rebuilds the index
incrementally when files are added, changed or removed.

The folder is polled (size and modification time of each entry; no extra dependency, and it works on network
shares where change notifications do not). A change is acted on only once the folder has been still for
`debounce` seconds, so a file still being copied (its size or time still moving) is never read half-written, and a
burst of files makes one build. Builds go through the same Rebuilder as the page's button and the API (one at a
time, the same limits, audit log and atomic switch; a failed build leaves the previous index live), at build
priority.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Callable

from .config import WATCH_DEBOUNCE_SECONDS, WATCH_POLL_SECONDS
from .errors import DocumentError
from .ingest.documents import scan_folder
from .session import Session
from .ui.rebuilds import Rebuilder

log = logging.getLogger(__name__)


Snapshot = dict[str, tuple[int, int]]  # file name -> (size, mtime in ns)


def snapshot(folder: Path) -> Snapshot:
    """What the build would read, with each file's size and modification time; empty when the folder has no
    file (or is gone)."""
    try:
        files, _ = scan_folder(folder)
    except DocumentError:
        return {}
    out: Snapshot = {}
    for path in files:
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError:  # removed between the listing and the stat: the next look sees it gone
            continue
        out[path.name] = (st.st_size, st.st_mtime_ns)
    return out


class FolderWatcher:
    """Polls a folder and calls `rebuild()` once it has been still for `debounce` seconds after a change."""

    def __init__(
        self,
        folder: Path,
        rebuild: Callable[[], None],
        poll: float = WATCH_POLL_SECONDS,
        debounce: float = WATCH_DEBOUNCE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folder, self.rebuild, self.poll, self.debounce, self.clock = Path(folder), rebuild, poll, debounce, clock
        self._stop = threading.Event()
        self.builds = 0
        self._seen = snapshot(self.folder)
        self._changed_at: float | None = None

    def check(self) -> bool:
        """One look at the folder; True when it started a build."""
        now, current = self.clock(), snapshot(self.folder)
        if current != self._seen:
            self._seen, self._changed_at = current, now  # still moving: wait until it has been still a while
            return False
        if self._changed_at is None or now - self._changed_at < self.debounce:
            return False
        self._changed_at = None
        self.builds += 1
        self.rebuild()
        return True

    def pending(self) -> None:
        """Treat the folder as changed now (at start, when the index is stale or missing)."""
        self._changed_at = self.clock() - self.debounce

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.check()
            except Exception:  # noqa: BLE001 - a watcher keeps watching; the build's own error is logged
                log.exception("watching %s: a rebuild failed", self.folder)
            self._stop.wait(self.poll)

    def stop(self) -> None:
        self._stop.set()


def rebuild_with(rebuilder: Rebuilder, report: Callable[[str], None] = log.warning) -> Callable[[], None]:
    """A rebuild through the shared rebuilder (one at a time with the page and the API); its outcome, as one
    line of plain text, goes to `report`."""

    def rebuild() -> None:
        for _ in rebuilder.run():
            pass
        last = rebuilder.state()["last"] or {}
        report(f"rebuilt: {last['summary']}" if last.get("ok") else f"rebuild failed: {last.get('error', '?')}")

    return rebuild


def watcher_for(
    session: Session,
    rebuilder: Rebuilder,
    poll: float = WATCH_POLL_SECONDS,
    debounce: float = WATCH_DEBOUNCE_SECONDS,
    report: Callable[[str], None] = log.warning,
) -> FolderWatcher:
    """A watcher of the session's document folder that builds through `rebuilder`; a stale or missing index
    counts as a change already waiting."""
    watcher = FolderWatcher(session.settings.docs_dir, rebuild_with(rebuilder, report), poll, debounce)
    status = session.status()
    if not (status.exists and status.fresh):
        watcher.pending()
    return watcher


def start_watching(session: Session, rebuilder: Rebuilder, **options) -> FolderWatcher:
    """Watch the session's document folder in a daemon thread (the page's server with RAG_WATCH=1)."""
    watcher = watcher_for(session, rebuilder, **options)
    threading.Thread(target=watcher.run, name="watch-documents", daemon=True).start()
    return watcher


__all__ = ["FolderWatcher", "rebuild_with", "snapshot", "start_watching", "watcher_for"]
