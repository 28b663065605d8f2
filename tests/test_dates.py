"""Dates have one home (rag/text/dates.py): every date pattern is built there, and a date is read as a day of the
calendar only when it is one."""
from __future__ import annotations

import re

import pytest

from rag.text.dates import CN_DATE, ISO_DATE, PARTIAL_DATE, WRITTEN_CN_DATE, cn_date, fact_date, iso_date, typed_date


@pytest.mark.parametrize(
    "value, day",
    [
        ("2021年9月8日", "2021-09-08"),
        ("2021 年 9 月 8 日印发", "2021-09-08"),
        ("成文日期：2020-02-29", "2020-02-29"),
        ("2021/9/8", "2021-09-08"),
        ("2021年2月30日", None),  # no such day
        ("2021年＊月＊日", None),  # masked
        ("", None),
        (None, None),
    ],
)
def test_a_stated_date_is_a_day_of_the_calendar_or_none(value, day):
    assert fact_date(value) == day


def test_a_typed_date_is_the_whole_input():
    assert typed_date(" 2021/9/8 ") == "2021-09-08"
    assert typed_date("2021年9月8日") == "2021-09-08"
    assert typed_date("2021-09-08以后") is None and typed_date("2021-13-01") is None


def test_written_dates_take_chinese_and_full_width_digits():
    m = WRITTEN_CN_DATE.search("二〇二〇年三月五日")
    assert m and m.groups() == ("二〇二〇", "三", "五")
    assert WRITTEN_CN_DATE.search("２０２０年３月５日") and not CN_DATE.search("二〇二〇年三月五日")


def test_the_builders_set_digits_spacing_and_groups():
    assert re.fullmatch(cn_date(space=""), "2020年3月5日") and not re.fullmatch(cn_date(space=""), "2020 年3月5日")
    assert re.compile(cn_date(capture=False)).groups == 0 and re.compile(cn_date()).groups == 3
    assert re.fullmatch(iso_date("-"), "2020-3-5") and not re.fullmatch(iso_date("-"), "2020/3/5")
    assert ISO_DATE.fullmatch("2020.3.5")


@pytest.mark.parametrize("text, found", [("2月17日前", True), ("3月底", True), ("上旬", True), ("第3条", False)])
def test_a_date_without_a_year(text, found):
    assert bool(PARTIAL_DATE.search(text)) is found
