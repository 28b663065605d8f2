"""Document types (文种): the one vocabulary of what a 公文 calls itself, read by the facts (a title's ending),
offered by the page's type filter and used to word its example questions."""

from __future__ import annotations

import re

# Longer names first where one ends another (实施方案 before 方案), so the first name a title ends with is its own.
DOC_TYPES = (
    "实施细则",
    "实施方案",
    "工作方案",
    "行动方案",
    "行动计划",
    "通知",
    "方案",
    "意见",
    "答复",
    "办法",
    "规定",
    "决定",
    "公告",
    "通告",
    "通报",
    "批复",
    "函",
    "报告",
    "细则",
    "规划",
    "计划",
    "纲要",
    "指南",
    "措施",
    "条例",
    "意见书",
    "须知",
)
# The document kind each type name belongs to (a 工作方案 is a 方案).
TYPE_KIND = {
    "实施细则": "细则",
    "实施方案": "方案",
    "工作方案": "方案",
    "行动方案": "方案",
    "行动计划": "计划",
    "意见书": "意见",
}
# The kinds a document type is reported as (the page's type filter offers these).
DOC_KINDS = tuple(dict.fromkeys(TYPE_KIND.get(t, t) for t in DOC_TYPES))
# A title's document type: the type name it ends with.
TITLE_TYPE = re.compile(rf"({'|'.join(sorted(DOC_TYPES, key=len, reverse=True))})$")


def doc_number(digit: str = r"\d") -> str:
    """The shape of a document number (发文字号): an issuer's short name, the year in brackets, the serial number
    and 号 (「津政发〔2020〕3号」「国办发[2020] 6号」「津政發〔2020〕3號」), spaces of a flattened copy bounded.
    `digit`: which digits count (Arabic by default; the facts also read written and masked ones)."""
    return (
        rf"[\u4e00-\u9fff]{{1,10}}\s{{0,3}}[〔\[［【（(﹝]\s{{0,3}}{digit}{{4}}\s{{0,3}}[〕\]］】）)﹞]"
        rf"\s{{0,3}}{digit}{{1,5}}\s{{0,3}}[号號]"
    )
