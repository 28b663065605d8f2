"""Example questions for the page, written from the indexed clauses' headings."""

from __future__ import annotations

import re

from ..indexing.store import StoredClause
from ..ingest.headings import strip_marker
from ..text.doc_types import TITLE_TYPE
from ..text.names import PLACE_SUFFIXES
from ..text.normalize import for_search

_GENERIC_HEADINGS = frozenset(
    "指导思想 基本原则 总体目标 主要目标 工作目标 总体要求 思路目标 保障措施 组织实施".split()
)
_PLACE = re.compile(rf"^(?:对.*?代表.*)?([\u4e00-\u9fff]{{2,4}}?[{PLACE_SUFFIXES}])")


def _place(title: str) -> str:
    m = _PLACE.match(for_search(title))
    return m.group(1) if m else ""


def example_questions(clauses: list[StoredClause], n: int = 4) -> list[str]:
    """One question per document: one about responsibility, the others about a clause's measures."""
    out: list[str] = []
    seen_docs: set[str] = set()
    for sc in clauses:
        c = sc.clause
        if c.doc in seen_docs or c.path in (("前言",), ("落款",)) or len(c.path) < 2:
            continue
        heading = for_search(strip_marker(c.path[-1]))
        if not 4 <= len(heading) <= 20 or heading in _GENERIC_HEADINGS:
            continue
        kind = TITLE_TYPE.search(for_search(c.title))
        place = _place(c.title) or (kind.group(1) + "中" if kind else "")
        if c.duties and not any("负责" in q for q in out):
            out.append(f"{place}“{heading}”这项工作由哪些部门负责？")
        else:
            out.append(f"{place}“{heading}”有哪些具体举措？")
        seen_docs.add(c.doc)
        if len(out) >= n:
            break
    return out
