"""Citation markers: parsing, mapping to clauses, verification and renumbering (golden cases)."""
from __future__ import annotations

from rag.answering.verification import Checked, Renumberer, numbers_supported, verify_sentence
from rag.text.markers import markers_in, strip_markers
from rag.text.overlap import support
from rag.text.sentences import split_sentences

CLAUSES = [
    "对新认定的国家级、省级科技企业孵化器,分别给予50万元、30万元奖补经费。",
    "全区有效发明专利达到350件(区知识产权局负责)。",
    "每年以“先使用后付费”模式转化高校、科研院所科技成果不少于***项。",
]


def test_marker_forms_are_parsed():
    assert markers_in("奖补50万元[1]。另见【2】和〔3〕[条款1]") == [1, 2, 3, 1]
    assert strip_markers("奖补50万元 [1][2]。") == "奖补50万元。"


def test_sentences_keep_trailing_markers():
    text = "国家级给予50万元。[1]有效发明专利达到350件[2]。最后一句"
    assert split_sentences(text) == ["国家级给予50万元。[1]", "有效发明专利达到350件[2]。", "最后一句"]


def test_sentence_pieces_concatenate_to_the_text():
    text = "甲乙丙丁。\n 戊己庚辛。壬"
    assert "".join(split_sentences(text)) == text


def test_correct_marker_is_kept():
    c = verify_sentence("对新认定的国家级科技企业孵化器给予50万元奖补经费[1]。", CLAUSES)
    assert c.sources == [1] and c.dropped == []


def test_wrong_marker_is_dropped_and_right_clause_found():
    c = verify_sentence("全区有效发明专利达到350件[1]。", CLAUSES)
    assert c.dropped == [1] and c.sources == [2]


def test_out_of_range_marker_is_dropped():
    c = verify_sentence("全区有效发明专利达到350件[7]。", CLAUSES, auto_cite=False)
    assert c.dropped == [7] and c.sources == []


def test_altered_number_is_not_supported():
    assert not numbers_supported("国家级孵化器奖补80万元", CLAUSES[0])
    c = verify_sentence("对新认定的国家级、省级科技企业孵化器分别给予80万元、30万元奖补经费[1]。", CLAUSES)
    assert c.sources == [] and c.dropped == [1]


def test_unrelated_sentence_gets_no_citation():
    c = verify_sentence("杭州市对研发费用补助比例为百分之二十[1]。", CLAUSES)
    assert c.sources == []


def test_support_is_normalised_across_scripts():
    assert support("每年以先使用後付費模式轉化高校科研院所科技成果", CLAUSES[2]) > 0.9


def test_renumbering_in_order_of_appearance():
    r = Renumberer()
    first = r.render(Checked("有效发明专利达到350件。", [2]))
    second = r.render(Checked("孵化器奖补50万元。", [1, 2]))
    assert first == "有效发明专利达到350件〔1〕。"
    assert second == "孵化器奖补50万元〔2〕〔1〕。"
    assert r.order == [2, 1]
