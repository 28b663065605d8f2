"""Figures as policy text states them: amounts of money, shares, counts with their unit, years and the
administrative level (国家级/省级/市级…) a figure applies to. Each pattern is defined only here."""

from __future__ import annotations

import re

from .dates import PARTIAL_DATE, YEAR
from .masks import MASKED
from .normalize import for_search
from .numerals import CN_COUNT_CHARS

# A figure: digits (with a decimal part or a range such as 3-5 / 1-2), or a masked figure ("***").
_FIGURE = rf"(?:\d+(?:\.\d+)?(?:\s*[-—~至]\s*\d+(?:\.\d+)?)?|{MASKED}+)"
# Money: "50万元", "39.65 亿元", "2000元", "****億元" (after simplification: 亿).
MONEY = re.compile(rf"{_FIGURE}\s*(?:万|亿)?元")
# A share: "3.2%", "15.7%", "1‰", "**%".
SHARE = re.compile(rf"{_FIGURE}\s*[%‰]")
# Counted things, grouped by units that answer the same "多少X" question.
COUNT_UNITS: dict[str, str] = {
    "家": "家个所支",
    "个": "个家所支项",
    "所": "所家个",
    "支": "支个家",
    "项": "项件个",
    "件": "件项",
    "名": "名人",
    "人": "人名",
    "人次": "人次人",
    "场": "场次",
    "次": "次场",
    "批": "批",
    "年": "年",
}
_ANY_UNIT = "家个所支项件名人场次批"
# A count in Chinese numerals ("三个", "两项", "十余家"): a figure too, when a count unit follows it.
_CN_COUNT = rf"[{CN_COUNT_CHARS}]+(?:余|多)?"
# A digit count may carry a magnitude and an "about" ("1万家", "3000余家", "5千多个").
_DIGIT_COUNT = rf"{_FIGURE}\s*[十百千万亿]?(?:余|多)?"
# A duration or a small count of years ("3年", not "2025年").
_FEW_YEARS = re.compile(r"(?<!\d)\d{1,2}\s*年")
# A quantity with its unit, as stated: "50万元", "15.7%", "260 家", "3000人次".
QUANTITY = re.compile(rf"{_FIGURE}\s*(?:万元|亿元|元|%|‰|人次|[{_ANY_UNIT}])")

# Administrative levels as a question names them, and the forms that state each level in policy text
# ("省科技型中小企业" is a provincial designation; "省外" is not a level).
LEVEL_WORDS = ("国家级", "省级", "市级", "区级", "县级")
LEVEL_FORMS: dict[str, re.Pattern[str]] = {
    "国家级": re.compile(r"国家级|国家(?=[\u4e00-\u9fff])(?!级)"),
    "省级": re.compile(r"省级|省(?![外内级委人市])"),
    "市级": re.compile(r"市级"),
    "区级": re.compile(r"区级"),
    "县级": re.compile(r"县级"),
}
_LEVEL_IN_QUESTION = re.compile("|".join(LEVEL_WORDS))


# Any figure at all: a digit or a masked figure ("**").
_ANY_FIGURE = re.compile(rf"\d|{MASKED}{{2,}}")


def has_any_figure(text: str) -> bool:
    return bool(_ANY_FIGURE.search(for_search(text)))


def has_money(text: str) -> bool:
    return bool(MONEY.search(for_search(text)))


def has_share(text: str) -> bool:
    return bool(SHARE.search(for_search(text)))


def has_count(text: str, unit: str = "") -> bool:
    """A counted figure in the text, in the asked unit's group (any count unit when none was asked)."""
    text = for_search(text)
    if unit == "年":
        return bool(_FEW_YEARS.search(text))
    units = COUNT_UNITS.get(unit, _ANY_UNIT)
    return bool(
        re.search(rf"(?:{_DIGIT_COUNT}|{_CN_COUNT})\s*(?:以上|左右)?\s*[{units}](?!性)", text)
    )  # 一次性 is no count


def has_date(text: str) -> bool:
    return bool(PARTIAL_DATE.search(for_search(text)))


def has_year(text: str) -> bool:
    return bool(YEAR.search(for_search(text)))


def mentions_year(text: str, year: str) -> bool:
    """The text names this year anywhere ("2020-2022" names 2020)."""
    return bool(re.search(rf"(?<!\d){re.escape(year)}(?!\d)", for_search(text)))


def years_in(text: str) -> list[str]:
    """The years a text names ("2025"), masked years included as "****", in order, without repeats."""
    return list(dict.fromkeys(m.group(1) for m in YEAR.finditer(for_search(text))))


def levels_asked(question: str) -> list[str]:
    """The administrative levels a question names (国家级, 省级 …)."""
    return list(dict.fromkeys(_LEVEL_IN_QUESTION.findall(for_search(question))))


def states_level(text: str, level: str) -> bool:
    """The text states a figure or rule at this level ("省博士后创新实践基地" states 省级)."""
    return bool(LEVEL_FORMS[level].search(for_search(text)))


def levels_stated(text: str) -> list[str]:
    return [level for level in LEVEL_WORDS if states_level(text, level)]


def quantities(text: str) -> set[str]:
    """Every figure with its unit, spaces removed ("39.65亿元", "260家")."""
    return {re.sub(r"\s+", "", m.group(0)) for m in QUANTITY.finditer(for_search(text))}
