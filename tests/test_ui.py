"""The chat page's handlers, called as functions (no browser)."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
import threading

import pytest

from rag.ui.handlers import ChatApp


@pytest.fixture
def app(fake_session, tmp_path):
    settings = fake_session.settings.with_(uploads=True)
    return ChatApp(settings, session=fake_session, upload_root=tmp_path)  # tests upload from tmp_path


ADMIN = SimpleNamespace(username="admin")


def last(gen):
    out = None
    for out in gen:
        pass
    return out


def test_respond_streams_answer_with_markers_and_cards(app):
    history, _turns, sources, box = last(app.respond("唐山 科技企业孵化器 奖补经费 国家级 省级", [], [], "extractive", 5))
    assert history[0] == {"role": "user", "content": "唐山 科技企业孵化器 奖补经费 国家级 省级"}
    assert 'class="cite"' in history[1]["content"] and "〔1〕" in history[1]["content"]
    assert "id='src-1'" in sources and "<mark>" in sources and "查看原文上下文" in sources
    assert box == ""


def test_follow_up_uses_the_conversation(app):
    history, turns, _, _ = last(app.respond("静海区 推动工程技术系列经纪人专业职称申报", [], [], "extractive", 5))
    assert turns and "<" not in turns[0][1]  # the conversation is kept as plain text
    history, turns, sources, _ = last(app.respond("那这项工作由谁负责？", history, turns, "extractive", 5))
    assert "区人社局" in history[-1]["content"]


def test_refusal_shows_possibly_related_clauses(app):
    history, _turns, sources, _ = last(app.respond("杭州市对科技型中小企业研发费用的补助比例是多少？", [], [], "extractive", 5))
    assert "无法回答" in history[-1]["content"] and "可能相关" in sources


def test_errors_become_chat_messages(app, monkeypatch):
    history, _turns, _, box = last(app.respond("   ", [], [], "extractive", 5))
    assert history[-1]["content"].startswith("⚠️") and "请输入问题" in history[-1]["content"]

    def boom(*a, **k):
        raise RuntimeError("index exploded")

    monkeypatch.setattr(app.session, "retriever", boom)
    history, _turns, _, box = last(app.respond("唐山孵化器奖补", [], [], "extractive", 5))
    assert "index exploded" in history[-1]["content"] and "Traceback" not in history[-1]["content"]
    assert box == "唐山孵化器奖补"  # the question is kept for a retry


def test_user_html_is_escaped(app):
    history, _turns, _, _ = last(app.respond("<script>alert(1)</script>唐山孵化器", [], [], "extractive", 5))
    assert "<script>" not in history[0]["content"]


def test_documents_panel_and_stale_flag(app):
    html = app.documents()
    assert "索引是最新的" in html and "004_11ab0b061efeda41.txt" in html and "<td>37</td>" in html
    (Path(app.settings.docs_dir) / "001_a008f9a6c582088b.txt").unlink()
    assert "索引已过期" in app.documents()


def test_upload_checks_type_size_and_content(app, tmp_path):
    bad_type = tmp_path / "x.exe"
    bad_type.write_bytes(b"MZ")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"not a docx")
    good = tmp_path / "数据办法.txt"
    good.write_text("某市数据要素办法\n一、总体目标。到2027年建成数据交易所3家（市数据局负责）。\n", encoding="gb18030")
    messages = app.save_upload([str(bad_type), str(empty), str(broken), str(good)], "admin")
    assert "不支持的文件类型" in messages[0] and "空的" in messages[1] and "无法读取" in messages[2]
    assert messages[3] == "已添加 数据办法.txt"
    docs = {p.name for p in Path(app.settings.docs_dir).iterdir()}
    assert "数据办法.txt" in docs and "x.exe" not in docs and "broken.docx" not in docs


def test_upload_then_answer_cites_the_new_document(app, tmp_path):
    doc = tmp_path / "绿色金融办法.txt"
    doc.write_text("某市绿色金融办法\n一、支持措施\n（一）对绿色信贷贴息。对符合条件的绿色信贷给予贴息补助（市金融局负责）。\n",
                   encoding="utf-8")
    progress = list(app.upload([str(doc)], ADMIN))
    assert any("重建完成" in p for p in progress)
    history, _turns, sources, _ = last(app.respond("绿色信贷 贴息 补助", [], [], "extractive", 5))
    assert "绿色金融办法" in sources


def test_size_limit(app, tmp_path):
    app.settings = app.settings.with_(max_file_bytes=10)
    big = tmp_path / "big.txt"
    big.write_text("一、" + "很长的文字。" * 10, encoding="utf-8")
    assert "太大" in app.save_upload([str(big)], "admin")[0]


def test_example_questions_come_from_the_documents(app):
    examples = app.example_questions()
    assert 2 <= len(examples) <= 4 and any("负责" in q for q in examples)


def test_concurrent_rebuilds_share_one_that_ends_fresh(app, monkeypatch):
    started, release = threading.Event(), threading.Event()
    real_build = app.session.build

    def held(*a, **k):
        started.set()
        assert release.wait(60)
        return real_build(*a, **k)

    monkeypatch.setattr(app.session, "build", held)
    first: list[str] = []
    runner = threading.Thread(target=lambda: first.extend(app.rebuild()))
    runner.start()
    assert started.wait(10)  # a build is running
    outcomes: list[list[str]] = []
    waiter = threading.Thread(target=lambda: outcomes.append(list(app.rebuild())))
    waiter.start()
    waiter.join(1.5)
    assert waiter.is_alive()  # it waits for the running build instead of giving up
    release.set()
    waiter.join(60)
    runner.join(60)
    assert outcomes and outcomes[0][0].startswith("已有重建在进行中") and "重建完成" in outcomes[0][-1]
    assert "重建完成" in first[-1]
    assert "索引是最新的" in app.documents()


def test_filter_fields_are_data_escaped_and_a_bad_date_is_a_clear_message(app):
    history, _turns, _, box = last(app.respond("科技企业孵化器奖补多少？", [], [], "extractive", 5,
                                                "<img src=x onerror=alert(1)>", "", "", "", ""))
    assert "<img" not in history[-1]["content"] and "没有符合筛选条件" in history[-1]["content"]
    history, _turns, _, box = last(app.respond("科技企业孵化器奖补多少？", [], [], "extractive", 5,
                                                "", "", "", "去年", ""))
    assert "筛选条件有误" in history[-1]["content"] and box == "科技企业孵化器奖补多少？"


@pytest.mark.parametrize("raw", ["2020-13-45", "xx2020-01-01yy", "2021-02-29", "2020-01-01 至今"])
def test_a_date_filter_must_be_a_whole_date_of_the_calendar(raw):
    from rag.types import SearchFilter

    with pytest.raises(ValueError, match="not a date of the calendar"):
        SearchFilter.parse(since=raw)
    assert SearchFilter.parse(since=" 2020/2/29 ", until="2021年3月1日").date_from == "2020-02-29"


def test_facts_from_a_document_are_escaped_on_the_cards(app):
    from rag.types import DocumentFacts, Fact
    from rag.ui.views import _facts

    html = _facts(DocumentFacts(issuer=Fact("<b onmouseover=x>某局</b>"), superseded=Fact("已由《<i>新</i>》废止")))
    assert "<b " not in html and "<i>" not in html and "&lt;b onmouseover=x&gt;某局" in html and "可能已不再有效" in html
