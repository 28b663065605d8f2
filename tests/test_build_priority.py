"""A build gives way to answers on the same machine: the command-line build lowers its process's CPU priority and the
page's rebuild thread lowers its own, so a rebuild started during an answer does not embed or parse at the model's
priority. Checked on the nice values themselves (Linux keeps one per thread), not by timing."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from rag.indexing.priority import BUILD_NICE, current_nice, lower_priority
from rag.types import BuildReport

pytestmark = pytest.mark.skipif(not hasattr(os, "setpriority") or not Path("/proc/self/task").is_dir(),
                                reason="per-thread nice values are a Linux feature")
ROOT = Path(__file__).resolve().parents[1]


def in_thread(fn):
    out: dict = {}
    t = threading.Thread(target=lambda: out.setdefault("value", fn()))
    t.start()
    t.join()
    return out["value"]


def test_lowering_one_thread_leaves_the_others_alone():
    before = current_nice()
    seen = in_thread(lambda: (lower_priority(BUILD_NICE, thread=True), current_nice()))
    assert seen == (max(before, BUILD_NICE), max(before, BUILD_NICE))
    assert current_nice() == before  # the calling (answering) thread keeps its priority


def test_lowering_never_raises_a_priority():
    def twice():
        lower_priority(15, thread=True)
        return lower_priority(5, thread=True)

    assert in_thread(twice) == max(15, current_nice())


def test_the_page_rebuild_thread_runs_the_build_at_build_priority():
    from rag.rebuilds import Rebuilder

    class Session:
        seen: list[int] = []

        def build(self, full=False, progress=None, hold=frozenset()):
            self.seen.append(current_nice())
            return BuildReport(documents=1, clauses=1, reused=1)

    session = Session()
    before = current_nice()
    messages = list(Rebuilder(session).run())
    assert messages and session.seen == [max(before, BUILD_NICE)]
    assert current_nice() == before


def test_the_command_line_build_lowers_its_whole_process_before_building(tmp_path):
    script = textwrap.dedent(f"""
        import threading, rag.session as s
        from rag.indexing.priority import current_nice
        from rag.types import BuildReport
        early = threading.Thread(target=threading.Event().wait, args=(5,), daemon=True)
        early.start()  # a thread that exists before the build starts (e.g. a library's worker)
        def build(self, full=False, progress=None, allow_large=False):
            print("nice", current_nice(), current_nice(early.native_id))
            return BuildReport()
        s.Session.build = build
        from rag.cli import main
        main(["build", "--docs", {str(tmp_path)!r}, "--index", {str(tmp_path / 'index')!r}] + {{extra}})
    """)
    for extra, expected in ((["--nice", "12"], 12), ([], BUILD_NICE)):
        run = subprocess.run([sys.executable, "-c", script.replace("{extra}", repr(extra))], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr[-2000:]
        line = next(line for line in run.stdout.splitlines() if line.startswith("nice"))
        assert line.split()[1:] == [str(expected), str(expected)]
