"""Unanswerable training windows made from answerable ones (rag/evaluation/span_perturbation.py): the question asks
about another subject or another number than the passage's, or the passage loses the sentences holding the answer;
the passage is never changed where the question is, and no variant keeps a form of the answer it claims is absent."""

from __future__ import annotations

import random

import pytest

from rag.evaluation import span_perturbation as sp
from rag.evaluation.span_training_data import examples_of
from rag.evaluation.squad import Item

CONTEXT = (
    "广茂铁路是连接广州与茂名的铁路。全长364.6公里，于1903年开工。"
    "沿线设有三水站、肇庆站等车站。该线由广东省铁路公司负责运营管理，是粤西重要的客货运输通道。"
)


def item(question: str, answer: str, title: str = "广茂铁路") -> Item:
    return Item("q1", question, CONTEXT, title, ((answer, CONTEXT.index(answer)),), "span")


def test_another_name_replaces_the_title_the_question_names_with_one_the_passage_lacks():
    got = sp.another_name(item("广茂铁路全长多少公里？", "364.6公里"), ["三水站", "大莱龙铁路"], random.Random(0))
    assert got is not None and got.kind == "none"
    assert got.question == "大莱龙铁路全长多少公里？"  # 「三水站」 is named in the passage: never chosen
    assert got.context == CONTEXT
    assert got.answers == (("364.6公里", CONTEXT.index("364.6公里")),)  # where it was: the window to read


def test_another_name_needs_the_title_in_the_question_and_a_short_title():
    assert sp.another_name(item("这条铁路全长多少公里？", "364.6公里"), ["大莱龙铁路"], random.Random(0)) is None
    long_title = "关于印发广茂铁路运营管理办法的通知全文"
    question = f"{long_title}规定了什么？"
    assert sp.another_name(item(question, "364.6公里", long_title), ["大莱龙铁路"], random.Random(0)) is None


def test_drcd_titles_are_read_simplified_and_without_disambiguation():
    got = sp.another_name(
        item("广茂铁路全长多少公里？", "364.6公里", "廣茂鐵路_(廣東)"), ["京九铁路"], random.Random(0), "drcd"
    )
    assert got is not None and got.question == "京九铁路全长多少公里？"


def test_another_number_moves_a_shared_number_to_one_the_passage_never_states():
    for seed in range(20):
        got = sp.another_number(item("广茂铁路于1903年做了什么？", "开工"), random.Random(seed))
        assert got is not None and got.kind == "none"
        year = got.question[len("广茂铁路于") : len("广茂铁路于") + 4]
        assert year.isdigit() and year != "1903" and year not in CONTEXT and abs(int(year) - 1903) <= 3


def test_another_number_leaves_numbers_the_passage_does_not_share():
    assert sp.another_number(item("2020年广茂铁路全长多少？", "364.6公里"), random.Random(0)) is None


def test_answer_taken_out_removes_every_sentence_holding_it():
    got = sp.answer_taken_out(item("广茂铁路全长多少公里？", "364.6公里"))
    assert got is not None and got.kind == "none"
    assert "364.6" not in got.context and "沿线设有三水站" in got.context
    assert got.answers == ()  # another context: no position carries over


def test_answer_taken_out_refuses_when_the_answer_is_stated_twice_or_too_little_is_left():
    twice = Item(
        "q2", "哪个车站？", CONTEXT + "其中三水站最大。", "广茂铁路", (("三水站", CONTEXT.index("三水站")),), "span"
    )
    assert sp.answer_taken_out(twice) is None
    short = Item("q3", "全长？", "全长364.6公里。于1903年开工。", "", (("364.6公里", 2),), "span")
    assert sp.answer_taken_out(short) is None


def test_perturbed_gives_at_most_one_variant_per_answerable_item_and_none_for_others(monkeypatch):
    monkeypatch.setattr(sp, "PERTURB_SHARE", 1.0)
    items = [
        ("cmrc", item("广茂铁路全长多少公里？", "364.6公里")),
        ("cmrc", Item("n", "问？", CONTEXT, "", (), "none")),
    ]
    items.append(
        ("cmrc", Item("t", "大莱龙铁路在哪？", "大莱龙铁路在山东。" * 10, "大莱龙铁路", (("山东", 6),), "span"))
    )
    out = sp.perturbed(items, random.Random(0))
    assert {i.qid.rsplit("-", 1)[0] for _, i in out} <= {"q1", "t"}
    assert len(out) == len({i.qid.rsplit("-", 1)[0] for _, i in out})
    assert all(i.kind == "none" and s == "cmrc" for s, i in out)


class CharTokenizer:
    """One token per character: only what windows() reads."""

    bos, eos = 0, 2

    def content_ids(self, texts):
        return [[ord(c) for c in t] for t in texts]

    def ids_and_spans(self, text):
        return [ord(c) for c in text], [(i, i + 1) for i in range(len(text))]


def test_an_unanswerable_variant_is_read_in_the_window_that_held_the_answer():
    long_context = "无关的句子。" * 60 + CONTEXT
    answer = "364.6公里"
    source = Item(
        "q1", "广茂铁路全长多少公里？", long_context, "广茂铁路", ((answer, long_context.index(answer)),), "span"
    )
    variant = sp.another_name(source, ["大莱龙铁路"], random.Random(0))
    assert variant is not None
    for seed in range(5):
        (example,) = examples_of("cmrc", variant, CharTokenizer(), random.Random(seed))
        assert example.start == -1
        passage = "".join(chr(i) for i in example.ids[example.first : example.first + example.count])
        assert answer[:3] in passage  # the window around where the answer was, not one of the 60 others


def test_perturbed_makes_only_the_ways_asked_for_and_names_an_unknown_one(monkeypatch):
    monkeypatch.setattr(sp, "PERTURB_SHARE", 1.0)
    items = [("cmrc", item("广茂铁路于1903年做了什么？", "开工"))]
    items.append(("cmrc", Item("n", "问？", "大莱龙铁路在山东。", "大莱龙铁路", (), "none")))  # a title for the pool
    for seed in range(10):
        ((_, variant),) = sp.perturbed(items, random.Random(seed), ("number",))
        assert variant.qid.endswith("-number")
    for seed in range(10):
        ((_, variant),) = sp.perturbed(items, random.Random(seed), ("name",))
        assert variant.qid.endswith("-name") and "广茂铁路" not in variant.question
    with pytest.raises(ValueError, match="unknown perturbation"):
        sp.perturbed(items, random.Random(0), ("place",))
