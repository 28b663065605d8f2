"""A verified answer on screen at once: with a model backend the verified quote is streamed before the model runs;
the model's wording replaces it only when it verifies (the quote it rewords then follows as 原文), otherwise the
quote stays with no apology text."""
from __future__ import annotations

from rag.answering.answerer import Answerer
from rag.types import Answer, Quoted
from rag.ui.views import answer_html, quoted_html
from conftest import ScriptedLLM

QUESTION = "静海区 有效发明专利 达到 多少件"


def stream(session, llm):
    return list(Answerer(session, "scripted", llm=llm).stream(QUESTION))


def with_reader(session):
    """The session with the learned reader on (RAG_READER=1; off by default)."""
    session.settings = session.settings.with_(reader=True)
    return session


def test_the_quote_comes_before_the_model_and_a_verified_model_answer_replaces_it(fake_session):
    llm = ScriptedLLM("静海区全区有效发明专利达到350件[1]。")
    pieces = stream(fake_session, llm)
    quoted = next(i for i, p in enumerate(pieces) if isinstance(p, Quoted))
    first_text = next(i for i, p in enumerate(pieces) if isinstance(p, str))
    assert quoted < first_text and "350件" in pieces[quoted].text and "〔1〕" in pieces[quoted].text
    final = pieces[-1]
    assert isinstance(final, Answer) and final.backend == "scripted" and "350件" in final.body
    assert final.timings.first_verified is not None and final.timings.first_verified <= final.timings.total


def test_a_kept_model_answer_is_followed_by_the_clause_words_it_rewords(fake_session):
    from rag.answering.answerer import with_source
    from rag.answering.replies import SOURCE_LABEL
    from rag.answering.verification import Checked

    final = stream(fake_session, ScriptedLLM("静海区全区有效发明专利达到350件[1]。"))[-1]
    answer, _, source = final.body.partition(SOURCE_LABEL)
    assert "350件" in answer and "〔1〕" in answer
    assert source.startswith("“") and "350件" in source and "〔1〕" in source  # the clause's words, cited alike
    assert len(final.citations) == 1 and final.citations[0].supports[-1].startswith(SOURCE_LABEL)
    assert answer.endswith("\n")
    quote = [Checked("“到2022年，全区有效发明专利达到350件。”", [1])]
    assert with_source([Checked("全区有效发明专利达到350件。", [1])], quote)  # reworded: the source follows
    assert not with_source([Checked("到2022年，全区有效发明专利达到350件。", [1])], quote)  # copied: no repeat
    assert not with_source([Checked("无法回答。", [])], quote)  # no kept answer: the quote stands alone


def test_a_model_answer_that_does_not_verify_leaves_the_quote_with_no_apology(fake_session):
    llm = ScriptedLLM("静海区的专利数量是一个很大的数字，会逐年增长[1]。")
    pieces = stream(fake_session, llm)
    quote = next(p for p in pieces if isinstance(p, Quoted)).text
    final = pieces[-1]
    assert final.backend == "extractive" and not final.refused and final.citations
    assert final.body == quote  # the quote that was on screen stays
    assert "印证" not in final.body and final.extra_note == "" and "印证" in final.note  # the reason is for logs
    assert "印证" not in answer_html(final, labelled=True) and "原文摘录" in answer_html(final, labelled=True)


def test_a_model_refusal_leaves_the_quote_too(fake_session):
    from rag.answering.prompts import refusal_text

    final = stream(fake_session, ScriptedLLM(refusal_text()))[-1]
    assert not final.refused and "350件" in final.body and final.extra_note == ""


def _reader_believing(monkeypatch, fake_session, bias: float) -> None:
    """Ship a reader fitted in the fake embedder's space whose belief is σ(bias) for every question."""
    import rag.answering.reader as reader_module
    from rag.answering.reader import FEATURES, Reader

    n = len(FEATURES)
    reader = Reader((0.0,) * n, (1.0,) * n, (0.0,) * n, bias, 0.05, fake_session.retriever().embedder.space)
    monkeypatch.setattr(reader_module, "load_reader", lambda: reader)


def test_a_model_refusal_leaves_the_quote_even_when_the_reader_doubts_the_clauses(fake_session, monkeypatch):
    """Counting it refused 6 answerable tuning questions for 2 unanswerable ones, so it does not count."""
    from rag.answering.prompts import refusal_text

    _reader_believing(monkeypatch, fake_session, -1.0)  # belief 0.27: above the threshold, yet doubtful
    final = stream(with_reader(fake_session), ScriptedLLM(refusal_text()))[-1]
    assert not final.refused and "350件" in final.body
    # The same path does consult the reader: below its threshold the same model refusal is a refusal, so the
    # answer above stood because the model's refusal was not counted, not because no reader was asked.
    _reader_believing(monkeypatch, fake_session, -5.0)  # belief 0.007 < 0.05
    final = stream(with_reader(fake_session), ScriptedLLM(refusal_text()))[-1]
    assert final.refused


def test_the_reader_refuses_below_its_threshold_for_every_backend(fake_session, monkeypatch):
    _reader_believing(monkeypatch, fake_session, -5.0)  # belief 0.007 < 0.05
    assert not list(Answerer(fake_session, "extractive").stream(QUESTION))[-1].refused  # off by default
    final = list(Answerer(with_reader(fake_session), "extractive").stream(QUESTION))[-1]
    assert final.refused and "不够相符" in final.body


def test_the_extractive_backend_streams_no_separate_quote(fake_session):
    pieces = list(Answerer(fake_session, "extractive").stream(QUESTION))
    assert not any(isinstance(p, Quoted) for p in pieces) and "350件" in pieces[-1].body


def test_the_page_shows_the_two_states():
    waiting = quoted_html("原文〔1〕")
    assert "原文摘录" in waiting and "模型正在组织回答" in waiting and 'class="cite"' in waiting
    writing = quoted_html("原文〔1〕", "模型的回答〔1〕")
    assert "回答（生成中）" in writing and "模型正在组织回答" not in writing
    answered = Answer(question="问", standalone_question="问", body="模型的回答〔1〕", citations=(), hits=(), refused=False,
                      backend="local")
    assert "回答" in answer_html(answered, labelled=True) and "原文摘录" not in answer_html(answered, labelled=True)
    assert "class='state'" not in answer_html(answered)  # the extractive page needs no labels


def test_the_evidence_prompt_carries_only_the_quoted_sentences_and_maps_citations_back(fake_session):
    prompts = {}
    for mode in ("clauses", "evidence"):
        session = type(fake_session)(fake_session.settings.with_(prompt_mode=mode), embedder=fake_session.embedder)
        llm = ScriptedLLM("静海区全区有效发明专利达到350件[1]。")
        final = list(Answerer(session, "scripted", llm=llm).stream(QUESTION))[-1]
        prompts[mode] = llm.calls[0][1]["content"]
    prompt = prompts["evidence"]
    assert "350件" in prompt and prompt.count("[") <= 2 and len(prompt) < len(prompts["clauses"]) / 2
    assert final.backend == "scripted" and "350" in final.citations[0].clause.text


def test_the_prompt_mode_setting_is_checked():
    import pytest

    from rag.config import Settings

    assert Settings.from_env(prompt_mode=None).prompt_mode == "evidence"
    with pytest.raises(ValueError, match="RAG_PROMPT_MODE"):
        import os

        os.environ["RAG_PROMPT_MODE"] = "everything"
        try:
            Settings.from_env()
        finally:
            del os.environ["RAG_PROMPT_MODE"]
