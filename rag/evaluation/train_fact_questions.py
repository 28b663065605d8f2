"""`python -m rag train-fact-questions`: fit answering/fact_questions.py's model on labelled questions.

Fields (issuer, number, date): tests/fact_questions.jsonl (written for this: many ways of asking, and content
questions that look like them, labelled none) and tests/metadata_questions.jsonl. Content questions (none): the
dev set, the project's own and users' sets without the set-aside ids (tests/check_ids.txt), NCP's raw train
questions without its check ids, and RGB's tuning items (0–59, 100–199). A content question the wording rules
already read as a document-fact question is left out: its label is not known. The threshold is the lowest at
which, over FOLDS-fold cross-validation, at most FALSE_FACT_BUDGET of the content questions are taken for a field;
the printed recall is the cross-validated share of field questions recognised (by the model alone).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..answering.fact_questions import FACT_FIELDS_ASKED, FACT_QUESTIONS_PARAMETERS, FactQuestionModel
from ..query.intents import asks_document_fact
from .external import CHECK_IDS_NAME, NCP, RGB_CHECK, is_external, raw_questions, read_jsonl
from .gold import CHECK_IDS, DEV_SET, OWN_QUESTIONS, ROOT, USERS_QUESTIONS, read_ids
from .train_reader import fit
from .training_questions import RGB

FACT_QUESTIONS = ROOT / "tests" / "fact_questions.jsonl"
METADATA_QUESTIONS = ROOT / "tests" / "metadata_questions.jsonl"
FALSE_FACT_BUDGET = 0.005
FOLDS = 5
L2 = 10.0


def labelled_questions() -> list[tuple[str, str]]:
    """(question, field or "none") of every source above that is present."""
    rows = [(r["question"], r["field"]) for path in (FACT_QUESTIONS, METADATA_QUESTIONS) for r in read_jsonl(path)]
    held = read_ids(CHECK_IDS)
    content: list[str] = []
    for path in (DEV_SET, OWN_QUESTIONS, USERS_QUESTIONS):
        if path.is_file():
            content += [r["question"] for r in read_jsonl(path) if str(r.get("id")) not in held]
    if is_external(NCP):
        ncp_check = read_ids(NCP / CHECK_IDS_NAME)
        content += [r["question"] for r in raw_questions(NCP) if r["id"] not in ncp_check]
    if (RGB / "sample.jsonl").is_file():
        content += [r["question"] for n, r in enumerate(read_jsonl(RGB / "sample.jsonl")[:200]) if n not in RGB_CHECK]
    rows += [(q, "none") for q in dict.fromkeys(content) if not asks_document_fact(q)]
    return rows


def _fit(x: np.ndarray, labels: list[str]) -> FactQuestionModel:
    """One logistic model per field against the rest; no space or chosen threshold yet (train adds them)."""
    parts = [fit(x, np.array([1.0 if y == f else 0.0 for y in labels]), l2=L2) for f in FACT_FIELDS_ASKED]
    mean, scale = parts[0][0], parts[0][1]  # the same standardisation for every field
    return FactQuestionModel(
        space="",
        mean=mean,
        scale=scale,
        weights=np.stack([p[2] for p in parts]),
        bias=np.array([p[3] for p in parts]),
        threshold=0.5,
    )


def _threshold(best: np.ndarray, labels: list[str]) -> float:
    """The lowest threshold leaving at most FALSE_FACT_BUDGET of the content questions above it."""
    none = np.sort(best[np.array([y == "none" for y in labels])])[::-1]
    allowed = int(np.floor(FALSE_FACT_BUDGET * len(none)))
    return float(min(0.99, none[allowed] + 1e-6)) if len(none) else 0.5


def _vectors(embedder, questions: list[str]) -> np.ndarray:
    """The questions' query vectors, kept between runs in the cache folder (a refit after a label edit)."""
    from ..config import default_cache_dir

    path = default_cache_dir() / "fact-question-vectors.npz"
    known: dict[str, np.ndarray] = {}
    if path.is_file():
        with np.load(path) as stored:
            if str(stored["space"]) == embedder.space:
                known = dict(zip(stored["questions"].tolist(), stored["vectors"]))
    missing = [q for q in dict.fromkeys(questions) if q not in known]
    for q in missing:
        known[q] = embedder.embed_query(q).reshape(-1)
    if missing:
        path.parent.mkdir(parents=True, exist_ok=True)
        names = list(known)
        np.savez(path, space=embedder.space, questions=np.array(names), vectors=np.stack([known[q] for q in names]))
    return np.stack([known[q] for q in questions]).astype(np.float64)


def train(out: Path = FACT_QUESTIONS_PARAMETERS, seed: int = 0) -> dict:
    from ..indexing.embedders import make_embedder

    started = time.time()
    rows = labelled_questions()
    embedder = make_embedder("e5", precision="fp32")  # the vectors the shipped model was fitted on
    x = _vectors(embedder, [q for q, _ in rows])
    labels = [y for _, y in rows]
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    best, chosen = np.zeros(len(rows)), [""] * len(rows)
    for k in range(FOLDS):
        held = set(order[k::FOLDS])
        kept = [i for i in range(len(rows)) if i not in held]
        model = _fit(x[kept], [labels[i] for i in kept])
        for i in held:
            p = model.probabilities(x[i])
            best[i], chosen[i] = float(p.max()), FACT_FIELDS_ASKED[int(p.argmax())]
    threshold = _threshold(best, labels)
    fields = [i for i, y in enumerate(labels) if y != "none"]
    recognised = sum(1 for i in fields if best[i] >= threshold and chosen[i] == labels[i])
    taken = sum(1 for i, y in enumerate(labels) if y == "none" and best[i] >= threshold)
    final = replace(_fit(x, labels), space=embedder.space, threshold=threshold)
    out.write_text(json.dumps(final.to_dict()) + "\n", encoding="utf-8")
    report = {
        "questions": len(rows),
        "field_questions": len(fields),
        "threshold": round(threshold, 4),
        "cross_validated_recall": round(recognised / max(1, len(fields)), 3),
        "content_taken_for_a_field": taken,
        "content_questions": len(rows) - len(fields),
        "seconds": round(time.time() - started, 1),
    }
    print(json.dumps(report, ensure_ascii=False), flush=True)
    return report


__all__ = ["FALSE_FACT_BUDGET", "labelled_questions", "train"]
