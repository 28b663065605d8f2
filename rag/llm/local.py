"""The bundled local chat model (Qwen2.5-Coder-1.5B-Instruct) on torch CPU."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Iterator

from ..errors import LLMError, LocalModelError
from .base import ChatBackend, Message


class LocalLLM(ChatBackend):
    """Qwen2.5-Coder-1.5B-Instruct on torch CPU; loads lazily (``warm_up``); one generation at a time."""

    name = "local"

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = Path(cache_dir)
        self._model = None
        self._tokenizer = None
        self._lock = threading.Lock()
        self._load_lock = threading.Lock()
        self.load_seconds = 0.0

    def warm_up(self) -> None:
        with self._load_lock:  # the page warms up in the background while a user may already ask
            self._load()

    def _load(self) -> None:
        if self._model is None:
            from .model_files import load_local_model

            import torch

            started = time.perf_counter()
            self._model, self._tokenizer = load_local_model(self.cache_dir)
            # The weights are memory-mapped: one tiny generation pages them in now (tens of seconds on a cold
            # page cache) instead of during the first user's answer.
            ids = self._tokenizer("你好", return_tensors="pt")
            with torch.inference_mode():
                self._model.generate(**ids, max_new_tokens=1, do_sample=False,
                                     pad_token_id=self._tokenizer.eos_token_id)
            self.load_seconds = time.perf_counter() - started

    def stream(self, messages: list[Message], max_new_tokens: int) -> Iterator[str]:
        import torch
        from transformers import TextIteratorStreamer

        self.warm_up()
        with self._lock:
            prompt = self._tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
            inputs = self._tokenizer(prompt, return_tensors="pt")
            streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=300)
            errors: list[BaseException] = []

            def run() -> None:
                try:
                    with torch.inference_mode():
                        self._model.generate(**inputs, streamer=streamer, max_new_tokens=max_new_tokens, do_sample=False,
                                             repetition_penalty=1.05, pad_token_id=self._tokenizer.eos_token_id)
                except BaseException as exc:  # surfaced to the caller below
                    errors.append(exc)
                    streamer.end()

            worker = threading.Thread(target=run, daemon=True)
            worker.start()
            for piece in streamer:
                if piece:
                    yield piece
            worker.join()
            if errors:
                raise LLMError(f"local model failed: {errors[0]}")
