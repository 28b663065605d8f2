"""Third-party evaluation sets, read where they lie (../shared/eval/external) and never copied into the project.

- **ncp-policies-qa** layout (documents.jsonl + sample.jsonl): every question is answerable; an answer is judged by
  its gold span: found in the answer body (coverage ≥ SPAN_COVERAGE), and cited (a cited clause holds it). NCP has
  near-duplicate documents, so the span decides, not the file.
- **rgb-zh** layout (corpus.jsonl + sample.jsonl, no documents.jsonl): a *removal* set. The index holds, for the
  first `n` questions, their hard-negative passages only, with every passage that contains any of those questions'
  answers left out, so every question must be refused.

Documents are written as files into the cache folder (RAG_CACHE_DIR/eval/<set>/docs) and indexed there; the next
run reuses the index (content hashes), so a second evaluation costs no embedding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from ..text.normalize import for_match
from ..text.overlap import longest_run_share
from .gold import read_ids
from .metrics import GoldItem

# Where the third-party sets lie beside a clone (never copied into it), and the NCP set's folder name.
SHARED_EXTERNAL = Path(__file__).resolve().parents[3] / "shared" / "eval" / "external"
NCP_NAME = "ncp-policies-qa"
NCP = SHARED_EXTERNAL / NCP_NAME

# Where a set keeps the ids of its check questions (never trained, tuned or read for misses), and the file they
# come from (id, docid, question, answer; tab-separated).
CHECK_IDS_NAME = "check_ids.txt"
NCP_RAW_TRAIN = Path("raw") / "data" / "input" / "NCPPolicies_train_20200301.csv"
# RGB's check items (never trained, tuned or read for misses); items 0–59 and 100–199 are tuning data (items 0–59
# were the measured set of a rule round, so they cannot be a check set any more).
RGB_CHECK = range(60, 100)
TUNING, CHECK = "tuning set (tuned on)", "check set (never trained, tuned or read for misses)"

# An answer holds a gold span when its longest common stretch with the span covers this share of the span.
SPAN_COVERAGE = 0.8
# Questions of a removal set evaluated by default (their negatives make ~1,500 passages: minutes to embed once).
REMOVAL_QUESTIONS = 60


@dataclass(frozen=True)
class ExternalSet:
    name: str
    documents: list[tuple[str, str]]  # (file stem, text)
    items: list[GoldItem]
    spans: dict[str, str]  # question id -> gold answer span ("" for a removal set)
    removal: bool
    role: str = TUNING  # TUNING or CHECK: which table its figures belong in


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def is_external(folder: Path) -> bool:
    return folder.is_dir() and (folder / "sample.jsonl").is_file()


def raw_questions(folder: Path) -> list[dict]:
    """Every row of the set's raw train file: id, docid, question, answer."""
    rows = []
    for line in (folder / NCP_RAW_TRAIN).read_text(encoding="utf-8").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 4:
            rows.append({"id": parts[0], "docid": parts[1], "question": parts[2], "answer": parts[3]})
    return rows


def check_questions(folder: Path) -> list[dict]:
    """The set's check questions: the rows of its raw train file whose ids check_ids.txt lists."""
    ids = read_ids(folder / CHECK_IDS_NAME)
    return [row for row in raw_questions(folder) if row["id"] in ids]


def answer_strings(item: dict) -> list[str]:
    """A removal-set item's answers, normalised (every alternative of every part)."""
    return [a for part in item.get("answer_parts") or [[item["answer"]]] for a in map(for_match, part) if a]


def load_external_set(folder: Path, questions: int | None = None, check: bool = False) -> ExternalSet:
    """The set in `folder`, by its layout (see the module docstring). `check`: its check questions (check_ids.txt)
    instead of sample.jsonl."""
    folder = Path(folder)
    removal = not (folder / "documents.jsonl").is_file()
    if check and not removal and not (folder / CHECK_IDS_NAME).is_file():
        raise FileNotFoundError(f"{folder} has no {CHECK_IDS_NAME}: it names no check questions")
    if not removal:
        sample = check_questions(folder) if check else read_jsonl(folder / "sample.jsonl")
        docs = [(d["id"], d["text"]) for d in read_jsonl(folder / "documents.jsonl")]
        sample = sample[:questions] if questions else sample
        items = [GoldItem(s["id"], s["question"], (s["answer"],), "external") for s in sample]
        return ExternalSet(
            folder.name,
            docs,
            items,
            {s["id"]: s["answer"] for s in sample},
            removal=False,
            role=CHECK if check else TUNING,
        )
    every = read_jsonl(folder / "sample.jsonl")
    # --check: the check items; else the first items (0–59 by default: tuning data).
    sample = [every[n] for n in RGB_CHECK if n < len(every)] if check else every[: questions or REMOVAL_QUESTIONS]
    passages = {p["id"]: p["text"] for p in read_jsonl(folder / "corpus.jsonl")}
    answers = [a for s in sample for a in answer_strings(s)]
    kept: dict[str, str] = {}
    for s in sample:
        for pid in s.get("hard_negative_ids", []):
            text = passages.get(pid, "")
            if pid in s.get("corpus_ids", []) or not text or holds_any(text, answers):
                continue  # a passage holding any asked answer is removed
            kept[pid] = text
    items = [GoldItem(s["id"], s["question"], (), "removed") for s in sample]
    overlap = not check and len(sample) > RGB_CHECK.start
    role = CHECK if check else (f"items 0–{len(sample) - 1}: {TUNING}, including check items" if overlap else TUNING)
    return ExternalSet(folder.name, sorted(kept.items()), items, {s["id"]: "" for s in sample}, removal=True, role=role)


def write_documents(documents: list[tuple[str, str]], docs_dir: Path) -> None:
    """Each document as <stem>.txt; files of earlier runs that are no longer in the set are removed."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    wanted = {f"{stem}.txt": text for stem, text in documents}
    for path in docs_dir.iterdir():
        if path.name not in wanted:
            path.unlink()
    for name, text in wanted.items():
        path = docs_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def span_coverage(text: str, span: str) -> float:
    """Share of the (normalised) span covered by its longest common stretch with the text."""
    return longest_run_share(for_match(span), for_match(text))


def holds_span(text: str, span: str) -> bool:
    return span_coverage(text, span) >= SPAN_COVERAGE


def holds_any(text: str, answers: Sequence[str]) -> bool:
    """Does the text hold any of the (normalised) answer strings (RGB's judgement)?"""
    normalised = for_match(text)
    return any(x in normalised for x in answers)


def span_metrics(outcomes, spans: dict[str, str]) -> dict[str, float]:
    """For answerable third-party questions: answered, gold span in the body, span in a cited clause, and the
    share refused (all are answerable, so every refusal is false)."""
    n = len(outcomes) or 1
    body = sum(1 for o in outcomes if not o.refused and holds_span(o.body, spans[o.item.id]))
    cited = sum(1 for o in outcomes if not o.refused and any(holds_span(c, spans[o.item.id]) for c in o.citations))
    return {
        "questions": len(outcomes),
        "answered": sum(not o.refused for o in outcomes) / n,
        "span_in_body": body / n,
        "span_cited": cited / n,
        "false_refusals": sum(o.refused for o in outcomes) / n,
    }


def ncp_documents(docs_dir: Path, keep: Callable[[list[str]], set[str]] | None = None) -> Path | None:
    """The NCP set's documents written as files into `docs_dir` (its folder), or None when ../shared is absent;
    `keep` picks, from every document's stem, the ones to write (default: all)."""
    if not is_external(NCP):
        return None
    documents = load_external_set(NCP).documents
    if keep is not None:
        kept = keep([stem for stem, _ in documents])
        documents = [d for d in documents if d[0] in kept]
    write_documents(documents, docs_dir)
    return docs_dir
