"""How the names of places and departments end: one vocabulary for the parser (duties), the question reader,
the corpus facts, the example questions and the claim checks."""

from __future__ import annotations

import re

from .dates import cn_date
from .sentences import SENTENCE_ENDS

# The endings of a place's name and the level each names, longer first where one ends another (自治区 before 区).
PLACE_LEVELS = (
    ("特别行政区", "省"),
    ("自治区", "省"),
    ("自治州", "市"),
    ("自治县", "区县"),
    ("地区", "市"),
    ("省", "省"),
    ("市", "市"),
    ("盟", "市"),
    ("县", "区县"),
    ("区", "区县"),
    ("旗", "区县"),
)
PLACE_ENDINGS = tuple(ending for ending, _ in PLACE_LEVELS)
# The one-character endings of most places asked about ("天津市", "静海区", "遵化县", "河北省"): a character class.
PLACE_SUFFIXES = "".join(e for e in PLACE_ENDINGS if e in "市区县省")
# Issuers above any place, and the level they name.
NATIONAL_LEVELS = (("国务院", "国家"), ("国家", "国家"), ("中华人民共和国", "国家"), ("部", "国家"))
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
# The endings that close an issuing organisation's name in a signature or a document's head (人民政府, 办公厅, 局…);
# ingest/organisations.ORG orders them longest first.
ISSUER_SUFFIXES = (
    "人民政府",
    "政府办公厅",
    "分行",
    "银行",
    "办公厅",
    "办公室",
    "委员会",
    "管委会",
    "管理委员会",
    "指挥部",
    "领导小组",
    "工作组",
    "税务局",
    "局",
    "厅",
    "委",
    "部",
    "署",
    "院",
    "总局",
    "中心",
    "政府",
    "联防联控机制",
)


def alternation(words) -> str:
    """A regex alternation of literal words, in the order given."""
    return "|".join(re.escape(w) for w in words)


# Departments named in collaboration wording ("经会同市教委、市场监管委研究", "由市科技局牵头", "联合印发"): answers
# "which departments" from the text where no duty was parsed.
_ENDINGS = alternation(DEPARTMENT_SUFFIXES)
COLLABORATION = re.compile(
    rf"(?:会同|联合|牵头|配合|协同|协调|由)[^{SENTENCE_ENDS}]{{0,40}}?(?:{_ENDINGS}|部门)"
    rf"|(?:{_ENDINGS}|部门)[^{SENTENCE_ENDS}]{{0,20}}?(?:联合|会同|牵头|负责|印发)"
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
