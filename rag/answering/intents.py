"""What a question (or a model's reply) is doing, recognised by wording. Each pattern is defined only here."""
from __future__ import annotations

import re

# "由哪个部门负责", "谁负责", "牵头单位" …: answered from the extracted duties.
RESPONSIBILITY = re.compile(
    r"由(?:哪个|哪些|哪一?个?|什么)?(?:部门|单位|机构)|谁(?:来)?负责|哪个部门|哪些部门|牵头单位|责任单位|配合单位|负责部门|负责单位|由谁")
# The question asks for a figure.
ASKS_NUMBER = re.compile(r"多少|几[个家项所件人次亿万]?|比例|比重|占比|目标是|数量|金额|额度|标准")
# The model says the clauses do not answer.
MODEL_REFUSAL = re.compile(r"无法回答|不能回答|没有(?:提及|提到|涉及|相关)|未(?:提及|提到|涉及|说明)|无相关")
# A follow-up that leans on the conversation ("那它由谁负责？").
FOLLOW_UP = re.compile(r"^(?:那|那么|它|其|该|这|此|上述|以上|还有|另外|同时)|(?:它|其|这项|这个|该项|该|上述|这些|那些)")
# A question this short is read as a follow-up too.
FOLLOW_UP_MAX_CHARS = 8


def asks_responsibility(question: str) -> bool:
    return bool(RESPONSIBILITY.search(question))


def asks_number(question: str) -> bool:
    return bool(ASKS_NUMBER.search(question))


def is_model_refusal(text: str) -> bool:
    return bool(MODEL_REFUSAL.search(text))


def looks_like_follow_up(question: str) -> bool:
    return bool(FOLLOW_UP.search(question)) or len(question) <= FOLLOW_UP_MAX_CHARS
