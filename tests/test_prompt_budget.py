"""The prompt budget: the sentences that matter, within a character budget, every clause represented."""
from __future__ import annotations

from rag.answering.context import GAP, clause_excerpts, context_block, prompt_messages
from rag.text.normalize import for_search
from rag.types import Clause, Hit


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
