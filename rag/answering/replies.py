"""What a model's reply is doing, recognised by wording."""

from __future__ import annotations

import re

# The model says the clauses do not answer.
MODEL_REFUSAL = re.compile(r"无法回答|不能回答|没有(?:提及|提到|涉及|相关)|未(?:提及|提到|涉及|说明)|无相关")


def is_model_refusal(text: str) -> bool:
    return bool(MODEL_REFUSAL.search(text))


# What marks the clause's own words shown after a model's answer.
SOURCE_LABEL = "原文："
