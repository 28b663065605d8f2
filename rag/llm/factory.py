"""Pick a chat backend from its settings name: a plain if-chain."""

from __future__ import annotations

import threading
from pathlib import Path

from ..config import LLM_BACKENDS, Settings
from .base import ChatBackend

BACKENDS = LLM_BACKENDS
_local_models: dict[Path, ChatBackend] = {}
_local_lock = threading.Lock()


def make_llm(name: str, settings: Settings) -> ChatBackend | None:
    """Backend for a settings string; None means extractive (no LLM). The local model is shared by every
    session of the process (it is large)."""
    if name == "extractive":
        return None
    if name == "local":
        from .local import LocalLLM

        key = Path(settings.cache_dir)
        with _local_lock:
            if key not in _local_models:
                _local_models[key] = LocalLLM(key)
            return _local_models[key]
    if name == "openai":
        from .openai import OpenAIChat

        return OpenAIChat(
            settings.openai_base_url,
            settings.openai_model,
            settings.openai_api_key.get_secret_value(),
            settings.openai_timeout,
            settings.openai_retries,
        )
    raise ValueError(f"unknown LLM backend {name!r}: use {', '.join(BACKENDS)}")
