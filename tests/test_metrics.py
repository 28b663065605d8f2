"""Evaluation metrics on small hand-made cases."""
from __future__ import annotations

import json

import pytest

from rag.evaluation.gold import load_gold
from rag.evaluation.metrics import AnswerOutcome, GoldItem, answer_metrics, first_hit_rank, per_type, retrieval_metrics

HIT = GoldItem("a", "孵化器奖补多少？", ("分别给予50万元、30万元奖补经费",), "numeric")
MISS = GoldItem("b", "专利目标？", ("全区有效发明专利达到350件",), "numeric")
UNANSWERABLE = GoldItem("c", "杭州补助多少？", (), "unanswerable")


def test_first_hit_rank_normalises_script_and_punctuation():
    passages = ["无关条款。", "對新認定的國家級、省級科技企業孵化器，分別給予50萬元、30萬元獎補經費。"]
    assert first_hit_rank(passages, HIT.quotes) == 2
    assert first_hit_rank(passages, MISS.quotes) is None


def test_partial_coverage_is_not_a_hit():
    # Half of the quote is in one passage and half in the next: neither covers it.
    assert first_hit_rank(["分别给予50万元", "30万元奖补经费"], HIT.quotes) is None


def test_recall_and_mrr():
    m = retrieval_metrics([1, 2, None, 5])
    assert m["recall@1"] == 0.25 and m["recall@3"] == 0.5 and m["recall@5"] == 0.75
    assert m["mrr"] == pytest.approx((1 + 0.5 + 0.2) / 4)
    assert retrieval_metrics([])["questions"] == 0


def test_answer_metrics():
    outcomes = [
        AnswerOutcome(HIT, refused=False, citations=["分别给予50万元、30万元奖补经费。", "无关条款"]),
        AnswerOutcome(MISS, refused=True),
        AnswerOutcome(UNANSWERABLE, refused=True),
    ]
    m = answer_metrics(outcomes)
    assert m["citation_precision"] == 0.5
    assert m["answered_with_valid_citation"] == 0.5
    assert m["refusal_rate_unanswerable"] == 1.0
    assert m["false_refusal_rate"] == 0.5
    table = per_type(outcomes, {"a": 1, "b": None})
    assert table["numeric"]["recall@5"] == 0.5 and table["unanswerable"]["refused"] == 1.0


def test_answering_an_unanswerable_question_counts_against_refusal_rate():
    m = answer_metrics([AnswerOutcome(UNANSWERABLE, refused=False, citations=["某条款"])])
    assert m["refusal_rate_unanswerable"] == 0.0 and m["citation_precision"] == 0.0


def test_gold_file_errors_name_the_line(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps({"question": "问", "quotes": ["引"]}) + "\n{not json}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="gold.jsonl:2"):
        load_gold(path)
