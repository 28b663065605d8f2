"""Is a document still in force? Read across the documents of a folder, from what they say:

- a document that abolishes another (「《…》（…号）同时废止」「…停止执行」「…不再执行」) marks the one it names, found
  by its title or its number, as abolished, with the sentence as evidence;
- two versions of one document (the same title or the same number, both dated) leave the older one superseded by
  the newer;
- a document that states its own validity (「有效期…年」 from its date, 「有效期至…」) is expired once that date has
  passed.

Nothing is inferred beyond these statements: a document no other one names stays in force.
"""
from __future__ import annotations

import re
from datetime import date

from ..text.normalize import to_simplified
from ..types import DocumentFacts, Fact, fact_date

ABOLISH = re.compile(r"[^。；;\n]*?(?:同时废止|予以废止|即行废止|停止执行|不再执行|同时失效)[^。；;\n]*")
QUOTED_TITLE = re.compile(r"《([^《》]{4,80})》")
NUMBER_REF = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[［【（(﹝]\s*\d{4}\s*[〕\]］】）)﹞]\s*\d{1,5}\s*号")
VALID_YEARS = re.compile(r"有效期(?:为)?([一二三四五六七八九十两\d]{1,3})年")
VALID_UNTIL = re.compile(r"有效期(?:至|到)(\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{1,2}-\d{1,2})")
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def _key(title: str) -> str:
    return re.sub(r"[\s《》“”\"'（）()]", "", to_simplified(title))


def _years(raw: str) -> int:
    return int(raw) if raw.isdigit() else sum(_CN_DIGITS.get(ch, 0) for ch in raw) or 0


def expiry(facts: DocumentFacts, text: str) -> str | None:
    """The date (YYYY-MM-DD) the document says it stops applying, if it says so."""
    until = VALID_UNTIL.search(text)
    if until:
        return fact_date(until.group(1))
    years = VALID_YEARS.search(text)
    day = _date_of(facts)
    if years and day:
        y, m, d = (int(x) for x in day.split("-"))
        return f"{y + _years(years.group(1)):04d}-{m:02d}-{d:02d}"
    return None


def in_force(documents: dict[str, tuple[DocumentFacts, str]], today: date | None = None) -> dict[str, Fact]:
    """name -> a `superseded` fact (its value says by what, or until when) for every document no longer in force.
    `documents`: name -> (facts, original text)."""
    today_iso = (today or date.today()).isoformat()
    by_title = {_key(f.title.value): name for name, (f, _) in documents.items() if f.title is not None}
    by_number = {_key(f.number.value): name for name, (f, _) in documents.items()
                 if f.number is not None and not f.number.masked}
    out: dict[str, Fact] = {}
    for name, (facts, text) in documents.items():
        for sentence in ABOLISH.finditer(text):
            named = [by_title.get(_key(t)) for t in QUOTED_TITLE.findall(sentence.group(0))]
            named += [by_number.get(_key(n)) for n in NUMBER_REF.findall(sentence.group(0))]
            title = facts.title.value if facts.title is not None else name
            for target in {t for t in named if t and t != name}:
                out[target] = Fact(f"已由《{title}》废止：“{sentence.group(0).strip()[:120]}”", how="stated")
    # Versions: the same title or number, the older (by stated date) superseded by the newer.
    groups: dict[str, list[str]] = {}
    for name, (facts, _) in documents.items():
        for key in {_key(facts.title.value) if facts.title is not None else "",
                    _key(facts.number.value) if facts.number is not None and not facts.number.masked else ""} - {""}:
            groups.setdefault(key, []).append(name)
    for names in groups.values():
        dated = sorted((d, n) for n in names if (d := _date_of(documents[n][0])))
        if len(dated) < 2:
            continue
        newest_date, newest = dated[-1]
        for day, name in dated[:-1]:
            if day < newest_date and name not in out:
                title = documents[newest][0].title.value if documents[newest][0].title else newest
                out[name] = Fact(f"已被较新版本《{title}》（{newest_date}）替代", how="inferred")
    for name, (facts, text) in documents.items():
        ends = expiry(facts, text)
        if ends and ends < today_iso and name not in out:
            out[name] = Fact(f"已过有效期（至{ends}）", how="stated")
    return out


def _date_of(facts: DocumentFacts) -> str | None:
    day = facts.issue_date()
    return fact_date(day.value) if day is not None and not day.masked else None
