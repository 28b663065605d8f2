"""Organisation names in 公文: the endings that close a name (人民政府, 办公厅, 局…), the issuer's name in a
signature (one broken over two chunks, co-signers), and the region and level a name states (天津市 → 市).
"""

from __future__ import annotations

import re

from ..text.names import ISSUER_SUFFIXES, NATIONAL_LEVELS, PLACE_ENDINGS, PLACE_LEVELS, alternation

ORG = "|".join(sorted(map(re.escape, ISSUER_SUFFIXES), key=len, reverse=True))
PLACE = re.compile(rf"^(?:中共)?(.{{1,12}}?(?:{alternation(PLACE_ENDINGS)}))")
LEVELS = NATIONAL_LEVELS + PLACE_LEVELS


def org_at_end(segment: str) -> tuple[int, int] | None:
    """The organisation name that ends `segment` (a signature), as (start, end) within it."""
    segment = segment.rstrip()
    m = re.search(rf"([\u4e00-\u9fff（）()]{{2,40}}?(?:{ORG}))$", segment)
    if not m:
        return None
    # A signature is its own line or chunk: cut at the last separator before the name.
    start = max(segment.rfind(sep, 0, m.end()) for sep in (" ", "\u3000", "。", "\n", "，", ",", "；", ":", "：")) + 1
    name = segment[start : m.end()].strip()
    if len(name) < 2 or len(name) > 40:
        return None
    return m.end() - len(name), m.end()


def joined_signature(before: str, org: tuple[int, int]) -> tuple[int, int]:
    """A signature broken over two chunks ("…肺炎疫情 防控工作领导小组指挥部") is one name: take the chunk before
    when it has no punctuation and the whole stays a name's length."""
    start = org[0]
    while True:  # co-signers ("税务总局 财政部", "财政部\u2002税务总局"): each a whole name before the next
        head = re.sub(r"[\s\u3000]+$", "", before[:start])
        m = re.search(rf"(?:^|(?<=[\s\u3000;]))([\u4e00-\u9fff]{{2,20}}(?:{ORG}))$", head)
        if not m or org[1] - m.start(1) > 60:
            break
        start = m.start(1)
    if start != org[0]:
        return start, org[1]
    head = before[: org[0]].rstrip(" \u3000\n")
    m = re.search(r"([\u4e00-\u9fff]{2,30})$", head)
    if (
        m
        and org[1] - m.start(1) <= 40
        and not re.search(rf"(?:{ORG})$", m.group(1))
        and re.search(rf"(?:{alternation(PLACE_ENDINGS)}|国家|中共)", m.group(1)[:12])
    ):
        return m.start(1), org[1]
    return org


def region_level(issuer: str) -> tuple[str, str]:
    issuer = re.sub(r"^(?:国家税务总局|中国人民银行|中共)", "", issuer) or issuer  # vertical offices: the place follows
    m = PLACE.match(issuer)
    region = m.group(1) if m else ""
    level = ""
    for marker, name in LEVELS:
        if region.endswith(marker) or (not region and issuer.startswith(marker)):
            level = name
            break
    if not region and issuer.startswith(("国务院", "国家", "中华人民共和国")):
        level = "国家"
    return region, level
