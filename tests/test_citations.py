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


# -- claim checks: one window of one clause, and each figure given to its own item ------------------------------------
JINGHAI = ("到2022年，全区国家高新技术企业总量突破260 家,雏鹰企业新增51家,瞪羚企业新增27家,"
           "科技领军(领军培育)企业累计达到12家。")
INCUBATORS = "对新认定的国家级、省级科技企业孵化器,分别给予50万元、30万元奖补经费;对新认定的省科技型中小企业,给予2000元奖励。"


def test_a_figure_given_to_another_item_than_the_clause_gives_it_is_not_supported():
    from rag.answering.verification import figures_bound, supports_sentence

    wrong = "静海区到2022年要培育12家国家级高新技术企业"  # the clause gives 12家 to 科技领军企业
    assert numbers_supported(wrong, JINGHAI) and not figures_bound(wrong, JINGHAI)
    assert not supports_sentence(wrong, JINGHAI)
    for right in ("全区国家高新技术企业总量突破260家", "科技领军企业累计达到12家", "瞪羚企业新增27家"):
        assert supports_sentence(right, JINGHAI), right


def test_figures_listed_together_share_their_item_so_the_check_abstains():
    from rag.answering.verification import figure_items, figures_bound

    items = dict(figure_items(INCUBATORS))
    assert "孵化器" in items["30万元"] and "孵化器" in items["50万元"]
    assert figures_bound("省级科技企业孵化器奖补30万元", INCUBATORS)
    assert figures_bound("唐山新认定省科技型中小企业给2000元奖励", INCUBATORS)
    assert not figures_bound("新认定的省科技型中小企业给予50万元奖励", INCUBATORS)


def test_a_sentence_of_words_gathered_across_a_clause_is_not_supported():
    from rag.answering.verification import supports_sentence, window_support

    clause = "一、支持企业开展技术研发。二、加强人才引进工作。三、优化营商环境。四、推进实施算力券政策，降低企业算力使用成本。"
    gathered = "支持企业开展技术研发，降低企业的算力使用成本"  # halves of the first and the last sentence
    assert support(gathered, clause) >= 0.5 and window_support(gathered, clause) < 0.5
    assert not supports_sentence(gathered, clause)
    assert supports_sentence("推进实施算力券政策，降低企业算力使用成本", clause)


def test_a_window_is_read_with_its_clauses_label_and_duties():
    from rag.answering.context import verification_contexts
    from rag.types import Clause, Hit

    text = "全社会研发投入强度力争达到3.2%以上。全区科技型企业持续增加。全区有效发明专利达到350件。"
    clause = Clause("d#1", "d", "静海区工作方案", ("一、目标",), "《静海区工作方案》一、目标", text, 0, len(text))
    (context,) = verification_contexts([Hit(clause, 1.0, 0.9, 1.0)])
    assert verify_sentence("静海区有效发明专利目标是350件[1]", [context]).sources == [1]


SUANLI = ("一、支持企业开展技术研发和自主攻关产品推广应用和迭代升级。二、推进实施算力券政策，支持企业购买智算、超算服务，"
          "降低企业算力使用成本。")


def test_the_questions_topic_must_stand_in_the_sentence_that_supports_the_claim():
    from rag.answering.verification import supports_sentence

    question = "算力券是干什么用的？"
    swapped = "算力券是用于支持企业开展技术研发和自主攻关产品推广应用和迭代升级的"  # the words of the sentence before
    assert supports_sentence(swapped, SUANLI)  # wording alone cannot tell
    assert not supports_sentence(swapped, SUANLI, question)
    assert supports_sentence("算力券用于支持企业购买智算、超算服务，降低企业算力使用成本", SUANLI, question)


def test_a_lead_that_runs_on_past_a_semicolon_counts_for_the_topic():
    from rag.answering.verification import supports_sentence

    clause = "到2025年,省级以上星创天地达到30家;农业科技特派员达到100名;培育省级农业产业化龙头企业达到110家。"
    assert supports_sentence("到2025年,农业科技特派员达到100名", clause, "到2025年农业科技特派员要达到多少名？")


def test_a_models_lead_in_naming_the_clauses_is_not_left_as_a_fragment():
    from rag.answering.verification import verify_sentence

    clause = "对新认定的国家级科技企业孵化器，给予50万元奖补经费。"
    for said in ("根据条款[1]，对新认定的国家级科技企业孵化器给予50万元奖补经费。",
                 "根据条款10，对新认定的国家级科技企业孵化器给予50万元奖补经费。",
                 "根据条款[1]和[2]，对新认定的国家级科技企业孵化器给予50万元奖补经费。"):
        checked = verify_sentence(said, [clause])
        assert checked.text.startswith("对新认定") and checked.sources == [1], checked
    assert verify_sentence("根据本办法规定，给予50万元奖补经费。", [clause]).text.startswith("根据本办法")
