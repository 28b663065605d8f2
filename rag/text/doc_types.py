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
