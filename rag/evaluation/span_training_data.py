"""The span reader's training windows (train splits only; never a check set), by source:

- reading comprehension: CMRC 2018 dev, DRCD dev and test (simplified), CAIL2019 dev contexts 0–699 (700–799 are
  its tuning part; 800–999 are a check set);
- NCP: its raw train questions without its check ids and without sample.jsonl (a window of the document around the
  answer; a window of the same document without it as an unanswerable example);
- RGB zh items 100–149 (150–199 tune, 60–99 are a check set): each gold passage with the answer, and hard-negative
  passages on the same subject without it — the "another year, another name" case;
- the project's own questions over the seeds, their train split (training_questions.own_gold): the retrieved
  clause holding a gold quote, the quote as the span, and retrieved clauses without it as unanswerable windows.

Each answerable item gives the window holding its answer and, with NEGATIVE_SHARE's probability, a window of the
same context without it; each unanswerable item gives one window. YES/NO items are not used (the reader extracts
spans). RGB and own windows are few beside the 20,000 reading-comprehension ones, and of the kind the product
reads, so they repeat DOMAIN_REPEATS times.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from ..answering.span_answers import passage_of
from ..answering.span_reader import windows
from ..text.normalize import covers
from .external import NCP, CHECK_IDS_NAME, answer_strings, holds_any, raw_questions, read_jsonl
from .gold import read_ids
from .metrics import GoldItem
from .squad import Item, load_squad
from .training_questions import RGB, RGB_ITEMS, RGB_TUNE_FROM, own_gold

MRC = NCP.parent / "mrc-zh"
CAIL_TRAIN, CAIL_TUNE = range(0, 700), range(700, 800)
NEGATIVE_SHARE = 0.5
NCP_WINDOW_CHARS = 260  # of the document on each side of an NCP answer
DOMAIN_REPEATS = 3
RGB_NEGATIVES = 3  # hard-negative passages per RGB item
OWN_DEPTH = 6  # retrieved clauses an own question's windows come from
OWN_NEGATIVES = 2


@dataclass(frozen=True)
class Example:
    ids: tuple[int, ...]
    first: int  # where the passage tokens start
    count: int  # how many passage tokens
    start: int  # answer's first and last passage token (-1: none)
    end: int
    source: str


def mrc_train_items() -> list[tuple[str, Item]]:
    """(source, item) of the reading-comprehension train splits."""
    out = [("cmrc", i) for i in load_squad(MRC / "cmrc2018_dev.json")]
    for name in ("DRCD_dev.json", "DRCD_test.json"):
        out += [("drcd", i) for i in load_squad(MRC / name, simplified=True)]
    out += [("cail", i) for i in load_squad(MRC / "cail2019_dev.json", contexts=CAIL_TRAIN)]
    return out


def ncp_train_items(rng: random.Random) -> list[tuple[str, Item]]:
    """NCP's raw train questions (no check ids, no sample.jsonl ids) as items over a window of their document, and
    for some an unanswerable item over another part of the same document."""
    held = read_ids(NCP / CHECK_IDS_NAME) | {str(s.get("id")) for s in read_jsonl(NCP / "sample.jsonl")}
    documents = {d["id"]: d for d in read_jsonl(NCP / "documents.jsonl")}
    out: list[tuple[str, Item]] = []
    for row in raw_questions(NCP):
        doc = documents.get(row["docid"])
        if row["id"] in held or doc is None:
            continue
        text, answer = doc["text"], row["answer"].strip()
        at = text.find(answer)
        if at < 0 or not answer:
            continue
        lo, hi = max(0, at - NCP_WINDOW_CHARS), min(len(text), at + len(answer) + NCP_WINDOW_CHARS)
        out.append(("ncp", Item(row["id"], row["question"], text[lo:hi], doc["title"], ((answer, at - lo),), "span")))
        others = [s for s in range(0, len(text), 2 * NCP_WINDOW_CHARS) if not lo - 2 * NCP_WINDOW_CHARS < s < hi]
        if others and rng.random() < NEGATIVE_SHARE:
            s = rng.choice(others)
            part = text[s : s + 2 * NCP_WINDOW_CHARS]
            if answer not in part:
                out.append(("ncp", Item(row["id"] + "-none", row["question"], part, doc["title"], (), "none")))
    return out


def examples_of(source: str, item: Item, tokenizer, rng: random.Random) -> list[Example]:
    ws = windows(tokenizer, item.question, item.title, item.context)
    if item.kind == "none":  # an unanswerable item may say where an answer was (span_perturbation): that window
        where = [w for w in ws if item.answers and _inside(w, *item.answers[0])]
        w = rng.choice(where or ws)
        return [Example(w.ids, w.first, len(w.spans), -1, -1, source)]
    if item.kind != "span":
        return []
    text, at = item.answers[0]
    end = at + len(text)
    holding, without = [], []
    for w in ws:
        inside = _inside(w, text, at)
        if inside and w.spans[inside[0]][0] <= at + 1 and w.spans[inside[-1]][1] >= end - 1:
            holding.append(Example(w.ids, w.first, len(w.spans), inside[0], inside[-1], source))
        elif not inside:
            without.append(Example(w.ids, w.first, len(w.spans), -1, -1, source))
    out = [rng.choice(holding)] if holding else []
    if without and rng.random() < NEGATIVE_SHARE:
        out.append(rng.choice(without))
    return out


def _inside(w, text: str, at: int) -> list[int]:
    """The window's passage tokens that overlap the answer `text` starting at `at`."""
    return [i for i, (a, b) in enumerate(w.spans) if b > at and a < at + len(text)]


def rgb_train_items(rng: random.Random) -> list[tuple[str, Item]]:
    """RGB items 100–149 with a single answer part: each gold passage holding it (the first alternative found, as
    written) and up to RGB_NEGATIVES of its hard negatives that hold no alternative."""
    rows = read_jsonl(RGB / "sample.jsonl")
    passages = {p["id"]: p["text"] for p in read_jsonl(RGB / "corpus.jsonl")}
    out: list[tuple[str, Item]] = []
    for n in RGB_ITEMS:
        parts = (rows[n].get("answer_parts") or [[rows[n]["answer"]]]) if n < len(rows) else []
        if n >= RGB_TUNE_FROM or len(parts) != 1:
            continue
        row = rows[n]
        forms = [str(a) for a in parts[0] if str(a).strip()]
        for pid in row.get("corpus_ids", []):
            text = passages.get(pid, "")
            found = [(text.find(a), a) for a in forms if a in text]
            if found:
                at, answer = min(found)
                out.append(("rgb", Item(f"{row['id']}:{pid}", row["question"], text, "", ((answer, at),), "span")))
        negatives = [p for p in row.get("hard_negative_ids", []) if passages.get(p)]
        answers = answer_strings(row)
        negatives = [
            p for p in negatives if not holds_any(passages[p], answers) and not any(a in passages[p] for a in forms)
        ]
        for pid in rng.sample(negatives, min(RGB_NEGATIVES, len(negatives))):
            out.append(("rgb", Item(f"{row['id']}:{pid}", row["question"], passages[pid], "", (), "none")))
    return out


def own_train_items(
    search: Callable[[str, int], Sequence], rng: random.Random, gold: Iterable[tuple[str, GoldItem, str]] | None = None
) -> list[tuple[str, Item]]:
    """The train split of the project's own questions (`gold`: training_questions.own_gold's) with gold quotes:
    `search(question, k)` gives the retrieved clauses (Hits); the first of the top OWN_DEPTH holding a quote as
    written is answerable (the quote is the span), and up to OWN_NEGATIVES of those holding none are not."""
    out: list[tuple[str, Item]] = []
    for qid, item, split in own_gold() if gold is None else gold:
        if not item.quotes or split != "train":
            continue
        hits = list(search(item.question, OWN_DEPTH))
        holding = [(h, q) for h in hits for q in item.quotes if q and q in h.answer_text]
        if holding:
            h, quote = holding[0]
            span = ((quote, h.answer_text.find(quote)),)
            out.append(("own", Item(qid, item.question, h.answer_text, passage_of(h)[0], span, "span")))
        without = [h for h in hits if not any(covers(h.answer_text, q) for q in item.quotes)]
        for h in rng.sample(without, min(OWN_NEGATIVES, len(without))):
            none = Item(f"{qid}:{h.id}", item.question, h.answer_text, passage_of(h)[0], (), "none")
            out.append(("own", none))
    return out


__all__ = ["Example", "examples_of", "mrc_train_items", "ncp_train_items", "own_train_items", "rgb_train_items"]
