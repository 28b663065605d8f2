"""Sentence vectors: every usable clause sentence embedded at build time with the same embedder as the clauses,
so the answer can pick the sentences that answer a question by meaning, not only by shared words.

Stored beside the clause records of a generation, whatever the store: `sentences.jsonl` (one line per clause: its
vector id, content hash and sentences) and `sentences.npy` (float16 unit rows, in that order). A clause whose
content hash is unchanged reuses its sentence vectors from the previous generation. An index without the files
(built before them) still loads: answers then choose sentences by wording alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..text.normalize import for_search
from ..text.sentences import clause_sentences
from .records import StoredClause

SENTENCES_FILE = "sentences.jsonl"
SENTENCE_VECTORS_FILE = "sentences.npy"
# Pieces shorter than this between sentence ends are not quotable sentences (also the answer's rule).
MIN_SENTENCE_CHARS = 5


def sentences_of(sc: StoredClause) -> list[str]:
    """The sentences of a clause that answers may quote (flagged text left out)."""
    return clause_sentences(sc.clause.answer_text, MIN_SENTENCE_CHARS)


@dataclass
class SentenceIndex:
    """Per clause (by vector id): its sentences and their unit vectors."""

    by_vid: dict[int, tuple[list[str], np.ndarray]] = field(default_factory=dict)
    hashes: dict[int, str] = field(default_factory=dict)

    def for_clause(self, vid: int) -> tuple[list[str], np.ndarray] | None:
        return self.by_vid.get(vid)

    @property
    def count(self) -> int:
        return sum(len(s) for s, _ in self.by_vid.values())

    @classmethod
    def load(cls, folder: Path) -> "SentenceIndex | None":
        records, vectors = Path(folder) / SENTENCES_FILE, Path(folder) / SENTENCE_VECTORS_FILE
        if not records.is_file() or not vectors.is_file():
            return None
        matrix = np.load(vectors, allow_pickle=False).astype(np.float32)
        out, row = cls(), 0
        with open(records, encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                rec = json.loads(line)
                n = len(rec["sentences"])
                out.by_vid[int(rec["vid"])] = (rec["sentences"], matrix[row : row + n])
                out.hashes[int(rec["vid"])] = rec["hash"]
                row += n
        return out

    def write(self, folder: Path, clauses: list[StoredClause]) -> None:
        rows = []
        with open(Path(folder) / SENTENCES_FILE, "w", encoding="utf-8") as fh:
            for sc in clauses:
                sentences, vectors = self.by_vid.get(sc.vid, ([], np.zeros((0, 1), np.float32)))
                fh.write(
                    json.dumps({"vid": sc.vid, "hash": sc.hash, "sentences": sentences}, ensure_ascii=False) + "\n"
                )
                if sentences:
                    rows.append(vectors)
        dim = next((r.shape[1] for r in rows), 1)
        matrix = np.vstack(rows).astype(np.float16) if rows else np.zeros((0, dim), np.float16)
        np.save(Path(folder) / SENTENCE_VECTORS_FILE, matrix, allow_pickle=False)


def build_sentences(
    clauses: list[StoredClause], previous: SentenceIndex | None, embed: Callable[[list[str]], np.ndarray]
) -> tuple[SentenceIndex, int]:
    """The sentence index of a generation: vectors of clauses whose hash is unchanged come from `previous`; the
    rest are embedded (`embed` takes normalised texts). Returns the index and how many sentences were embedded."""
    reusable: dict[str, tuple[list[str], np.ndarray]] = {}
    if previous is not None:
        for vid, h in previous.hashes.items():
            reusable[h] = previous.by_vid[vid]
    out = SentenceIndex()
    todo: list[tuple[int, list[str]]] = []
    for sc in clauses:
        out.hashes[sc.vid] = sc.hash
        if sc.hash in reusable:
            out.by_vid[sc.vid] = reusable[sc.hash]
        else:
            todo.append((sc.vid, sentences_of(sc)))
    texts = [for_search(s) for _, sentences in todo for s in sentences]
    vectors = embed(texts) if texts else np.zeros((0, 1), np.float32)
    row = 0
    for vid, sentences in todo:
        out.by_vid[vid] = (sentences, vectors[row : row + len(sentences)])
        row += len(sentences)
    return out, len(texts)
