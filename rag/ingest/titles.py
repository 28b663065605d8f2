"""Best-effort document titles from the first lines, a sharing site's file name, or a reply's subject."""

from __future__ import annotations

import re
from pathlib import Path

from ..text.normalize import PINYIN_AFTER_HAN

_DOC_NUMBER = re.compile(r"〔.{2,6}〕|\[.{2,6}\].{0,3}号|第.{1,6}号$")
_SENTENCE_PUNCT = re.compile(r"[。，,；;：:！？!?]")
_REPLY = re.compile(r"您(?:提出|所提)的[“\"](.+?)[”\"]")


def guess_title(name: str, original: str, clean: str) -> str:
    """Best-effort document title: the leading heading lines, a sharing site's file name,
    or a reply's subject; the file name as a last resort."""
    first_line = clean.split("\n", 1)[0].strip()
    ext = re.match(r"^(.+?)\.(?:docx?|pdf|txt|wps)$", first_line, re.IGNORECASE)
    if ext:
        return ext.group(1)
    reply = _REPLY.search(clean[:600])
    if reply and re.search(r"代表|委员", first_line):
        who = first_line.rstrip(":：")
        subject = reply.group(1).strip('“”"')
        subject = re.sub(r"^关于", "", subject)
        subject = re.sub(r"的建议$", "", subject)
        return f"对{who}关于“{subject}”建议的答复"
    if len(first_line) > 60:
        # One-line web text: the headline is what comes before the first space.
        head = re.split(r"\s", first_line, maxsplit=1)[0]
        if 4 <= len(head) <= 60 and not _SENTENCE_PUNCT.search(head):
            return head
    parts: list[str] = []
    raw_lines = original.replace("\r", "").split("\n")
    for line in clean.split("\n")[:4]:
        line = line.strip()
        if not line or _DOC_NUMBER.search(line) or _SENTENCE_PUNCT.search(line) or len(line) > 60:
            break
        parts.append(line)
        # Stop at a blank line in the original: the title block is contiguous.
        idx = next((i for i, r in enumerate(raw_lines) if PINYIN_AFTER_HAN.sub("", r).strip() == line), None)
        if idx is not None and idx + 1 < len(raw_lines) and not raw_lines[idx + 1].strip():
            break
    title = "".join(parts)
    return title or Path(name).stem
