"""What a question is doing, recognised by wording. Each pattern is defined only here."""

from __future__ import annotations

import re

from ..text.doc_types import DOC_TYPES
from ..text.names import alternation

# "由哪个部门负责", "谁负责", "牵头单位" …: answered from the extracted duties.
RESPONSIBILITY = re.compile(
    r"由(?:哪个|哪些|哪一?个?|什么)?(?:部门|单位|机构)|谁(?:来)?负责|哪个部门|哪些部门|牵头单位|责任单位|配合单位|负责部门|负责单位|由谁(?:来)?(?:负责|牵头|承担|落实|组织|推进)"
)
# The question asks for a figure.
ASKS_NUMBER = re.compile(r"多少|几[个家项所件人次亿万]?|比例|比重|占比|目标是|数量|金额|额度|标准|多久|多长时间")
# A follow-up that leans on the conversation ("那它由谁负责？").
FOLLOW_UP = re.compile(
    r"^(?:那|那么|它|其|该|这|此|上述|以上|还有|另外|同时)|(?:它|其|这项|这个|该项|该|上述|这些|那些)"
)
# A question this short is read as a follow-up too.
FOLLOW_UP_MAX_CHARS = 8


def asks_responsibility(question: str) -> bool:
    return bool(RESPONSIBILITY.search(question))


def asks_number(question: str) -> bool:
    return bool(ASKS_NUMBER.search(question))


def looks_like_follow_up(question: str) -> bool:
    return bool(FOLLOW_UP.search(question)) or len(question) <= FOLLOW_UP_MAX_CHARS


# What kind of figure a question asks for. The first kind that matches wins (an amount question often says 多少 too).
ASKS_AMOUNT = re.compile(
    r"多少钱|多少(?:资金|经费|奖金)|金额|额度|数额|(?:奖励|补贴|补助|奖补|资助|扶持|减免|给予?|拿到?|得到|发放?)(?:了)?多少"
    r"|多少(?:万元|亿元|元|万|亿)|(?:补贴|资助|奖补|奖励|补助|支持)(?:标准|怎么算|如何计算|是多少)|规模(?:有)?多大|规模是多少"
)
ASKS_SHARE = re.compile(r"比例|比率|比重|占比|强度|百分之|百分比|指数|增长率|增速")
ASKS_YEAR = re.compile(r"哪一?年|年份")
# "When": any date answers it, with or without a year ("2月17日", "3月底", "2025年").
ASKS_DATE = re.compile(r"什么时候|何时|什么时间|几月|哪一?天|哪一?日|截止|截至(?:何时|什么时候)|为止")
# "多少家/几个…": a count, with the unit asked for.
ASKS_COUNT = re.compile(r"(?:多少|几)\s*(人次|[家个所支项件名人场次批年])")
# A comparison across documents or sides ("分别是多少", "各有什么安排").
ASKS_COMPARISON = re.compile(r"分别|各有|各自|两者|二者|相比|比较|区别|异同|有何不同|有什么不同|都(?:出现|提到|提出)")
# A list ("有哪些", "哪几类").
ASKS_LIST = re.compile(r"哪些|哪几|哪[两二三四五六七八九十]+[个项类条方种大]")
# Nouns that only say "a figure" or "the document" and name no item ("奖金", "目标", "方案").
FIGURE_NOUNS = frozenset(
    "目标 指标 数量 数目 总数 人数 个数 比例 比率 比重 占比 金额 数额 额度 标准 资金 经费 奖金 奖励 补贴 资助 奖补 补助 规模 总量 "
    "钱 具体 多少 文件 政策 工作 方面 情况 内容 部门 单位 全国 行动 要求 问题 时候 时间 年份 方式 模式".split()
) | frozenset(DOC_TYPES)
# Question words: never an item or a name ("哪些项目" is not a project's name).
INTERROGATIVE = re.compile(r"哪|什么|多少|几|谁|怎|如何|是否|吗")


# Questions about a document itself (its issuer, number or date), answered from its facts (ingest/facts.py), not
# from a clause. Each needs a word of issuing or a document word, so "什么时候建成" stays a content question.
ISSUING = r"(?:印发|发布|发出|下发|出台|颁布|制定|制发|签发|公布|发文|成文|发的|出的)"
# A word for "the document": a document type (text/doc_types.py) or a general word for one.
DOCUMENT_WORD = rf"(?:{alternation(DOC_TYPES + ('文件', '政策', '这份', '该文', '本文'))})"
DOCUMENT_FACT = {
    "number": re.compile(r"文号|发文字号|字号是|第几号|文件编号|编号是多少"),
    "issuer": re.compile(
        rf"(?:哪个|哪些|哪一?家|什么|谁)(?:部门|单位|机关|机构|政府)?(?:联合)?{ISSUING}|"
        rf"{ISSUING}(?:单位|部门|机关|机构)|发文机关|由谁{ISSUING}|是谁{ISSUING}"
    ),
    "date": re.compile(
        rf"(?:什么时候|何时|哪天|哪一天|哪年|几月|日期|时间)[^，。？?]{{0,6}}{ISSUING}|"
        rf"{ISSUING}(?:日期|时间|于何时|的时间|的日期)|成文日期|{DOCUMENT_WORD}[^，。？?]{{0,12}}(?:什么时候|何时|哪天)"
        rf"[^，。？?]{{0,4}}(?:的|出来)"
    ),
}


def asks_document_fact(question: str) -> str | None:
    """ "issuer", "number" or "date" when the question asks that of a document, else None."""
    for name, pattern in DOCUMENT_FACT.items():
        if pattern.search(question):
            return name
    return None
