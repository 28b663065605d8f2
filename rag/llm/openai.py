"""Any OpenAI-compatible /chat/completions server, streaming (vLLM, Ollama, llama.cpp, DeepSeek, DashScope)."""

from __future__ import annotations

import json
import time
from typing import Iterator

from ..errors import LLMError
from .base import ChatBackend, Message


class OpenAIChat(ChatBackend):
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
        body = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "temperature": 0,
            "max_tokens": max_new_tokens,
        }
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
