"""`python -m rag train-answer-kind`: teach the span reader what kind of answer a window gives — a span of the
passage, or YES or NO (CAIL2019's yes/no questions, which a span cannot answer) — as a third head over its
first token's final state, with the trained encoder left as it is.

Data: the answerable items of CAIL2019 dev contexts 0–699 (its train split; 700–799 tune it, 800–999 are a check
set). A span item's example is the window holding its answer; a yes/no item's is the window sharing most of the
question's character pairs (where the judgment speaks of what is asked). The states come from the shipped reader
as it runs (onnxruntime), so the head learns exactly what it will read. A multinomial logistic regression
(L2 KIND_L2, standardised states, L-BFGS) is fitted and folded into "kind.w" (hidden × 3) and "kind.b", written
with the reader's other tensors unchanged. 18 min on a 2-core AMD EPYC (AVX2 only) while an evaluation shared
the cores. Refit it whenever train-span-reader retrains the layers: it reads their states.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import numpy as np

from ..answering.span_reader import ANSWER_KINDS, BATCH_WINDOWS, SPAN_READER_WEIGHTS, SpanReader, Window, windows
from .span_training_data import CAIL_TRAIN, CAIL_TUNE, MRC
from .squad import Item, load_squad

KIND_L2 = 0.01  # on the standardised states' weights
KIND_ITERATIONS = 300


def _pairs(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def kind_window(tokenizer, item: Item) -> Window | None:
    """The window an answerable item's kind is learned from (None: a span no window holds whole)."""
    ws = windows(tokenizer, item.question, item.title, item.context)
    if item.kind in ("yes", "no"):
        asked = _pairs(item.question)
        return max(
            ws, key=lambda w: len(asked & _pairs(item.context[w.spans[0][0] : w.spans[-1][1]])) if w.spans else -1
        )
    text, at = item.answers[0]
    holding = [w for w in ws if w.spans and w.spans[0][0] <= at and at + len(text) <= w.spans[-1][1]]
    return holding[0] if holding else None


def first_states(reader: SpanReader, batch: list[Window]) -> np.ndarray:
    """The final state of each window's first token."""
    out = []
    for at in range(0, len(batch), BATCH_WINDOWS):
        out.append(reader._states(batch[at : at + BATCH_WINDOWS])[:, 0])
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def examples(reader: SpanReader, items: list[Item]) -> tuple[np.ndarray, np.ndarray]:
    """(states, labels: index in ANSWER_KINDS) of the answerable items."""
    chosen = [(kind_window(reader.tokenizer, i), ANSWER_KINDS.index(i.kind)) for i in items if i.kind in ANSWER_KINDS]
    kept = [(w, k) for w, k in chosen if w is not None]
    return first_states(reader, [w for w, _ in kept]), np.array([k for _, k in kept], dtype=np.int64)


def fit_kinds(states: np.ndarray, labels: np.ndarray, l2: float = KIND_L2) -> tuple[np.ndarray, np.ndarray]:
    """(w: hidden × kinds, b) of a multinomial logistic regression on standardised states, folded back so that
    states @ w + b are its logits."""
    import torch

    x = torch.from_numpy(states.astype(np.float32))
    y = torch.from_numpy(labels)
    mu, sd = x.mean(0), x.std(0) + 1e-6
    torch.manual_seed(0)
    linear = torch.nn.Linear(x.shape[1], len(ANSWER_KINDS))
    optimiser = torch.optim.LBFGS(linear.parameters(), max_iter=KIND_ITERATIONS)

    def closure():
        optimiser.zero_grad()
        loss = torch.nn.functional.cross_entropy(linear((x - mu) / sd), y) + l2 * linear.weight.pow(2).sum()
        loss.backward()
        return loss

    optimiser.step(closure)
    w = (linear.weight.detach() / sd).T  # hidden × kinds
    b = linear.bias.detach() - (mu / sd) @ linear.weight.detach().T
    return w.numpy().astype(np.float32), b.numpy().astype(np.float32)


def confusion(w: np.ndarray, b: np.ndarray, states: np.ndarray, labels: np.ndarray) -> Counter:
    """(gold kind, predicted kind) → count."""
    predicted = np.argmax(states @ w + b, axis=1)
    return Counter((ANSWER_KINDS[g], ANSWER_KINDS[p]) for g, p in zip(labels, predicted))


def train(out: Path, weights: Path = SPAN_READER_WEIGHTS) -> Path:
    """Fit the kind head on the train contexts, print its confusion on the tune contexts, and write `out`: the
    reader's tensors of `weights` with kind.w and kind.b added (or replaced)."""
    import io

    from ..answering.span_reader import load_reader

    reader = load_reader(weights if weights != SPAN_READER_WEIGHTS else None)
    source = MRC / "cail2019_dev.json"
    states, labels = examples(reader, load_squad(source, contexts=CAIL_TRAIN))
    print(f"{len(labels)} train windows: " + ", ".join(f"{k} {n}" for k, n in zip(ANSWER_KINDS, np.bincount(labels))))
    w, b = fit_kinds(states, labels)
    tune_states, tune_labels = examples(reader, load_squad(source, contexts=CAIL_TUNE))
    for (gold, predicted), n in sorted(confusion(w, b, tune_states, tune_labels).items()):
        print(f"tune: {gold} read as {predicted}: {n}")
    with np.load(io.BytesIO(weights.read_bytes()), allow_pickle=False) as z:
        tensors = {k: z[k] for k in z.files}
    tensors["kind.w"], tensors["kind.b"] = w, b
    np.savez_compressed(out, **tensors)
    print(f"wrote {out} sha256 {hashlib.sha256(out.read_bytes()).hexdigest()}", flush=True)
    return out


__all__ = ["KIND_L2", "confusion", "examples", "fit_kinds", "kind_window", "train"]
