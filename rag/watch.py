"""A watched document folder: `python -m rag watch` (or RAG_WATCH=1 for the page's server) rebuilds the index
incrementally when files are added, changed or removed.

The folder is polled (size and modification time of each entry; no extra dependency, and it works on network
shares where change notifications do not). A change is acted on only once the folder has been still for
`debounce` seconds, so a file still being copied (its size or time still moving) is never read half-written, and a
burst of files makes one build. A file that never stops changing (a log appended to every second) cannot starve the
others: after WATCH_MAX_WAIT_SECONDS it is left out of the build (reported), the other changes are built, and it is
built once it has been still for the debounce. Builds go through the same Rebuilder as the page's button and the API (one at a
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

from .config import WATCH_DEBOUNCE_SECONDS, WATCH_MAX_WAIT_SECONDS, WATCH_POLL_SECONDS
from .errors import DocumentError
from .ingest.documents import scan_folder
from .session import Session
from .rebuilds import RebuildOutcome, Rebuilder

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
    """Polls a folder and calls `rebuild(hold)` once its changes have been still for `debounce` seconds. A file
    that is still changing after `max_wait` seconds does not hold the others back: the build goes ahead with it in
    `hold` (not read now: its indexed version stays, a new one waits) and it is built once it stops changing."""

    def __init__(  # noqa: PLR0913 (poll, debounce and the bound are each a setting; the clock is for tests)
        self,
        folder: Path,
        rebuild: Callable[[frozenset[str]], None],
        poll: float = WATCH_POLL_SECONDS,
        debounce: float = WATCH_DEBOUNCE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        max_wait: float = WATCH_MAX_WAIT_SECONDS,
    ) -> None:
        self.folder, self.rebuild, self.poll, self.debounce, self.clock = Path(folder), rebuild, poll, debounce, clock
        self.max_wait = max_wait
        self._stop = threading.Event()
        self.builds = 0
        self.held: frozenset[str] = frozenset()  # what the last build left out because it was still changing
        self._seen = snapshot(self.folder)
        self._changed: dict[str, float] = {}  # file -> when it last changed (changes not yet built)
        self._since: dict[str, float] = {}  # file -> when its current run of changes began
        self._forced = False  # build even with no change seen (a stale or missing index)

    def check(self) -> bool:
        """One look at the folder; True when it started a build."""
        now, current = self.clock(), snapshot(self.folder)
        for name in set(current) | set(self._seen):
            if current.get(name) != self._seen.get(name):
                self._changed[name] = now
                self._since.setdefault(name, now)
        self._seen = current
        moving = {name for name, at in self._changed.items() if now - at < self.debounce}
        settled = set(self._changed) - moving
        stuck = {name for name in moving if now - self._since[name] >= self.max_wait}
        if moving - stuck or not (settled or self._forced):
            return False  # something is still being written within the bound, or there is nothing to build
        for name in settled:
            del self._changed[name], self._since[name]
        self._forced = False
        self.held = frozenset(stuck)
        if stuck:
            log.warning(
                "watching %s: still changing after %.0f s, left out of this build: %s",
                self.folder,
                self.max_wait,
                ", ".join(sorted(stuck)),
            )
        self.builds += 1
        self.rebuild(self.held)
        return True

    def pending(self) -> None:
        """Treat the folder as changed (at start, when the index is stale or missing): the next look builds."""
        self._forced = True

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.check()
            except Exception:  # noqa: BLE001 - a watcher keeps watching; the build's own error is logged
                log.exception("watching %s: a rebuild failed", self.folder)
            self._stop.wait(self.poll)

    def stop(self) -> None:
        self._stop.set()


def rebuild_with(rebuilder: Rebuilder, report: Callable[[str], None] = log.warning) -> Callable[[frozenset[str]], None]:
    """A rebuild through the shared rebuilder (one at a time with the page and the API), leaving out the files in
    `hold`; its outcome, as one line of plain text, goes to `report` (files held back are named there)."""

    def rebuild(hold: frozenset[str] = frozenset()) -> None:
        outcome = RebuildOutcome()
        for event in rebuilder.run(hold=hold):
            if isinstance(event, RebuildOutcome):
                outcome = event
        if hold:
            report(f"still changing, not built yet: {', '.join(sorted(hold))}")
        summary = outcome.report.summary() if outcome.report is not None else "done"
        report(f"rebuilt: {summary}" if outcome.ok else f"rebuild failed: {outcome.error}")

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
