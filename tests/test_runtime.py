"""The process-wide malloc arena cap: in force on glibc, and the environment's MALLOC_ARENA_MAX wins."""
from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's arena cap is glibc's")
PROBE = "from rag.runtime import limit_malloc_arenas; print(limit_malloc_arenas())"


def run(env_extra: dict) -> str:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | env_extra
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_the_cap_is_set_on_glibc():
    assert run({}) == "True"


def test_the_environment_wins():
    assert run({"MALLOC_ARENA_MAX": "4"}) == "False"


def test_freed_heap_pages_go_back_to_the_system():
    import ctypes

    from rag.evaluation.memory import rss_mb
    from rag.runtime import release_freed_memory

    blocks = [ctypes.create_string_buffer(64 * 1024) for _ in range(2000)]  # 128 MB in heap-sized pieces
    before = rss_mb()
    del blocks
    assert release_freed_memory() is True
    assert rss_mb() < before - 64
