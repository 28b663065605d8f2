"""The labelled questions the learned reader and chooser are fitted on, by source, each split into train and
tune (never a check set): the project's own questions over the seeds without the set-aside ids (split by a hash
of the id); NCP's raw train questions without its check ids and sample.jsonl (train), its sample.jsonl (tune);
RGB zh items 100–149 (train) and 150–199 (tune), with their passages as documents. Third-party data is read
where it lies (../shared), never copied.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..text.normalize import covers
from .external import (
    CHECK_IDS_NAME,
    NCP,
    NCP_RAW_TRAIN,
    RGB_CHECK,
    SHARED_EXTERNAL,
    ExternalSet,
    answer_strings,
    holds_any,
    holds_span,
    raw_questions,
    read_jsonl,
)
from .gold import CHECK_IDS, DEV_SET, FIT_EXCLUDED_IDS, OWN_QUESTIONS, USERS_QUESTIONS, load_gold, read_ids
from .metrics import GoldItem

OWN_SETS = (OWN_QUESTIONS, USERS_QUESTIONS, DEV_SET)
NCP_TRAIN = NCP / NCP_RAW_TRAIN
RGB = SHARED_EXTERNAL / "rgb-zh"
# The items the shipped reader and chooser were fitted on. Items 0–59 are tuning data too (only 60–99 are a check
# set: RGB_CHECK) and may join a refit.
RGB_ITEMS = range(RGB_CHECK.stop, 200)
RGB_TUNE_FROM = 150


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    holds: Callable[[str], bool] | None  # does a clause text hold the answer (None: unanswerable)
    split: str  # "train" or "tune"
    source: str


def hashed_split(qid: str) -> str:
    return "tune" if int(hashlib.sha256(qid.encode()).hexdigest(), 16) % 3 == 0 else "train"


def own_gold(
    paths: Iterable[Path] = OWN_SETS, check: Path = CHECK_IDS, excluded: Path = FIT_EXCLUDED_IDS
) -> Iterator[tuple[str, GoldItem, str]]:
    """(id qualified by its file, item, split) of the project's questions over the seeds, without the check ids and
    without the ids the shipped parameters were fitted without."""
    held = read_ids(check) | read_ids(excluded)
    for path in paths:
        if not path.is_file():
            continue
        for item in load_gold(path):
            if item.id not in held:
                yield f"{path.stem}:{item.id}", item, hashed_split(item.id)


def own_questions(
    paths: Iterable[Path] = OWN_SETS, check: Path = CHECK_IDS, excluded: Path = FIT_EXCLUDED_IDS
) -> list[Question]:
    """own_gold's questions, each with whether a clause text holds its answer."""
    out = []
    for qid, item, split in own_gold(paths, check, excluded):
        holds = (lambda text, quotes=item.quotes: any(covers(text, q) for q in quotes)) if item.quotes else None
        out.append(Question(qid, item.question, holds, split, "own"))
    return out


def ncp_questions(ncp: ExternalSet) -> list[Question]:
    """NCP's raw train questions except the check ids (train) and its sample.jsonl (`ncp`, tune)."""
    check = read_ids(NCP / CHECK_IDS_NAME)
    out = [Question(i.id, i.question, partial(holds_span, span=ncp.spans[i.id]), "tune", "ncp") for i in ncp.items]
    tuning = {q.id for q in out}
    indexed = {stem for stem, _ in ncp.documents}
    for row in raw_questions(NCP):
        if row["id"] in check or row["id"] in tuning or row["docid"] not in indexed:
            continue  # a check question, a tuning one, or one over a document the set does not hold
        out.append(Question(row["id"], row["question"], partial(holds_span, span=row["answer"]), "train", "ncp"))
    return out


def rgb_items() -> tuple[list[Question], list[tuple[str, str]]]:
    """RGB items 100–199 (questions) and their passages, gold and hard negatives (documents)."""
    rows = read_jsonl(RGB / "sample.jsonl")
    passages = {p["id"]: p["text"] for p in read_jsonl(RGB / "corpus.jsonl")}
    questions, docs = [], {}
    for n in RGB_ITEMS:
        r = rows[n]
        answers = answer_strings(r)
        questions.append(
            Question(
                r["id"],
                r["question"],
                partial(holds_any, answers=answers),
                "tune" if n >= RGB_TUNE_FROM else "train",
                "rgb",
            )
        )
        for pid in r.get("corpus_ids", []) + r.get("hard_negative_ids", []):
            if passages.get(pid):
                docs[pid] = passages[pid]
    return questions, sorted(docs.items())
