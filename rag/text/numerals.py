"""Chinese numerals as numbers: the one home for reading 「十二」「两」「一百零五」 (heading ordinals, 「有效期两年」)."""

from __future__ import annotations

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_ORDINAL_DIGITS = "一二三四五六七八九十"  # a small ordinal: 「一是」「（三）」「五、」, list and heading numbering
CN_NUMERAL_CHARS = CN_ORDINAL_DIGITS + "百零〇"  # what a heading ordinal may be written with
CN_COUNT_CHARS = CN_NUMERAL_CHARS + "两"  # what a count may be written with (「两项」, not a heading ordinal)
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def cn_to_int(text: str) -> int:
    """Chinese, circled or Arabic numeral to int ("十二" -> 12, "②" -> 2, "3" -> 3); 0 when it is none."""
    if text in CIRCLED:
        return CIRCLED.index(text) + 1
    if text.isascii() and text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            current = CN_DIGITS.get(ch, 0)
    return total + current


def chinese_count(text: str) -> int | None:
    """A count written in Arabic or Chinese numerals ("3", "三", "两", "十二"), or None when it is not one."""
    value = cn_to_int(text.strip())
    return value or None
