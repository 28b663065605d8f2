"""Reading-comprehension sets in SQuAD format (CMRC 2018, DRCD, CAIL2019 — ../shared/eval/external/mrc-zh — or any
file a user brings): the items, and CMRC 2018's own EM and F1.

An item is a question over one context with its answer spans, or none (`is_impossible`), or a YES/NO answer
(CAIL). Traditional-character sets (DRCD) can be read simplified: the context is converted with OpenCC and each
answer's offset found again in the converted text (nearest to where it was). EM and F1 follow CMRC 2018's
evaluation script: text lower-cased, punctuation and spaces removed, segmented into CJK characters and Latin/digit
words; F1 from the longest common substring of the two segmentations; the best over the item's answers; 0–100.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..text.normalize import to_simplified

YES, NO = "YES", "NO"
KINDS = ("span", "none", "yes", "no")
MAX_SQUAD_BYTES = 200 << 20  # a file larger than this is refused before it is parsed


@dataclass(frozen=True)
class Item:
    qid: str
    question: str
    context: str
    title: str
    answers: tuple[tuple[str, int], ...]  # (text, start) in context; empty for "none", ("YES"/"NO", -1) for yes/no
    kind: str  # one of KINDS


def _kind(qa: dict, answers: list[dict]) -> str:
    impossible = str(qa.get("is_impossible", "false")).lower() == "true"
    if impossible or not answers:
        return "none"
    text = str(answers[0].get("text", ""))
    return "yes" if text == YES else "no" if text == NO else "span"


def _realign(original: str, converted: str, text: str, start: int) -> int:
    """Where an answer that started at `start` in `original` starts in `converted` (-1 when it cannot be found)."""
    if len(original) == len(converted):
        return start if converted[start : start + len(text)] == text else converted.find(text)
    found = [m.start() for m in re.finditer(re.escape(text), converted)] if text else []
    return min(found, key=lambda at: abs(at - start)) if found else -1


def load_squad(path: Path, contexts: range | None = None, simplified: bool = False) -> list[Item]:
    """The items of a SQuAD-format file; `contexts`: only those paragraphs (in file order); `simplified`:
    traditional characters converted (answers re-aligned, an answer that cannot be found again is dropped)."""
    path = Path(path)
    if path.stat().st_size > MAX_SQUAD_BYTES:
        raise ValueError(f"{path}: larger than {MAX_SQUAD_BYTES >> 20} MB")
    data = json.loads(path.read_text(encoding="utf-8"))
    items: list[Item] = []
    index = -1
    for article in data.get("data", []):
        title = str(article.get("title", ""))
        for paragraph in article.get("paragraphs", []):
            index += 1
            if contexts is not None and index not in contexts:
                continue
            original = str(paragraph.get("context", ""))
            context = to_simplified(original) if simplified else original
            for qa in paragraph.get("qas", []):
                answers = [a for a in qa.get("answers", []) if isinstance(a, dict)]
                kind = _kind(qa, answers)
                spans: list[tuple[str, int]] = []
                if kind == "span":
                    for a in answers:
                        text = to_simplified(str(a["text"])) if simplified else str(a["text"])
                        at = _realign(original, context, text, int(a.get("answer_start", -1)))
                        if at >= 0 and text.strip():
                            spans.append((text, at))
                    if not spans:
                        continue
                elif kind in ("yes", "no"):
                    spans = [(kind.upper(), -1)]
                question = to_simplified(str(qa["question"])) if simplified else str(qa["question"])
                items.append(Item(str(qa.get("id", "")), question, context, title, tuple(spans), kind))
    return items


# -- CMRC 2018's metric --------------------------------------------------------------------------------------------
_LATIN = re.compile(r"[a-z0-9]+")


def _segments(text: str) -> list[str]:
    """CMRC's mixed segmentation: every CJK character alone, runs of Latin letters and digits as one word;
    punctuation and spaces dropped."""
    text = text.lower()
    out: list[str] = []
    at = 0
    while at < len(text):
        ch = text[at]
        latin = _LATIN.match(text, at)
        if latin:
            out.append(latin.group(0))
            at = latin.end()
            continue
        if not (ch.isspace() or unicodedata.category(ch).startswith("P") or unicodedata.category(ch).startswith("S")):
            out.append(ch)
        at += 1
    return out


def _lcs(a: list[str], b: list[str]) -> int:
    """Length of the longest common substring (contiguous) of two segment lists."""
    best = 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            if x == y:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def f1_score(prediction: str, answer: str) -> float:
    pred, gold = _segments(prediction), _segments(answer)
    common = _lcs(gold, pred)
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, answer: str) -> float:
    return float("".join(_segments(prediction)) == "".join(_segments(answer)))


def item_scores(item: Item, prediction: str) -> tuple[float, float]:
    """(EM, F1) of one prediction, 0–1: an unanswerable item scores 1 only for an empty prediction."""
    if item.kind == "none":
        return (1.0, 1.0) if not prediction else (0.0, 0.0)
    if not prediction:
        return 0.0, 0.0
    answers = [text for text, _ in item.answers]
    return max(exact_match(prediction, a) for a in answers), max(f1_score(prediction, a) for a in answers)


__all__ = ["Item", "KINDS", "exact_match", "f1_score", "item_scores", "load_squad"]
