"""What a question asks for (an amount, a share, a count, a year, departments, a list …) and under which
constraints (year, place, administrative level, the item named), read from its wording."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from ..text import quantities as q
from ..text.dates import YEAR as WRITTEN_YEAR
from ..text.masks import is_masked
from ..text.names import PLACE_SUFFIXES
from ..text.normalize import for_search
from ..text.tokens import tagged
from .intents import (
    ASKS_AMOUNT,
    ASKS_COMPARISON,
    ASKS_COUNT,
    ASKS_DATE,
    ASKS_LIST,
    ASKS_SHARE,
    ASKS_YEAR,
    FIGURE_NOUNS,
    INTERROGATIVE,
    asks_number,
    asks_responsibility,
)

# Figure kinds, most specific first.
AMOUNT, SHARE, YEAR, DATE, COUNT, NUMBER = "amount", "share", "year", "date", "count", "number"
KIND_WORDS = {AMOUNT: "金额", SHARE: "比例", YEAR: "年份", DATE: "日期", COUNT: "数量", NUMBER: "数字"}
# Word classes (jieba POS) that name an item: nouns, noun-verbs, abbreviations ("中小企业" is j), place words ("省外" is s).
_ITEM_FLAGS = ("n", "vn", "j", "nz", "nt", "nl", "ng", "s")
_QUOTED = re.compile(r"[“\"「『](.+?)[”\"」』]")


@dataclass(frozen=True)
class Ask:
    """The asked-for thing and its constraints."""

    kind: str = ""  # one of the figure kinds, or "" when no figure is asked for
    unit: str = ""  # for counts: the unit asked for ("家")
    years: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    nouns: tuple[str, ...] = ()  # item words of the question
    quoted: tuple[str, ...] = ()  # words the question puts in quotation marks (often figurative: “飞地”)
    figures: tuple[str, ...] = ()  # figures the question itself states ("3.2%"): the answer must hold them
    item: str = ""  # the question without places, years, levels, figure and question words: what it is about
    responsibility: bool = False
    comparison: bool = False
    listing: bool = False

    @property
    def wants_figure(self) -> bool:
        return bool(self.kind)

    @property
    def kind_word(self) -> str:
        return KIND_WORDS.get(self.kind, "")


def figure_kind(question: str) -> tuple[str, str]:
    """(kind, count unit) of the figure a question asks for; ("", "") when it asks for none."""
    text = for_search(question)
    if ASKS_AMOUNT.search(text):
        return AMOUNT, ""
    if ASKS_SHARE.search(text):
        return SHARE, ""
    if ASKS_YEAR.search(text):
        return YEAR, ""
    if ASKS_DATE.search(text):
        return DATE, ""
    m = ASKS_COUNT.search(text)
    if m:
        return COUNT, m.group(1)
    if asks_number(text):
        return NUMBER, ""
    return "", ""


def has_figure(kind: str, unit: str, text: str) -> bool:
    """The text states (or masks) a figure of the asked kind."""
    if kind == AMOUNT:
        return q.has_money(text) or q.has_share(text)  # "设备投资额30%、最高1000万元"
    if kind == SHARE:
        return q.has_share(text)
    if kind == YEAR:
        return q.has_year(text)
    if kind == DATE:
        return q.has_year(text) or q.has_date(text)
    if kind == COUNT:
        return q.has_count(text, unit)
    if kind == NUMBER:
        return q.has_any_figure(text)
    return True


@lru_cache(maxsize=512)
def _item_words(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(word for word, flag in tagged(text) if flag.startswith(_ITEM_FLAGS) and len(word) >= 2))


def read_ask(question: str, jurisdictions: Iterable[str] = ()) -> Ask:
    """The Ask of a question; `jurisdictions` are the place names the documents are about ("天津", "唐山")."""
    text = for_search(question)
    kind, unit = figure_kind(text)
    figures = tuple(f for f in q.quantities(text) if not f.endswith("年"))
    if figures and not kind:
        kind = NUMBER
    places = tuple(p for p in jurisdictions if p in text)
    levels = tuple(q.levels_asked(text))
    years = tuple(y for y in q.years_in(text) if not is_masked(y))
    skip = set(FIGURE_NOUNS) | set(levels) | set(answer_type_words(text))
    unplaced = re.sub("|".join(f"{p}[{PLACE_SUFFIXES}]?" for p in places), "，", text) if places else text
    nouns = tuple(w for w in _item_words(unplaced) if w not in skip and not re.search(r"\d", w))
    return Ask(
        kind,
        unit,
        years,
        levels,
        places,
        nouns,
        tuple(_QUOTED.findall(text)),
        figures,
        _item_text(unplaced, levels),
        asks_responsibility(text),
        bool(ASKS_COMPARISON.search(text)),
        bool(ASKS_LIST.search(text)),
    )


# The noun a question word governs names the kind of answer, not an item the clause must repeat: 「热线是多少」 is
# answered by a number, 「哪几个地点」 by the places themselves.
_BEFORE_ASKING = re.compile(r"([\u4e00-\u9fff]{2,4}?)(?:是|为|有)?(?:多少|几[个家项所件名人次]?)")
_AFTER_ASKING = re.compile(r"(?:哪(?:几|些|一)?|什么|几)[个家项所件名类种条批]?([\u4e00-\u9fff]{2,4})")


def answer_type_words(question: str) -> list[str]:
    """Words of the question that name the kind of answer asked for (the nouns its question words govern)."""
    text = for_search(question)
    before = [tagged(m.group(1))[-1][0] for m in _BEFORE_ASKING.finditer(text)]  # the word just before 多少
    after = [tagged(m.group(1))[0][0] for m in _AFTER_ASKING.finditer(text)]  # the word just after 哪些/什么
    return [w for w in before + after if len(w) >= 2]


def _item_text(text: str, levels: tuple[str, ...]) -> str:
    """The question minus figure words, question words, years and levels."""
    for pattern in (ASKS_AMOUNT, ASKS_SHARE, ASKS_YEAR, ASKS_DATE, ASKS_COUNT, INTERROGATIVE, WRITTEN_YEAR):
        text = pattern.sub("，", text)
    for word in levels:
        text = text.replace(word, "，")
    return text
