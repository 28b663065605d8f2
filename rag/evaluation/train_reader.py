"""`python -m rag train-reader`: fit the learned reader (rag/answering/reader.py) on labelled questions.

Each answerable question gives two rows: its retrieved clauses as they are (label 1 when one of them holds the
gold answer) and the same retrieval with every clause holding the answer removed (label 0): the clauses a user
would get if the documents did not say it. An unanswerable question gives one row (label 0).

Sources, each split into train and tune (never the check sets):
- the project's own questions over the seeds (tests/questions.jsonl, tests/questions_users.jsonl without the ids
  in tests/check_ids.txt, and ../shared/eval/dev.jsonl), split by a hash of the id;
- NCP (../shared/eval/external/ncp-policies-qa): the raw train file's questions over its 599 documents, without
  check_ids.txt and sample.jsonl → train; sample.jsonl → tune;
- RGB zh items 100–199 of sample.jsonl (their passages, gold and hard negatives) → 100–149 train, 150–199 tune.

Only rows the rules would answer are fitted (the reader refuses among those). The threshold is the highest that
keeps the share of each source's tuning answerable rows refused within FALSE_REFUSAL_BUDGET. Third-party data is
read where it lies; only the fitted numbers are written (rag/answering/reader.json).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..answering.answerability import judge
from ..answering.reader import FEATURES, READER_PARAMETERS, Reader, reading
from ..types import Hit
from .external import (
    NCP,
    load_external_set,
    write_documents,
)
from .training_questions import NCP_TRAIN, RGB, Question, ncp_questions, own_questions, rgb_items

# Retrieval depth of a row, and how deep the removal row looks for clauses not holding the answer.
ROW_HITS = 5
REMOVAL_POOL = 10
# Share of each source's tuning answerable rows the chosen threshold may refuse.
FALSE_REFUSAL_BUDGET = 0.03
# L2 penalty of the logistic fit (on standardised features).
L2 = 1.0


@dataclass
class Row:
    id: str
    source: str
    split: str
    label: int
    passes: bool  # the rules would answer
    values: list[float]
    question: str = ""
    window: str = ""  # the window the features read (kept in the rows cache only, never shipped)


def _row(question: Question, retriever, hits: Sequence[Hit], label: int, min_relevance: float) -> Row | None:
    if not hits:
        return None
    verdict = judge(question.text, hits, retriever.facts)
    passes = verdict.answerable and hits[0].dense >= min_relevance and not retriever.unknown_entities(question.text)
    meaning = retriever.sentence_meaning(question.text, hits[0])
    read = reading(question.text, hits, verdict, retriever.facts, meaning)
    return Row(
        question.id, question.source, question.split, label, passes, list(read.values), question.text, read.window
    )


def rows_for(question: Question, retriever, min_relevance: float) -> list[Row]:
    """The row of the retrieval as it is and, for an answerable question whose answer was retrieved, the row of
    the retrieval with the answer's clauses removed."""
    pool = [h for h in retriever.search(question.text, REMOVAL_POOL) if h.answer_text.strip()]
    kept = pool[:ROW_HITS]
    if question.holds is None:
        row = _row(question, retriever, kept, 0, min_relevance)
        return [row] if row else []
    holding = [question.holds(h.text) for h in pool]
    if not any(holding):
        return []  # the answer was not retrieved (or is worded otherwise): no label can be trusted
    out = []
    if any(holding[:ROW_HITS]):
        out.append(_row(question, retriever, kept, 1, min_relevance))
    removed = [h for h, held in zip(pool, holding) if not held][:ROW_HITS]
    out.append(_row(question, retriever, removed, 0, min_relevance))
    return [r for r in out if r is not None]


def collect(
    questions: Sequence[Question], retriever, min_relevance: float, progress=None, rows_of: Callable = rows_for
) -> list:
    """The rows of each question (`rows_of(question, retriever, min_relevance)`: the reader's, or the chooser's)."""
    rows = []
    for n, question in enumerate(questions, 1):
        rows.extend(rows_of(question, retriever, min_relevance))
        if progress and n % 100 == 0:
            progress(n, len(questions))
    return rows


def fit(
    x: np.ndarray, y: np.ndarray, l2: float = L2, iterations: int = 50
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Logistic regression by Newton's method on standardised features: (mean, scale, weights, bias)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0  # the bias is not penalised
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -40, 40)))
        gradient = z.T @ (p - y) + penalty * w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return mean, scale, w[:-1], float(w[-1])


def choose_threshold(probabilities: np.ndarray, labels: np.ndarray, budget: float = FALSE_REFUSAL_BUDGET) -> float:
    """The highest threshold that refuses at most `budget` of the answerable rows."""
    positives = np.sort(probabilities[labels == 1])
    if not len(positives):
        return 0.5
    allowed = int(np.floor(budget * len(positives)))
    return float(positives[allowed]) if allowed < len(positives) else float(positives[-1])


def figures(reader: Reader, rows: Sequence[Row]) -> dict[str, dict[str, float]]:
    """Per source: answerable rows kept and unanswerable rows refused by the reader alone."""
    out: dict[str, dict[str, float]] = {}
    for source in sorted({r.source for r in rows}):
        mine = [r for r in rows if r.source == source]
        pos = [r for r in mine if r.label == 1]
        neg = [r for r in mine if r.label == 0]
        out[source] = {
            "answerable": len(pos),
            "unanswerable": len(neg),
            "kept": round(sum(reader.answers(r.values) for r in pos) / max(1, len(pos)), 4),
            "refused": round(sum(not reader.answers(r.values) for r in neg) / max(1, len(neg)), 4),
        }
    return out


def train(rows: Sequence[Row], budget: float = FALSE_REFUSAL_BUDGET, space: str = "") -> tuple[Reader, dict]:
    """Fit on the train rows the rules pass; choose the threshold on the tune rows they pass."""
    train_rows = [r for r in rows if r.split == "train" and r.passes]
    tune_rows = [r for r in rows if r.split == "tune" and r.passes]
    if len({r.label for r in train_rows}) < 2:
        raise ValueError("the training rows need both answerable and unanswerable examples")
    x = np.array([r.values for r in train_rows])
    y = np.array([r.label for r in train_rows], dtype=float)
    mean, scale, weights, bias = fit(x, y)
    reader = Reader(tuple(mean.tolist()), tuple(scale.tolist()), tuple(weights.tolist()), bias, 0.5)
    chosen = tune_rows if any(r.label == 1 for r in tune_rows) else train_rows
    # Each source keeps its own budget: the pooled rows are mostly NCP's, and a threshold that suits them may
    # refuse more of another corpus's answerable questions than the budget allows.
    threshold = min(
        choose_threshold(
            np.array([reader.probability(r.values) for r in mine]), np.array([r.label for r in mine]), budget
        )
        for source in sorted({r.source for r in chosen})
        for mine in [[r for r in chosen if r.source == source]]
        if any(r.label == 1 for r in mine)
    )
    # Rounded down, so the budget still holds for the stored threshold.
    reader = Reader(reader.mean, reader.scale, reader.weights, reader.bias, math.floor(threshold * 1e6) / 1e6, space)
    report = {
        "train_rows": len(train_rows),
        "tune_rows": len(tune_rows),
        "budget": budget,
        "threshold": reader.threshold,
        "train": figures(reader, train_rows),
        "tune": figures(reader, tune_rows),
    }
    return reader, report


def write_parameters(
    reader: Reader, report: dict, path: Path = READER_PARAMETERS, features: Sequence[str] = FEATURES
) -> None:
    data = {**reader.to_dict(features), "fitted": report}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def _retriever(settings, docs: Path | None, index: Path | None):
    from ..indexing.embedders import embedder_from
    from ..session import Session

    if docs is not None:
        settings = settings.with_(docs_dir=docs, index_dir=index)
    session = Session(settings, embedder=embedder_from(settings))
    if docs is not None:
        session.build(allow_large=True)
    return session.retriever()


def gather(settings, limit: int | None = None, shared: bool = True, log=print, rows_of: Callable = rows_for) -> list:
    """Rows (`rows_of` each question's) from every available source (own sets always; NCP and RGB when ../shared is
    there)."""
    rows: list = []
    t = time.perf_counter()
    own = own_questions()[:limit]
    rows += collect(own, _retriever(settings, None, None), settings.min_relevance, rows_of=rows_of)
    log(f"own sets: {len(own)} questions, {len(rows)} rows ({time.perf_counter() - t:.0f} s)")
    if not shared or not NCP_TRAIN.is_file():
        return rows
    external = load_external_set(NCP)
    ncp = ncp_questions(external)[:limit]
    ncp_docs = Path(settings.cache_dir) / "eval" / NCP.name  # the index `python -m rag eval` builds for NCP
    write_documents(external.documents, ncp_docs / "docs")
    before = len(rows)
    rows += collect(
        ncp,
        _retriever(settings, ncp_docs / "docs", ncp_docs / "index"),
        settings.min_relevance,
        lambda n, total: log(f"  NCP {n}/{total}"),
        rows_of,
    )
    log(f"NCP: {len(ncp)} questions, {len(rows) - before} rows ({time.perf_counter() - t:.0f} s)")
    if (RGB / "sample.jsonl").is_file():
        questions, documents = rgb_items()
        questions = questions[:limit]
        rgb_docs = Path(settings.cache_dir) / "train" / "rgb-100-199"
        write_documents(documents, rgb_docs / "docs")
        before = len(rows)
        rows += collect(
            questions,
            _retriever(settings, rgb_docs / "docs", rgb_docs / "index"),
            settings.min_relevance,
            rows_of=rows_of,
        )
        log(f"RGB 100–199: {len(questions)} questions, {len(rows) - before} rows ({time.perf_counter() - t:.0f} s)")
    return rows


def gathered(
    settings, limit: int | None, shared: bool, rows_file: Path | None, record: type = Row, rows_of: Callable = rows_for
) -> list:
    """The rows (dataclass `record`s made by `rows_of`) read back from `rows_file` when it exists, else gathered and,
    with a `rows_file`, written there."""
    if rows_file is not None and rows_file.is_file():
        return [record(**r) for r in json.loads(rows_file.read_text(encoding="utf-8"))]
    rows = gather(settings, limit, shared, rows_of=rows_of)
    if rows_file is not None:
        rows_file.parent.mkdir(parents=True, exist_ok=True)
        rows_file.write_text(json.dumps([asdict(r) for r in rows], ensure_ascii=False), encoding="utf-8")
    return rows


def run_train_reader(
    settings,
    out: Path = READER_PARAMETERS,
    limit: int | None = None,
    shared: bool = True,
    rows_file: Path | None = None,
) -> dict:
    """Gather (or read back) the rows, fit, write the parameters; returns the fitted figures."""
    rows = gathered(settings, limit, shared, rows_file)
    from ..indexing.embedders import embedder_from

    reader, report = train(rows, space=embedder_from(settings).space)
    write_parameters(reader, report, out)
    return report


def split_table(report: dict, columns: Sequence[str]) -> list[str]:
    """The fitted figures of each split and source as table lines: counts as integers, shares to three places."""
    widths = [max(len(c), 6) for c in columns]
    lines = [f"  {'split':6} {'source':6} " + " ".join(f"{c:>{w}}" for c, w in zip(columns, widths))]
    for split in ("train", "tune"):
        for source, row in report[split].items():
            cells = (
                f"{row[c]:>{w}}" if isinstance(row[c], int) else f"{row[c]:>{w}.3f}" for c, w in zip(columns, widths)
            )
            lines.append(f"  {split:6} {source:6} " + " ".join(cells))
    return lines


def format_fitted(report: dict) -> str:
    return "\n".join(
        [
            f"fitted on {report['train_rows']} rows the rules pass; threshold chosen on {report['tune_rows']} "
            f"tuning rows (at most {report['budget']:.0%} of each source's answerable ones refused): "
            f"{report['threshold']:.3f}"
        ]
        + split_table(report, ("answerable", "kept", "unanswerable", "refused"))
    )


__all__ = ["FEATURES", "Row", "Question", "collect", "fit", "choose_threshold", "train", "run_train_reader"]
