"""How the names of places and departments end: one vocabulary for the parser (duties), the question reader,
the corpus facts, the example questions and the claim checks."""

from __future__ import annotations

import re

from .dates import cn_date

# The administrative units a place name ends with ("天津市", "静海区", "遵化县", "河北省").
PLACE_SUFFIXES = "市区县省"
# Endings of a unit's name that can be responsible for a task ("市科技局", "区委组织部", "高新区管委会" …).
DEPARTMENT_SUFFIXES = (
    "局",
    "委",
    "办",
    "部",
    "院",
    "会",
    "府",
    "中心",
    "厅",
    "室",
    "处",
    "所",
    "公司",
    "政府",
    "单位",
    "银行",
    "集团",
    "办公室",
    "委员会",
    "管委会",
    "小组",
    "法院",
    "检察院",
    "科协",
    "工会",
    "团委",
    "妇联",
)
# The endings an answer's department name is checked by: government departments proper. The longer list would
# read "…会同", "…中心城区" in an answer sentence as names.
GOVERNMENT_DEPARTMENT_SUFFIXES = ("局", "委", "办", "部", "管委会")


def alternation(words) -> str:
    """A regex alternation of literal words, in the order given."""
    return "|".join(re.escape(w) for w in words)


# Departments named in collaboration wording ("经会同市教委、市场监管委研究", "由市科技局牵头", "联合印发"): answers
# "which departments" from the text where no duty was parsed.
_ENDINGS = alternation(DEPARTMENT_SUFFIXES)
COLLABORATION = re.compile(
    rf"(?:会同|联合|牵头|配合|协同|协调|由)[^。；;！？]{{0,40}}?(?:{_ENDINGS}|部门)"
    rf"|(?:{_ENDINGS}|部门)[^。；;！？]{{0,20}}?(?:联合|会同|牵头|负责|印发)"
)


# A joint document's signature block: two or more unit names side by side, then the date ("中国人民银行 财政部
# 银保监会 证监会 国家外汇管理局 2020年1月31日").
SIGNATURES = re.compile(
    rf"(?:^|[\s。])(?:[\u4e00-\u9fff（）()]{{2,20}}?(?:{_ENDINGS})[\s、，,]+){{1,}}"
    rf"[\u4e00-\u9fff（）()]{{2,20}}?(?:{_ENDINGS})\s*{cn_date(capture=False)}"
)


def names_departments(text: str) -> bool:
    """The text names departments in collaboration or responsibility wording, or signs as several units."""
    return bool(COLLABORATION.search(text) or SIGNATURES.search(text))
