"""Unanswerable training windows made from answerable ones, in the manner of SQuAD 2.0's "plausible but absent"
questions: the passage stays on the question's subject, and what the question asks is not in it.

The product's unanswerable questions are mostly of this kind (another year's page, another place's or another
school's, the same subject without the asked figure), and a reader trained only on windows of other subjects
learns to refuse a change of subject, not a change of the asked specific. Three ways, each keeping the item's
context and title:

- another name: the question names the passage's own title (its subject, as CMRC's and DRCD's Wikipedia titles
  are); it is replaced by another title of the same source that the passage never mentions;
- another number: a number the question shares with the passage (a year, a count) is replaced by a nearby one of
  the same length that the passage never mentions;
- the answer taken out: the sentences holding the answer are removed from the passage (when no form of the answer is
  left in what remains).

The labels are made mechanically from the data's own answers and titles (no word list decides them); each
answerable item gets at most one, with PERTURB_SHARE's probability. Train splits only, as the items they come from.
"""

from __future__ import annotations

import random
import re
from functools import partial
from typing import Callable, Optional

from ..text.normalize import to_simplified
from ..text.sentences import clause_sentences
from .squad import Item

PERTURB_SHARE = 0.35  # of the answerable items that get one unanswerable variant
PERTURB_WAYS = ("name", "number", "out")
MIN_TITLE_CHARS = 2
MAX_TITLE_CHARS = 12  # a title longer than this is a document's name, not a subject's (NCP's)
TITLES_TRIED = 8  # other titles tried for one question before it gets no name variant
MIN_LEFT_CHARS = 60  # a passage with its answer removed must keep at least this much text
NUMBER_SHIFTS = (1, 2, 3, -1, -2, -3)  # a year, a count or a day moved a little
_NUMBER = re.compile(r"\d+")


def _title(source: str, title: str) -> str:
    """The subject a title names: simplified for DRCD, without Wikipedia's disambiguation (「广东省_(中华民国)」)."""
    return (to_simplified(title) if source == "drcd" else title).split("_")[0].strip()


def another_name(item: Item, titles: list[str], rng: random.Random, source: str = "") -> Optional[Item]:
    """The question with the passage's title replaced by another title the passage never mentions."""
    own = _title(source, item.title)
    if not MIN_TITLE_CHARS <= len(own) <= MAX_TITLE_CHARS or own not in item.question:
        return None
    for other in rng.sample(titles, min(TITLES_TRIED, len(titles))):
        fits = MIN_TITLE_CHARS <= len(other) <= MAX_TITLE_CHARS
        if fits and other not in item.context and own not in other and other not in own:
            return _none(item, item.question.replace(own, other), item.context, "name")
    return None


def _nearby(number: str, rng: random.Random) -> str:
    """A plausible other value: a neighbouring year, count or day (the caller keeps only one of the same length)."""
    value = int(number)
    if value <= 1:
        return str(value + rng.choice((2, 3)))
    return str(value + rng.choice(NUMBER_SHIFTS))


def another_number(item: Item, rng: random.Random) -> Optional[Item]:
    """The question with one number it shares with the passage replaced by one the passage never mentions."""
    shared = [m for m in _NUMBER.finditer(item.question) if m.group(0) in item.context]
    if not shared:
        return None
    m = rng.choice(shared)
    for _ in range(6):
        new = _nearby(m.group(0), rng)
        if len(new) == len(m.group(0)) and new not in item.context:
            question = item.question[: m.start()] + new + item.question[m.end() :]
            return _none(item, question, item.context, "number")
    return None


def answer_taken_out(item: Item) -> Optional[Item]:
    """The passage without the sentences that hold the answer, when no form of the answer is left."""
    text, at = item.answers[0]
    kept, position = [], 0
    for sentence in clause_sentences(item.context):
        begin = item.context.find(sentence, position)
        end = begin + len(sentence)
        position = max(position, end)
        if begin < 0 or not (end <= at or begin >= at + len(text)):
            continue
        kept.append(sentence)
    left = "".join(kept)
    if len(left) < MIN_LEFT_CHARS or any(a in left for a, _ in item.answers):
        return None
    return _none(item, item.question, left, "out")


def _none(item: Item, question: str, context: str, how: str) -> Item:
    """Unanswerable; where the context is the item's own, `answers` keeps where the answer was, so that the
    window read is the one that held it (the hardest), not any window of the passage."""
    where = item.answers[:1] if context == item.context else ()
    return Item(f"{item.qid}-{how}", question, context, item.title, where, "none")


def perturbed(
    items: list[tuple[str, Item]], rng: random.Random, ways: tuple[str, ...] = PERTURB_WAYS
) -> list[tuple[str, Item]]:
    """At most one unanswerable variant of each answerable item (PERTURB_SHARE of them), tagged with its source,
    made in one of `ways` (of PERTURB_WAYS)."""
    unknown = set(ways) - set(PERTURB_WAYS)
    if unknown:
        raise ValueError(f"unknown perturbation {sorted(unknown)}: use {PERTURB_WAYS}")
    pools = {s: sorted({_title(s, i.title) for t, i in items if t == s and i.title}) for s in {t for t, _ in items}}
    out: list[tuple[str, Item]] = []
    for source, item in items:
        if item.kind != "span" or rng.random() >= PERTURB_SHARE:
            continue
        made: dict[str, Callable[[], Optional[Item]]] = {
            "name": partial(another_name, item, pools[source], rng, source),
            "number": partial(another_number, item, rng),
            "out": partial(answer_taken_out, item),
        }
        chosen = [made[w] for w in PERTURB_WAYS if w in ways]
        rng.shuffle(chosen)
        for way in chosen:
            variant = way()
            if variant is not None:
                out.append((source, variant))
                break
    return out


__all__ = ["PERTURB_SHARE", "PERTURB_WAYS", "another_name", "another_number", "answer_taken_out", "perturbed"]
