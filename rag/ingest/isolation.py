"""Formats with a parser (.docx, .pdf, .html) are parsed in a child process with a memory limit and a time
limit, so a hostile or broken file costs the build one skipped file with its reason, never the server's memory
or a CPU for hours. Plain text (.txt, .md) is only decoded, in-process.

One child serves every parse of this process (started at the first parse, about half a second), one parse at a
time; a child that runs out of time is killed and the next parse starts a new one. The child is a plain
`python -m rag.ingest.parse_worker`: a fresh interpreter that imports only the readers, never the caller's state.
"""
from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

from ..errors import DocumentError
from .limits import MB, Limits
from .readers import extract_text

# Suffixes whose readers parse structure (zip + XML, PDF objects, HTML tags); the rest are only decoded.
PARSED_SUFFIXES = frozenset({".docx", ".pdf", ".html", ".htm"})
WORKER_MODULE = "rag.ingest.parse_worker"
# How long a new child may take to start and answer its first request, beyond the parse time itself.
START_SECONDS = 20.0


def parse_text(path: Path, data: bytes, limits: Limits) -> tuple[str, str]:
    """(text, encoding-or-format) of a file's bytes: in the child process for parsed formats (the limits'
    parse_seconds and parse_memory_bytes apply), in-process for plain text."""
    if path.suffix.lower() not in PARSED_SUFFIXES:
        return extract_text(path, data, limits)
    return _WORKER.parse(path.name, data, limits)


class _Worker:
    """The child process and the lock that gives it one parse at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._memory = 0

    def parse(self, name: str, data: bytes, limits: Limits) -> tuple[str, str]:
        with self._lock:
            started = self._proc is None or self._proc.poll() is not None or self._memory != limits.parse_memory_bytes
            if started:
                self._start(limits.parse_memory_bytes)
            header = json.dumps({"name": name, "size": len(data), "limits": asdict(limits)}) + "\n"
            try:
                self._proc.stdin.write(header.encode("utf-8") + data)
                self._proc.stdin.flush()
                line = self._read_line(limits.parse_seconds + (START_SECONDS if started else 0.0))
            except BrokenPipeError:
                line = b""
            except TimeoutError:
                self._stop()
                raise DocumentError(name, f"parsing took longer than {limits.parse_seconds:.0f} s; the limit is "
                                          f"{limits.parse_seconds:.0f} s") from None
            if not line:
                code = self._stop()
                raise DocumentError(name, "the parser stopped on this file (exit code "
                                          f"{code}; memory limit {limits.parse_memory_bytes / MB:.0f} MB)")
        reply = json.loads(line)
        if "error" in reply:
            raise DocumentError(name, reply["error"])
        return reply["text"], reply["encoding"]

    def _start(self, memory: int) -> None:
        self._stop()
        root = str(Path(__file__).resolve().parents[2])  # the folder holding the rag package
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p),
                   RAG_PARSE_MEMORY_BYTES=str(memory), OMP_NUM_THREADS="1")
        self._proc = subprocess.Popen([sys.executable, "-m", WORKER_MODULE], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, env=env, cwd=root)
        self._memory = memory

    def _read_line(self, seconds: float) -> bytes:
        """One reply line from the child, or TimeoutError after `seconds`; b"" if the child ended."""
        deadline = time.monotonic() + seconds
        out = self._proc.stdout
        chunks: list[bytes] = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([out], [], [], left)
            if not ready:
                continue
            chunk = os.read(out.fileno(), 1 << 20)
            if not chunk:
                return b""
            chunks.append(chunk)
            if chunk.endswith(b"\n"):
                return b"".join(chunks)

    def _stop(self) -> int | None:
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.kill()
        code = proc.wait()
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        return code

    def close(self) -> None:
        with self._lock:
            self._stop()


_WORKER = _Worker()
atexit.register(_WORKER.close)
