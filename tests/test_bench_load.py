"""The load bench's bookkeeping, with a scripted model: every client's answers are timed and counted."""
from __future__ import annotations

import math

from rag.answering.answerer import Answerer
from rag.evaluation.bench_load import bench_load, run_load
from conftest import ScriptedLLM

QUESTIONS = ["静海区 有效发明专利 达到 多少件", "唐山市科技创新平台建设的目标是什么", "怎样推动科技成果转化？"]


def _scripted(session, monkeypatch, reply="静海区全区有效发明专利达到350件[1]。"):
    monkeypatch.setattr(session, "answerer", lambda backend: Answerer(session, "scripted", llm=ScriptedLLM(reply)))


def test_every_client_question_is_timed_and_dealt_round_robin(fake_session, monkeypatch):
    _scripted(fake_session, monkeypatch)
    run = run_load(fake_session, "scripted", QUESTIONS, clients=3, per_client=2)
    assert len(run.answers) == 6 and not any(a.error for a in run.answers)
    assert [a.question for a in run.answers if a.client == 0] == [QUESTIONS[0], QUESTIONS[0]]  # 0, 0+3 (mod 3)
    assert all(0 <= a.first <= a.total for a in run.answers)
    figures = run.figures()
    assert figures["answers"] == 6 and figures["errors"] == 0 and figures["answers_per_minute"] > 0
    assert figures["first_p50_s"] <= figures["total_p95_s"] and figures["peak_rss_mb"] > 0
    firsts = [next(a for a in run.answers if a.client == c).total for c in range(3)]
    assert figures["last_in_line_s"] == max(firsts)
    assert math.isnan(figures["rebuild_s"])


def test_a_failing_answer_is_an_error_not_a_crash(fake_session, monkeypatch):
    class Broken:
        def stream(self, question):
            raise RuntimeError("model gone")
            yield  # pragma: no cover

    monkeypatch.setattr(fake_session, "answerer", lambda backend: Broken())
    figures = run_load(fake_session, "scripted", QUESTIONS, clients=2, per_client=1).figures()
    assert figures["errors"] == 2 and figures["answers"] == 0


def test_the_rebuild_runs_beside_the_clients(fake_session, monkeypatch):
    _scripted(fake_session, monkeypatch)
    lines: list[str] = []
    figures = bench_load(fake_session, "scripted", QUESTIONS, [2], rebuild=True, per_client=1, log=lines.append)
    idle, during = figures
    assert not idle["rebuild"] and during["rebuild"] and during["rebuild_s"] > 0 and during["answers"] == 2
    assert any("during a rebuild" in line for line in lines)


def test_outside_builds_run_beside_the_clients_and_their_memory_is_read(fake_session, monkeypatch):
    import sys

    _scripted(fake_session, monkeypatch)
    # Stand-ins for `python -m rag build`: one holds 50 MB for a moment, one fails.
    hold = "b = bytearray(50 * 2**20); b[::4096] = b'x' * len(b[::4096]); import time; time.sleep(1.0)"
    commands = lambda session, count, folder: [[sys.executable, "-c", hold], [sys.executable, "-c", "raise SystemExit(3)"]]
    run = run_load(fake_session, "scripted", QUESTIONS, clients=2, per_client=1, builds=2, commands=commands)
    f = run.figures()
    assert f["builds"] == 2 and f["build_errors"] == 1 and f["answers"] == 2
    assert f["builds_s"] >= 1.0 and f["build_peak_rss_mb"] >= 50
    assert run.load() == "2 build processes"


def test_the_outside_build_command_is_the_cli_build_into_its_own_folder(fake_session, tmp_path):
    from rag.evaluation.bench_load import build_commands

    commands = build_commands(fake_session, 2, tmp_path)
    assert [c[3:6] for c in commands] == [["build", "--full", "--allow-large"]] * 2
    folders = [c[c.index("--index") + 1] for c in commands]
    assert len(set(folders)) == 2 and all(f.startswith(str(tmp_path)) for f in folders)
    assert str(fake_session.settings.index_dir) not in folders
