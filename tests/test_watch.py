"""A watched document folder: a file dropped in is answerable after the debounce plus its build, a removed file
stops being cited, and a file still being copied is never indexed half-written. Real files, real polling, the
session's real incremental build (with the fake embedder)."""
from __future__ import annotations

import threading
import time

import pytest

from rag.rebuilds import Rebuilder
from rag.watch import FolderWatcher, rebuild_with, snapshot

POLL, DEBOUNCE = 0.05, 1.0  # the slow copy below writes every 0.1 s: ten times within the quiet time
NEW_DOC = ("某市低空经济发展若干措施\n一、支持措施\n（一）无人机物流补贴。对开通无人机物流航线的企业，"
           "每条航线给予12万元运营补贴（市交通局负责）。\n")


def wait_for(condition, seconds: float = 30.0) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def watching(fake_session):
    reports: list[str] = []
    watcher = FolderWatcher(fake_session.settings.docs_dir, rebuild_with(Rebuilder(fake_session), reports.append),
                            POLL, DEBOUNCE)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    yield fake_session, watcher, reports
    watcher.stop()
    thread.join(timeout=10)


def cited_docs(session, question: str) -> set[str]:
    return {h.clause.doc for h in session.retrieve(question, 5)}


def test_a_dropped_file_is_answerable_and_a_removed_one_stops_being_cited(watching):
    session, watcher, reports = watching
    path = session.settings.docs_dir / "低空经济.txt"
    started = time.time()
    path.write_text(NEW_DOC, encoding="utf-8")
    assert wait_for(lambda: "低空经济.txt" in cited_docs(session, "无人机物流航线补贴多少"))
    assert time.time() - started >= DEBOUNCE  # not before the folder had been still
    assert watcher.builds == 1 and reports[-1].startswith("rebuilt:")
    path.unlink()
    assert wait_for(lambda: "低空经济.txt" not in cited_docs(session, "无人机物流航线补贴多少"))
    assert watcher.builds == 2


def test_a_file_still_being_copied_is_not_indexed_half(watching):
    session, watcher, _ = watching
    path = session.settings.docs_dir / "低空经济.txt"
    head, tail = NEW_DOC[:30], NEW_DOC[30:]
    with open(path, "w", encoding="utf-8") as fh:  # a slow copy: a piece every 0.1 s for well past the debounce
        fh.write(head)
        fh.flush()
        for i in range(0, len(tail), max(1, len(tail) // 24)):
            time.sleep(0.1)
            fh.write(tail[i : i + max(1, len(tail) // 24)])
            fh.flush()
            assert watcher.builds == 0, "a build started while the file was still growing"
    assert wait_for(lambda: "低空经济.txt" in session.retriever().document_texts())
    assert watcher.builds == 1
    assert session.retriever().document_texts()["低空经济.txt"].rstrip("\n") == NEW_DOC.rstrip("\n")


def test_a_burst_of_files_makes_one_build(fake_session):
    clock = [0.0]
    calls: list[int] = []
    watcher = FolderWatcher(fake_session.settings.docs_dir, lambda hold: calls.append(1), POLL, DEBOUNCE,
                            clock=lambda: clock[0])
    for n in range(3):
        (fake_session.settings.docs_dir / f"新文件{n}.txt").write_text(NEW_DOC, encoding="utf-8")
        clock[0] += 0.1
        assert not watcher.check()
    clock[0] += DEBOUNCE / 2
    assert not watcher.check()  # still within the quiet time
    clock[0] += DEBOUNCE
    assert watcher.check() and calls == [1]
    assert not watcher.check()  # nothing new since


def test_snapshot_sees_what_the_build_reads_and_never_follows_links(fake_session, tmp_path):
    folder = fake_session.settings.docs_dir
    outside = tmp_path / "secret.txt"
    outside.write_text("机密", encoding="utf-8")
    (folder / "link.txt").symlink_to(outside)
    names = set(snapshot(folder))
    assert "link.txt" not in names and len(names) >= 5
    assert snapshot(tmp_path / "gone") == {}
