"""Sentence vectors (rag/indexing/sentences.py): built with the index, reused by content hash, loaded with the
generation, and used to choose the quoted sentences by meaning; an index without them still answers."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from rag.answering.strategies import best_window
from rag.indexing.build import build_index
from rag.indexing.sentences import SENTENCE_VECTORS_FILE, SENTENCES_FILE
from rag.indexing.store import current_generation, load_index
from rag.retrieval.retriever import Retriever


def test_every_clause_sentence_is_embedded_and_stored(docs_dir: Path, tmp_path: Path, fake_embedder):
    report = build_index(docs_dir, tmp_path / "index", embedder=fake_embedder, sentence_vectors=True)
    data = load_index(tmp_path / "index")
    assert data.sentences is not None and data.manifest["sentences"] == data.sentences.count > report.clauses
    for sc in data.clauses[:20]:
        sentences, vectors = data.sentences.for_clause(sc.vid)
        assert vectors.shape == (len(sentences), fake_embedder.dim)
        assert all(s in sc.clause.answer_text for s in sentences)


def test_unchanged_clauses_reuse_their_sentence_vectors(docs_dir: Path, tmp_path: Path, fake_embedder):
    build_index(docs_dir, tmp_path / "index", embedder=fake_embedder, sentence_vectors=True)
    path = docs_dir / "001_a008f9a6c582088b.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("350件", "360件"), encoding="utf-8")
    fake_embedder.embedded.clear()
    build_index(docs_dir, tmp_path / "index", embedder=fake_embedder, sentence_vectors=True)
    # one clause changed: it and its sentences are embedded again, nothing else
    assert 1 < len(fake_embedder.embedded) <= 6 and any("360件" in t for t in fake_embedder.embedded)
    data = load_index(tmp_path / "index")
    changed = next(sc for sc in data.clauses if "360件" in sc.clause.text)
    assert any("360件" in s for s in data.sentences.for_clause(changed.vid)[0])


def test_sentence_vectors_are_off_by_default(docs_dir: Path, tmp_path: Path, fake_embedder):
    report = build_index(docs_dir, tmp_path / "index", embedder=fake_embedder)
    assert load_index(tmp_path / "index").sentences is None and len(fake_embedder.embedded) == report.clauses


def test_an_index_without_sentence_vectors_still_answers(docs_dir: Path, tmp_path: Path, fake_embedder):
    build_index(docs_dir, tmp_path / "index", embedder=fake_embedder, sentence_vectors=True)
    gen = current_generation(tmp_path / "index")
    (gen / SENTENCES_FILE).unlink()
    (gen / SENTENCE_VECTORS_FILE).unlink()
    retriever = Retriever.open(tmp_path / "index", fake_embedder)
    hit = retriever.search("静海区 有效发明专利", 3)[0]
    assert retriever.data.sentences is None and retriever.sentence_meaning("静海区 有效发明专利", hit) == {}


def test_the_quote_follows_the_sentence_closest_in_meaning():
    text = "一、总体要求。坚持创新驱动发展。二、主要目标。有效发明专利达到350件。高新技术企业达到260家。"
    lexical = best_window("目标是什么", text, max_chars=20)
    meant = best_window("目标是什么", text, max_chars=20, meaning={"高新技术企业达到260家。": 0.95,
                                                                  "有效发明专利达到350件。": 0.80})
    assert "260家" in meant and meant != lexical


def test_the_quote_holds_the_span_readers_answer_when_it_has_one():
    text = "推进实施算力券政策，支持企业购买智算服务。发挥应用场景建设支持政策引导作用，发布技术创新典型应用场景清单。"
    question = "算力券的应用场景政策是什么"  # its wording leans to the second sentence
    plain = best_window(question, text, max_chars=30)
    anchored = best_window(question, text, max_chars=30, anchor="支持企业购买智算服务")
    assert "支持企业购买智算服务" not in plain and "支持企业购买智算服务" in anchored
    # an anchor no run can hold (it spans more than max_chars) leaves the plain choice
    assert best_window(question, text, max_chars=30, anchor="不在条款中的文字") == plain


def test_sentence_meaning_scores_the_hit_sentences(docs_dir: Path, tmp_path: Path, fake_embedder):
    build_index(docs_dir, tmp_path / "index", embedder=fake_embedder, sentence_vectors=True)
    retriever = Retriever.open(tmp_path / "index", fake_embedder)
    question = "静海区 有效发明专利 350件"
    hit = retriever.search(question, 1)[0]
    scores = retriever.sentence_meaning(question, hit)
    assert scores and max(scores, key=scores.get).find("350") >= 0
    assert all(-1.0001 <= v <= 1.0001 for v in scores.values())
