"""Heading-ladder parsing and responsibility extraction on the real seeds."""
from __future__ import annotations

import pytest

from rag.ingest.clauses import parse_clauses
from rag.ingest.headings import cn_to_int
from rag.ingest.duties import extract_duties
from rag.ingest.documents import load_document
from rag.text.normalize import for_search
from conftest import SEEDS


def clauses_of(name: str):
    return parse_clauses(load_document(SEEDS / name))


def by_label_tail(clauses, tail: str):
    found = [c for c in clauses if c.label.endswith(tail)]
    assert found, f"no clause labelled …{tail}"
    return found[0]


@pytest.mark.parametrize("name, expected", [
    ("000_e4c543bcaf73ff4c.txt", 30), ("001_a008f9a6c582088b.txt", 27), ("002_3b8e7fd72f26c609.txt", 23),
    ("003_184da36d701c505f.txt", 27), ("004_11ab0b061efeda41.txt", 37),
])
def test_clause_counts(name: str, expected: int):
    assert len(clauses_of(name)) == expected


def test_label_follows_the_design_example():
    clauses = clauses_of("004_11ab0b061efeda41.txt")
    c = by_label_tail(clauses, "四、（一）1.壮大技术创新主体")
    assert c.label == "《唐山市人民政府关于加快科技创新平台建设的实施方案》四、（一）1.壮大技术创新主体"
    assert c.path == ("四、主要任务", "（一）加强科技创新主体培育", "1.壮大技术创新主体")
    assert c.text.startswith("1.壮大技术创新主体。")


def test_masked_clause_numbers_take_their_ordinal_from_position():
    clauses = clauses_of("000_e4c543bcaf73ff4c.txt")
    # "**." in the source is the 6th item of (二) and the 6th of (三).
    assert by_label_tail(clauses, "二、（二）6.高水平打造天開高教科創園").text.startswith("**.")
    assert by_label_tail(clauses, "二、（三）6.加快推進產業煥新")
    labels = [c.label for c in clauses]
    assert sum("二、（五）" in label for label in labels) == 4


def test_run_together_clauses_are_split_and_numbering_gaps_tolerated():
    clauses = clauses_of("003_184da36d701c505f.txt")
    tails = [c.label.split("》", 1)[1] for c in clauses]
    assert "二、（一）2.坚持即高新区" in tails
    assert "三、（一）2.整合现有创新平台资源" in tails  # "2,整合…" with a comma typo
    assert "二、（三）4.建立“企业出题、高校解题、政府助题”工作机制" in tails  # items 2-3 are missing in the source
    risk = by_label_tail(clauses, "二、（二）2.引导企业加大科技创新投入")
    assert "3.以上" not in risk.label


def is_subsequence(short: str, long: str) -> bool:
    chars = iter(long)
    return all(ch in chars for ch in short)


def test_subsequence_helper_can_fail():
    assert is_subsequence("ace", "abcde") and not is_subsequence("aec", "abcde")


def test_spans_point_at_the_clause_in_the_original_file():
    doc = load_document(SEEDS / "000_e4c543bcaf73ff4c.txt")
    for c in parse_clauses(doc):
        original = doc.original[c.start:c.end]
        assert original.startswith(c.text[:2]) and original.endswith(c.text[-1])
        # Cleaning only deletes characters, so the clause is the original span with some characters removed.
        assert is_subsequence(c.text, original), c.label


def test_long_clauses_are_split_at_sentence_ends_with_label_kept():
    clauses = clauses_of("002_3b8e7fd72f26c609.txt")
    parts = [c for c in clauses if c.label.endswith("（三）实施创新型企业领军行动计划")]
    assert len(parts) == 2 and all(len(c.text) <= 400 for c in parts)
    assert parts[0].text.endswith(("。", "；")) and parts[1].part == 1


def test_heading_only_lines_fold_into_their_clauses():
    clauses = clauses_of("004_11ab0b061efeda41.txt")
    assert not any(c.label.endswith("（一）加强科技创新主体培育") for c in clauses)
    assert all(c.path[0] != "（一）加强科技创新主体培育" for c in clauses)


def test_parenthetical_departments_traditional_source():
    clauses = clauses_of("000_e4c543bcaf73ff4c.txt")
    c = by_label_tail(clauses, "加快推進產業煥新")
    assert c.departments == ("市工业和信息化局", "市科技局", "市发展改革委", "各区人民政府")


def test_departments_per_sentence():
    clauses = clauses_of("001_a008f9a6c582088b.txt")
    c = by_label_tail(clauses, "1、科技创新能力明显增强")
    duties = {d.partners: d.task for d in c.duties}
    assert ("区知识产权局",) in duties and "有效发明专利" in duties[("区知识产权局",)]
    assert ("区科技局", "区发改委", "区工信局") in duties


def test_lead_and_partner_units():
    clauses = clauses_of("003_184da36d701c505f.txt")
    c = by_label_tail(clauses, "2.坚持即高新区")
    assert c.duties[0].lead == ("市委办", "市政办", "高新区管委会")
    assert c.duties[0].partners[:2] == ("市委组织部", "市行政审批局")  # "贵任单位" typo in the source
    c = by_label_tail(clauses, "3.容错纠错")
    assert c.duties[0].lead == ("市纪委监委",)


@pytest.mark.parametrize("text, lead, partners", [
    ("加强宣传（区税务局负责）。", (), ("区税务局",)),
    ("开展试点（市科技局牵头，市财政局、市教委配合）。", ("市科技局",), ("市财政局", "市教委")),
    ("推动发展（区工信局、区科技局）。", (), ("区工信局", "区科技局")),
    ("到2025年（2020-2022）达到目标。", None, None),
])
def test_extract_duties_forms(text, lead, partners):
    duties = extract_duties(text)
    if lead is None:
        assert duties == ()
    else:
        assert (duties[0].lead, duties[0].partners) == (lead, partners)


def test_cn_numerals():
    assert [cn_to_int(x) for x in ("一", "十", "十二", "二十三", "7", "③")] == [1, 10, 12, 23, 7, 3]
