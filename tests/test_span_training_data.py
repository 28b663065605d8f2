"""The span reader's domain training windows: the own questions' (a retrieved clause holding a gold quote is the
answerable window, with the quote as its span; retrieved clauses without it are unanswerable) and RGB's (gold
passages with the answer, hard negatives without it), never from a set-aside or check item."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import pytest
from conftest import SHARED

from rag.evaluation import span_training_data as data
from rag.evaluation.training_questions import hashed_split, own_gold


@dataclass(frozen=True)
class FakeHit:
    """Stands in for a retrieved clause: only what the windows read."""

    id: str
    answer_text: str
    title: str = "某市方案"
    path: tuple[str, ...] = ("一、目标",)


def train_ids(prefix: str, n: int) -> list[str]:
    ids = [f"{prefix}{k}" for k in range(200)]
    return [i for i in ids if hashed_split(i) == "train"][:n]


def test_own_windows_take_the_quote_as_span_and_clauses_without_it_as_none(tmp_path):
    kept, held, tuned = *train_ids("t", 2), next(i for i in map(str, range(200)) if hashed_split(i) == "tune")
    rows = [
        {"id": kept, "question": "研发投入强度目标是多少？", "quotes": ["力争达到3.2%以上"]},
        {"id": held, "question": "留作检查的问题？", "quotes": ["力争达到3.2%以上"]},
        {"id": tuned, "question": "调参的问题？", "quotes": ["力争达到3.2%以上"]},
    ]
    questions = tmp_path / "q.jsonl"
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    (tmp_path / "check.txt").write_text(held + "\n", encoding="utf-8")
    gold = own_gold((questions,), tmp_path / "check.txt", tmp_path / "none.txt")
    hits = [
        FakeHit("c1", "加大科技投入,提高财政资金使用效率。"),
        FakeHit("c2", "科技创新能力明显增强。全社会研发投入强度力争达到3.2%以上。"),
        FakeHit("c3", "推进科研诚信体系建设。"),
    ]
    asked: list[str] = []

    def search(question: str, k: int):
        asked.append(question)
        return hits[:k]

    items = data.own_train_items(search, random.Random(0), gold)
    assert asked == ["研发投入强度目标是多少？"]  # the set-aside and the tuning question are not read
    spans = [i for _, i in items if i.kind == "span"]
    assert len(spans) == 1
    ((text, at),) = spans[0].answers
    assert spans[0].context[at : at + len(text)] == "力争达到3.2%以上"
    assert spans[0].title == "某市方案 一、目标"
    nones = [i for _, i in items if i.kind == "none"]
    assert len(nones) == data.OWN_NEGATIVES and all("3.2%" not in i.context for i in nones)


RGB_SAMPLE = SHARED / "eval" / "external" / "rgb-zh" / "sample.jsonl"


@pytest.mark.skipif(not RGB_SAMPLE.is_file(), reason="../shared/eval/external/rgb-zh is absent (a user's clone)")
def test_rgb_windows_come_from_train_items_with_the_answer_where_it_is_said():
    rows = [json.loads(x) for x in RGB_SAMPLE.read_text(encoding="utf-8").splitlines() if x.strip()]
    train = {rows[n]["id"]: rows[n] for n in data.RGB_ITEMS if n < data.RGB_TUNE_FROM}
    items = [i for _, i in data.rgb_train_items(random.Random(0))]
    assert items and {i.qid.split(":")[0] for i in items} <= set(train)
    for item in items:
        forms = [str(a) for a in train[item.qid.split(":")[0]]["answer_parts"][0]]
        if item.kind == "span":
            ((text, at),) = item.answers
            assert item.context[at : at + len(text)] == text and text in forms
        else:
            assert not any(a in item.context for a in forms)
