"""Process-wide memory policy, applied by the entry points (`app.py`, `python -m rag`) before any thread starts.

glibc gives each thread that allocates its own malloc arena (up to 8 per core); a server whose answers, query
embeddings, rebuild and parse bookkeeping run on many threads keeps freed memory scattered over all of them.
Two arenas keep the serving process's peak within its budget (docs/benchmarks.md, "Memory during a rebuild").
MALLOC_ARENA_MAX set in the environment wins; elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

log = logging.getLogger(__name__)

MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number (glibc malloc.h)


def _glibc_call(function: str, *args: int) -> bool:
    """Call a glibc malloc function; True when it reports success, False where there is no such function."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        return bool(getattr(ctypes.CDLL(name), function)(*args))
    except (OSError, AttributeError) as exc:  # not glibc
        log.debug("%s unavailable: %s", function, exc)
        return False


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas for this process; True when the cap is in force."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False  # the environment's choice, read by glibc itself
    return _glibc_call("mallopt", _M_ARENA_MAX, int(arenas))


def release_freed_memory() -> bool:
    """Hand the heap's free pages back to the system (glibc's malloc_trim): after a rebuild or a model load, the
    memory Python and the libraries freed stays resident until then, and the next rebuild's peak adds to it.
    True when glibc trimmed something."""
    return _glibc_call("malloc_trim", 0)


__all__ = ["MALLOC_ARENAS", "limit_malloc_arenas", "release_freed_memory"]
