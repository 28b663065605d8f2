"""Embedders for the Ray build tests, shipped to the Ray workers by value (they cannot import tests/)."""
from __future__ import annotations

import hashlib
import os
import signal

import numpy as np

from rag.indexing.embedders import Embedder

MARK = "补充说明甲"  # a batch holding a text with this mark kills its worker


class HashEmbedder(Embedder):
    """Deterministic, instant vectors (a hash of each text's characters)."""

    name = "fake/ray-hash"
    dim = 16

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[: self.dim], np.uint8).astype(np.float32) + 1
                for t in texts]
        out = np.vstack(rows) if rows else np.zeros((0, self.dim), np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True).clip(1e-12)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_passages([text])[0]


class DyingEmbedder(HashEmbedder):
    """Kills its own worker process (SIGKILL, as the OOM killer or a lost node would) on a marked batch."""

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if any(MARK in t for t in texts):
            os.kill(os.getpid(), signal.SIGKILL)
        return super().embed_passages(texts)
