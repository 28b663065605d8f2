"""Which llama.cpp build this environment has, and whether this CPU can run it, checked before llama.cpp loads.

`make install` compiles llama.cpp for the installing machine's CPU class and records it in the environment
(`<venv>/llama-cpu`: the build's name, then the CPU flags it needs): the portable AVX2 build everywhere, or an
AVX-512 build (VNNI, VBMI, BF16; never AMX, whose Q4_K_M path segfaults, llama.cpp #20824) where the CPU has those
flags: it prefills about twice as fast. An environment copied to a CPU without those flags would die on an illegal
instruction inside llama.cpp; this check turns that into a clear error before the library is loaded.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import LocalModelError

# The file `make install` writes into the environment.
BUILD_RECORD = "llama-cpu"
PORTABLE = "portable"


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The CPU's feature flags (empty when /proc/cpuinfo cannot be read)."""
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def recorded_build(prefix: Path | None = None) -> tuple[str, tuple[str, ...]]:
    """(build name, CPU flags it needs) as recorded at install; the portable build when nothing is recorded."""
    path = Path(prefix if prefix is not None else sys.prefix) / BUILD_RECORD
    try:
        words = path.read_text(encoding="utf-8").split()
    except OSError:
        return PORTABLE, ()
    return (words[0], tuple(words[1:])) if words else (PORTABLE, ())


def check_build(prefix: Path | None = None, flags: set[str] | None = None) -> str:
    """The recorded build's name; LocalModelError when this CPU lacks a flag the build needs."""
    name, needed = recorded_build(prefix)
    present = cpu_flags() if flags is None else flags
    missing = [f for f in needed if f not in present]
    if missing and present:
        raise LocalModelError(
            f"llama.cpp in this environment was compiled for CPUs with {', '.join(needed)} ({name} build); this CPU "
            f"lacks {', '.join(missing)}. Run `make install` again on this machine (it picks the build for this CPU)."
        )
    return name


# How long llama.cpp's OpenMP threads spin waiting for each other before they sleep (libgomp reads it when the
# library loads). Its default spins about ten times longer: with an embedding build competing for the 2 cores, a
# local answer then took 10.3-11.9 s against 3.6-3.9 s idle; with 20000, 7.1-12.0 s (median 7.9) and the same idle
# speed; OMP_WAIT_POLICY=PASSIVE (no spinning) 6.7-8.0 s but 4.3-4.8 s idle (docs/benchmarks.md). A value the
# user set in the environment wins.
OPENMP_SPINCOUNT = "20000"


def import_llama():
    """The llama_cpp module, after checking that this CPU can run the installed build; its OpenMP threads spin
    OPENMP_SPINCOUNT before they sleep, unless the environment says otherwise."""
    check_build()
    os.environ.setdefault("GOMP_SPINCOUNT", OPENMP_SPINCOUNT)
    import llama_cpp

    return llama_cpp
