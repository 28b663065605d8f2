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
