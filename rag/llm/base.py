"""The chat backend interface: one streaming method. Backends: local (bundled Qwen), OpenAI-compatible.

To add a backend: subclass ChatBackend, set `name`, load lazily in `warm_up`, stream text pieces from
`stream`, raise LLMError (never anything else) when it cannot answer, add a branch to `llm.factory.make_llm`
and add it to tests/test_contracts.py.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Iterator

from ..errors import LLMError
from .queue import GenerationQueue

Message = dict  # {"role": "system"|"user"|"assistant", "content": str}

__all__ = ["ChatBackend", "LLMError", "Message"]


class ChatBackend(ABC):
    """Streams the reply to a list of chat messages, greedily (temperature 0)."""

    name: str = ""
    # Backends that can run one generation at a time (a local model) queue their callers here; None means the
    # backend takes concurrent requests (a server).
    queue: GenerationQueue | None = None

    def warm_up(self) -> None:
        """Load what the backend needs now rather than on the first question."""

    def keep_prefix(self, messages: list[Message]) -> int:
        """Let the backend keep its state after these fixed leading messages (the system rules), so prompts that
        start with them skip that part; returns the prefix length in tokens (0: not supported)."""
        return 0

    def count_tokens(self, messages: list[Message]) -> int:
        """The prompt's length in the model's tokens (the benchmarks ask; a backend that cannot tell raises)."""
        raise NotImplementedError(f"the {self.name or type(self).__name__} backend does not count tokens")

    @abstractmethod
    def stream(self, messages: list[Message], max_new_tokens: int) -> Iterator[str]:
        """Yield the reply in pieces; raise LLMError when no answer can be produced."""
