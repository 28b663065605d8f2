"""Chat backends behind one streaming interface: local (bundled Qwen) and OpenAI-compatible servers.

>>> llm = make_llm("openai", Settings(openai_base_url="http://127.0.0.1:8000/v1"))  # doctest: +SKIP
>>> "".join(llm.stream([{"role": "user", "content": "你好"}], max_new_tokens=20))  # doctest: +SKIP
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Iterator, Protocol

from .config import Settings

Message = dict  # {"role": "system"|"user"|"assistant", "content": str}


class LLMError(RuntimeError):
    """The backend could not produce an answer (unreachable, timed out, bad response)."""


class ChatBackend(Protocol):
    name: str

    def stream(self, messages: list[Message], max_new_tokens: int) -> Iterator[str]: ...


class LocalLLM:
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
            from .local_model import load_local_model

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


class OpenAIChat:
    """Any OpenAI-compatible /chat/completions server (vLLM, Ollama, llama.cpp, DeepSeek, DashScope), streaming."""

    name = "openai"

    def __init__(self, base_url: str, model: str, api_key: str = "", timeout: float = 60.0, retries: int = 2) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.retries = retries

    def stream(self, messages: list[Message], max_new_tokens: int) -> Iterator[str]:
        import httpx

        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        body = {"model": self.model, "messages": messages, "stream": True, "temperature": 0, "max_tokens": max_new_tokens}
        timeout = httpx.Timeout(self.timeout, connect=min(5.0, self.timeout))
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            started = False
            try:
                with httpx.Client(timeout=timeout) as client:
                    with client.stream("POST", self.url, json=body, headers=headers) as response:
                        if response.status_code >= 400:
                            detail = response.read().decode("utf-8", "replace")[:200]
                            err = LLMError(f"{self.url} answered HTTP {response.status_code}: {detail}")
                            if response.status_code < 500 and response.status_code != 429:
                                raise err
                            raise httpx.TransportError(str(err))
                        for piece in _sse_pieces(response.iter_lines()):
                            started = True
                            yield piece
                return
            except LLMError:
                raise
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                last = exc
                if started:
                    raise LLMError(f"connection to {self.url} broke mid-answer: {exc}") from exc
                if attempt < self.retries:
                    time.sleep(min(0.5 * 2**attempt, 4.0))
        raise LLMError(f"cannot reach {self.url} after {self.retries + 1} attempts: {type(last).__name__}: {last}")


def _sse_pieces(lines: Iterator[str]) -> Iterator[str]:
    """Text deltas from an OpenAI streaming response ("data: {...}" lines, ending with "data: [DONE]")."""
    for line in lines:
        line = line.strip()
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            event = json.loads(data)
        except json.JSONDecodeError as exc:
            raise LLMError(f"server sent malformed stream data: {data[:80]}") from exc
        for choice in event.get("choices", []):
            piece = (choice.get("delta") or {}).get("content") or (choice.get("message") or {}).get("content")
            if piece:
                yield piece


_local_models: dict[Path, LocalLLM] = {}


def make_llm(name: str, settings: Settings) -> ChatBackend | None:
    """Backend for a settings string; None means extractive (no LLM)."""
    if name == "extractive":
        return None
    if name == "local":
        key = Path(settings.cache_dir)
        if key not in _local_models:  # the model is 3 GB in memory: share it between sessions
            _local_models[key] = LocalLLM(key)
        return _local_models[key]
    if name == "openai":
        return OpenAIChat(settings.openai_base_url, settings.openai_model, settings.openai_api_key,
                          settings.openai_timeout, settings.openai_retries)
    raise ValueError(f"unknown LLM backend {name!r}: use local, openai or extractive")
