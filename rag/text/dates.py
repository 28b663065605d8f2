"""Dates: the one home for how a date is written (「2021年9月8日」, 「2021-09-08」, 「2月17日」) and for reading one
as a day of the calendar. Every date pattern elsewhere is built here, by `cn_date` or `iso_date`, with the digits
and spacing its place needs."""

from __future__ import annotations

import datetime
import re

from .masks import MASKED

# A digit as documents write it in dates and document numbers: Arabic (half or full width), Chinese, or masked.
WRITTEN_DIGIT = r"[0-9０-９〇零一二三四五六七八九*＊]"


def cn_date(digit: str = r"\d", space: str = r"\s*", capture: bool = True) -> str:
    """The pattern of a 年月日 date: `digit` is what a digit may be, `space` what may stand around 年, 月 and 日;
    with `capture`, year, month and day are groups 1–3."""
    year, month, day = (f"({digit}{{{n}}})" if capture else f"{digit}{{{n}}}" for n in ("4", "1,2", "1,2"))
    return f"{year}{space}年{space}{month}{space}月{space}{day}{space}日"


def iso_date(sep: str = r"[-/.]", capture: bool = True) -> str:
    """The pattern of a numeric date (2021-09-08, 2021/9/8); with `capture`, year, month and day are groups 1–3."""
    year, month, day = (rf"(\d{{{n}}})" if capture else rf"\d{{{n}}}" for n in ("4", "1,2", "1,2"))
    return f"{year}{sep}{month}{sep}{day}"


CN_DATE = re.compile(cn_date())  # 2021年9月8日
WRITTEN_CN_DATE = re.compile(cn_date(WRITTEN_DIGIT))  # 二〇二一年九月八日, 2021年＊月＊日
ISO_DATE = re.compile(iso_date())  # 2021-09-08, 2021/9/8
# A year: "2025年", "2018 年", "****年" (masked).
YEAR = re.compile(rf"(?<!\d)(\d{{4}}|{MASKED}{{4}})\s*年")
_DAY_FORMS = (CN_DATE, ISO_DATE)
# A date without a year: "2月17日", "3月底", "上旬".
PARTIAL_DATE = re.compile(
    rf"(?:\d{{1,2}}|{MASKED}{{1,2}})\s*月(?:\s*(?:\d{{1,2}}|{MASKED}{{1,2}})\s*[日号])?|[上中下]旬|月底|月初|年底|年初"
)


def _calendar(m: re.Match) -> str | None:
    try:
        return datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:  # 2020-13-45 is no day
        return None


def fact_date(value: str | None) -> str | None:
    """A stated date as YYYY-MM-DD, or None (absent, masked, or not a day of the calendar)."""
    for form in _DAY_FORMS:
        m = form.search(value or "")
        if m:
            return _calendar(m)
    return None


def typed_date(raw: str) -> str | None:
    """A date a user typed (the whole input: 2021-09-08, 2021/9/8, 2021年9月8日) as YYYY-MM-DD, or None."""
    for form in _DAY_FORMS:
        m = form.fullmatch(raw.strip())
        if m:
            return _calendar(m)
    return None
