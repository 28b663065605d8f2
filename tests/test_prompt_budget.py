"""The prompt budget: the sentences that matter, within a character budget, every clause represented."""
from __future__ import annotations

from rag.answering.context import GAP, clause_excerpts, context_block, duties_line, prompt_label, prompt_messages
from rag.text.normalize import for_search
from rag.types import Clause, Duty, Hit


def hit(text: str, n: int = 0) -> Hit:
    return Hit(Clause(f"d:{n}", "d.txt", "某市方案", ("一、",), f"《某市方案》一、{n}", text, 0, len(text)), 1.0, 0.9, 1.0)


LONG = ("加强组织领导，建立工作机制。完善配套政策，强化资金保障。对新认定的国家级科技企业孵化器给予50万元奖补。"
        "加大宣传力度，营造良好氛围。定期开展督查评估。")
OTHER = "支持企业建设研发机构。对新认定的市级研发机构给予10万元支持。推动产学研合作。"


def test_zero_budget_sends_whole_clauses():
    assert clause_excerpts("孵化器奖补多少", [hit(LONG), hit(OTHER, 1)], 0) == [for_search(LONG), for_search(OTHER)]


def test_budget_keeps_the_answering_sentence_and_marks_gaps():
    excerpts = clause_excerpts("国家级科技企业孵化器奖补多少", [hit(LONG), hit(OTHER, 1)], 60)
    assert "50万元" in excerpts[0] and "宣传" not in excerpts[0]
    assert excerpts[0].startswith(GAP) and excerpts[0].endswith(GAP)
    assert excerpts[1]  # every clause keeps its best sentence
    assert sum(len(e.replace(GAP, "")) for e in excerpts) <= 60 + 40


def test_budget_fills_with_more_sentences_when_there_is_room():
    question = "孵化器奖补、资金保障和督查"
    small = clause_excerpts(question, [hit(LONG)], 30)[0]
    large = clause_excerpts(question, [hit(LONG)], 400)[0]
    assert len(large) > len(small) and "资金保障" in large and "督查" in large
    assert "宣传" not in large  # sentences sharing no wording with the question are left out


def test_prompt_keeps_numbering_and_labels():
    messages = prompt_messages("孵化器奖补多少", [hit(LONG), hit(OTHER, 1)], 60)
    user = messages[1]["content"]
    assert "[1] 《某市方案》一、0" in user and "[2] 《某市方案》一、1" in user
    assert messages[0]["role"] == "system" and "始终有效" in messages[0]["content"]
    assert len(user) < len(prompt_messages("孵化器奖补多少", [hit(LONG), hit(OTHER, 1)], 0)[1]["content"])
    assert context_block([hit(LONG)]).count("[1]") == 1


def headed(text: str, path: tuple[str, ...], duties=()) -> Hit:
    label = "《某區方案》" + "".join(path)
    return Hit(Clause("d:9", "d.txt", "某區方案", path, label, text, 0, len(text), duties), 1.0, 0.9, 1.0)


def test_prompt_label_drops_the_heading_the_clause_opens_with():
    opens = headed("（三）強化資金保障。設立專項資金。", ("二、保障措施", "（三）強化資金保障"))
    assert prompt_label(opens) == "《某区方案》二、保障措施"  # simplified; the heading once, in the text
    other = headed("設立專項資金，支持企業研發。", ("二、保障措施", "（三）強化資金保障"))
    assert prompt_label(other) == "《某区方案》二、保障措施(三)强化资金保障"  # not repeated: kept (NFKC)


def test_duties_line_names_a_lone_duty_without_its_task():
    one = headed("支持企業研發。（責任單位：區科技局）", ("一、",), (Duty((), ("区科技局",), "支持企业研发"),))
    assert duties_line(one) == "\n（责任单位：区科技局）"
    two = headed(
        "甲事項。乙事項。",
        ("一、",),
        (Duty((), ("区科技局",), "甲事项"), Duty(("区财政局",), ("区发改委",), "乙事项")),
    )
    assert duties_line(two) == "\n（责任单位：甲事项→区科技局；乙事项→牵头：区财政局；责任/配合：区发改委）"
    assert duties_line(headed("甲事項。", ("一、",))) == ""


def test_span_hint_is_simplified_like_the_clauses_shown():
    from rag.answering.model_answer import asked_with_span

    assert "「实施“千团计划”」" in asked_with_span("计划是什么", "實施“千團計劃”")
    assert asked_with_span("计划是什么", " ") == "计划是什么"
