"""Untrusted document work runs in child processes with a memory limit and a time limit, so a hostile or broken
file costs the build one skipped file with its reason, never the server's memory or a CPU for hours.

Two kinds of request: `parse` (a .docx/.pdf/.html file's text; plain text is only decoded, in-process) and
`analyse` (ingest/analysis.py: text, facts, standing claims and clauses of any file — every rule that reads a
document's whole text runs there, inside the same limits as parsing).

A pool of at most `limits.parse_workers` children serves every request of this process; more requests wait their
turn (`queue_state` tells how many run and wait, for the page). A child is started once and reused; it reports
ready before its first request, so a request's time limit is the parse's alone (`limits.parse_seconds`), never the
child's start. A child that runs out of time is killed; the next request starts a new one. The child is a plain
`python -m rag.ingest.parse_worker`: a fresh interpreter that imports only the ingest stage, never the caller's
state.
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
from typing import IO

from ..errors import DocumentError
from .limits import MB, Limits
from .readers import extract_text

# Suffixes whose readers parse structure (zip + XML, PDF objects, HTML tags); the rest are only decoded.
PARSED_SUFFIXES = frozenset({".docx", ".pdf", ".html", ".htm"})
WORKER_MODULE = "rag.ingest.parse_worker"
READY = b"ready\n"  # what a child writes once it is started and limited
# How long a new child may take to start (import its readers, set its limit) before it counts as failed.
START_SECONDS = 20.0


def parse_text(path: Path, data: bytes, limits: Limits) -> tuple[str, str]:
    """(text, encoding-or-format) of a file's bytes: in a child process for parsed formats (the limits'
    parse_seconds and parse_memory_bytes apply), in-process for plain text."""
    if path.suffix.lower() not in PARSED_SUFFIXES:
        return extract_text(path, data, limits)
    reply = _POOL.run({"kind": "parse", "name": path.name}, data, limits)
    return reply["text"], reply["encoding"]


def run_isolated(header: dict, data: bytes, limits: Limits) -> dict:
    """Send one request (`header` names its kind and file) to a child; its JSON reply, or DocumentError."""
    return _POOL.run(header, data, limits)


def queue_state() -> tuple[int, int]:
    """(requests running in children, requests waiting for one) in this process."""
    return _POOL.state()


class _Child:
    """One child process, started and limited, answering one request at a time."""

    def __init__(self, memory: int) -> None:
        root = str(Path(__file__).resolve().parents[2])  # the folder holding the rag package
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p),
            RAG_PARSE_MEMORY_BYTES=str(memory),
            OMP_NUM_THREADS="1",
        )
        self.memory = memory
        self.proc = subprocess.Popen(
            [sys.executable, "-m", WORKER_MODULE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=root
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None  # both are pipes
        self.stdin: IO[bytes] = self.proc.stdin
        self.stdout: IO[bytes] = self.proc.stdout
        try:
            ready = self._read_line(START_SECONDS)
        except TimeoutError:
            ready = b""
        if ready != READY:
            code = self.stop()
            raise DocumentError("", f"the parser process did not start (exit code {code})")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def request(self, header: dict, data: bytes, limits: Limits) -> dict:
        name = header.get("name", "")
        line = json.dumps({**header, "size": len(data), "limits": asdict(limits)}, ensure_ascii=False) + "\n"
        try:
            self.stdin.write(line.encode("utf-8") + data)
            self.stdin.flush()
            reply = self._read_line(limits.parse_seconds)
        except BrokenPipeError:
            reply = b""
        except TimeoutError:
            self.stop()
            raise DocumentError(name, f"reading it took longer than {limits.parse_seconds:.0f} s (the limit)") from None
        if not reply:
            code = self.stop()
            raise DocumentError(
                name,
                "the parser stopped on this file (exit code "
                f"{code}; memory limit {limits.parse_memory_bytes / MB:.0f} MB)",
            )
        answer = json.loads(reply)
        if "error" in answer:
            raise DocumentError(name, answer["error"])
        return answer

    def _read_line(self, seconds: float) -> bytes:
        """One line from the child, or TimeoutError after `seconds`; b"" if the child ended."""
        deadline = time.monotonic() + seconds
        out = self.stdout
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

    def stop(self) -> int | None:
        proc = self.proc
        if proc.poll() is None:
            proc.kill()
        code = proc.wait()
        for stream in (self.stdin, self.stdout):
            try:
                stream.close()
            except OSError:
                pass
        return code


class _Pool:
    """At most `limits.parse_workers` children at once; idle ones are kept for the next request."""

    def __init__(self) -> None:
        self._state = threading.Condition()
        self._idle: list[_Child] = []
        self._running = 0
        self._waiting = 0

    def state(self) -> tuple[int, int]:
        with self._state:
            return self._running, self._waiting

    def run(self, header: dict, data: bytes, limits: Limits) -> dict:
        child = self._take(limits)
        try:
            if child is None:
                child = _Child(limits.parse_memory_bytes)
            return child.request(header, data, limits)
        finally:
            self._give_back(child)

    def _take(self, limits: Limits) -> _Child | None:
        """Wait for a free place; an idle child with the same memory limit, or None (start one)."""
        with self._state:
            self._waiting += 1
            try:
                self._state.wait_for(lambda: self._running < max(1, limits.parse_workers))
            finally:
                self._waiting -= 1
            self._running += 1
            while self._idle:
                child = self._idle.pop()
                if child.alive() and child.memory == limits.parse_memory_bytes:
                    return child
                child.stop()
            return None

    def _give_back(self, child: _Child | None) -> None:
        with self._state:
            self._running -= 1
            if child is not None and child.alive():
                self._idle.append(child)
            self._state.notify_all()

    def close(self) -> None:
        with self._state:
            idle, self._idle = self._idle, []
        for child in idle:
            child.stop()


_POOL = _Pool()
atexit.register(_POOL.close)
