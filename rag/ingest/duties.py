"""Pull responsible departments out of clause text as data.

Handles "（市科技局、市教委按职责分工负责）", "（区税务局负责）", "（区工信局、区科技局）",
"（市科技局牵头，市财政局配合）" and "牵头单位：… 责任单位/配合单位：…". Names are returned in
simplified Chinese so they match what users type.
"""

from __future__ import annotations

import re

from ..text.names import DEPARTMENT_SUFFIXES, alternation
from ..text.normalize import for_search
from ..text.numerals import CN_ORDINAL_DIGITS
from ..text.sentences import SENTENCE_ENDS
from ..types import Duty
from .noise import with_misreadings

_DEPT_SUFFIX = re.compile(f"(?:{alternation(DEPARTMENT_SUFFIXES)})$")
_PAREN = re.compile(r"[（(]([^（）()]{2,160})[）)]")
_RESPONSIBLE_TAIL = re.compile(r"(?:按职责分工|按照职责分工|按职责|分别|共同|按分工)?(?:负责|落实)$")
# A duty's task is the sentence (or line) it is attached to.
_TASK_BOUNDARY = SENTENCE_ENDS + "\n"
_SPLIT = re.compile(r"[、，,；;/]|\s+")
_LEAD_BLOCK = re.compile(
    r"牵头(?:单位|部门)\s*[:：]\s*(?P<lead>.+?)\s*"
    r"(?:(?:" + with_misreadings("责任") + r"|配合|参与|协办)(?:单位|部门)\s*[:：]\s*(?P<partners>.+?))?"
    r"(?=牵头(?:单位|部门)\s*[:：]|["
    + _TASK_BOUNDARY
    + r"]|\s*\d+\s?[.．]\s*[\u4e00-\u9fff]|[（(]["
    + CN_ORDINAL_DIGITS
    + "]+[）)]|["
    + CN_ORDINAL_DIGITS
    + "]+、|$)"
)


def _names(text: str) -> tuple[str, ...]:
    items = [re.sub(r"^(?:和|及|以及)", "", s.strip(" .．:：")) for s in _SPLIT.split(text)]
    return tuple(s for s in items if 2 <= len(s) <= 30)


def _looks_like_departments(names: tuple[str, ...]) -> bool:
    return bool(names) and all(_DEPT_SUFFIX.search(n) for n in names)


def _task_before(text: str, pos: int) -> str:
    """The sentence an assignment belongs to: the text before it, or the previous sentence when
    the assignment follows a full stop ("…升级焕新。(市工信局负责)")."""
    end = pos
    while end > 0 and text[end - 1] in _TASK_BOUNDARY + " ":
        end -= 1
    start = max(text.rfind(ch, 0, end) for ch in _TASK_BOUNDARY)
    task = text[start + 1 : end].strip()
    task = re.sub(r"^.*?(?:[:：]|单位)(?=[^:：]*$)", "", task) if "单位" in task[:12] else task
    task = re.sub(r"^[\d*]+\s?[.．、,，]\s*", "", task)
    if len(task) > 60:  # keep the trailing phrases the assignment is attached to
        kept = ""
        for phrase in reversed(re.split(r"(?<=[,，])", task)):
            if kept and len(kept) + len(phrase) > 60:
                break
            kept = phrase + kept
        task = kept[-60:]
    return task


def _from_parentheses(text: str) -> list[Duty]:
    duties: list[Duty] = []
    for m in _PAREN.finditer(text):
        inner = m.group(1).strip()
        if "牵头" in inner:
            lead_part, _, rest = inner.partition("牵头")
            rest = re.sub(r"^[，,、]?", "", rest)
            rest = re.sub(r"(?:配合|参与|负责|按职责分工负责)$", "", rest)
            lead, partners = _names(lead_part), _names(rest)
            if _looks_like_departments(lead):
                duties.append(
                    Duty(lead, partners if _looks_like_departments(partners) else (), _task_before(text, m.start()))
                )
            continue
        stripped = _RESPONSIBLE_TAIL.sub("", inner)
        names = _names(stripped)
        if _looks_like_departments(names):
            duties.append(Duty((), names, _task_before(text, m.start())))
    return duties


def _from_lead_blocks(text: str) -> list[Duty]:
    duties: list[Duty] = []
    for m in _LEAD_BLOCK.finditer(text):
        lead = _names(m.group("lead"))
        partners = _names(m.group("partners") or "")
        if lead:
            duties.append(Duty(lead, partners, _task_before(text, m.start())))
    return duties


def extract_duties(text: str) -> tuple[Duty, ...]:
    """All responsibility assignments stated in a clause's text."""
    simplified = for_search(text)
    blocks = _from_lead_blocks(simplified)
    # Parentheses inside a 牵头单位 block ("市委科创办(市科技局)") are part of a name, not a duty.
    outside = _LEAD_BLOCK.sub(lambda m: "。" + " " * (len(m.group(0)) - 1), simplified)
    return tuple(blocks + _from_parentheses(outside))
