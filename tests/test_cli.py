"""The command line, run as a user would (real embedder, real index on disk)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow


def rag(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "rag", *args], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=600)


def test_build_status_retrieve(docs_dir, tmp_path):
    index = str(tmp_path / "index")
    out = rag("build", "--docs", str(docs_dir), "--index", index, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["clauses"] == 144
    status = rag("status", "--docs", str(docs_dir), "--index", index)
    assert status.returncode == 0 and "144 clauses" in status.stdout and "fresh" in status.stdout
    found = rag("retrieve", "唐山对新认定的省级科技企业孵化器奖补多少？", "-k", "3", "--json",
                env_extra={"RAG_DOCS_DIR": str(docs_dir), "RAG_INDEX_DIR": index})
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert len(hits) == 3 and {"doc", "label", "path", "text", "score", "departments", "start", "end"} <= set(hits[0])
    (docs_dir / "001_a008f9a6c582088b.txt").unlink()
    stale = rag("status", "--docs", str(docs_dir), "--index", index)
    assert "STALE" in stale.stdout


def test_errors_are_one_line_and_non_zero(tmp_path):
    out = rag("build", "--docs", str(tmp_path / "missing"), "--index", str(tmp_path / "i"))
    assert out.returncode == 2 and out.stderr.strip().startswith("error:") and "does not exist" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    out = rag("retrieve", "   ", "--index", str(tmp_path / "i"))
    assert out.returncode == 2 and "question is empty" in out.stderr


def test_a_bad_setting_is_one_line_naming_the_choices(monkeypatch, capsys):
    from rag.cli import main
    from rag.config import Settings
    from rag.errors import RagError, SettingsError

    monkeypatch.setenv("RAG_LLM", "lokal")
    assert main(["status"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "RAG_LLM='lokal'" in err and "local, openai, extractive" in err
    with pytest.raises(SettingsError) as caught:
        Settings(store="qdrant")
    assert isinstance(caught.value, RagError) and "faiss" in caught.value.zh


def test_an_unexpected_engine_error_is_still_one_line(monkeypatch, capsys):
    import rag.session
    from rag.cli import main

    def broken(self):
        raise RuntimeError("engine fell over")

    monkeypatch.setattr(rag.session.Session, "status", broken)
    assert main(["status"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "error: RuntimeError: engine fell over (run with -v for details)"
