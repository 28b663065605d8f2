"""CPU priority of index builds: a build gives way to answers on the same machine.

On two cores a build (reading, parsing in child processes, embedding) and the local chat model compete for the same
cores, and llama.cpp's threads stall when one of them is descheduled. A build therefore runs at a lower priority
(a higher nice value): `python -m rag build` lowers its whole process, a rebuild started from the page lowers the
thread that runs it (Linux keeps a nice value per thread; the parse workers it starts inherit it). A build alone on
the machine runs at the same speed: nice only matters when something else wants the cores.

The in-process embedding also steps aside while the model generates (`indexing/runner.py`, `yielding_runner`);
onnxruntime's pool threads were started with the embedder and keep its priority, so that pause, not the nice
value, keeps them off the cores during an answer.
"""

from __future__ import annotations

import logging
import os
import threading

log = logging.getLogger(__name__)

# The nice value a build runs at (0 = normal, 19 = lowest). Ten leaves a build about 1 % of the CPU while a
# process at nice 0 wants every core (Linux's weights: 1,024 against 110 per nice-0 and nice-10 task).
BUILD_NICE = 10


def current_nice(thread_id: int | None = None) -> int:
    """The nice value of a thread (Linux: a thread's id is a process id to getpriority), this one by default."""
    return os.getpriority(os.PRIO_PROCESS, thread_id or threading.get_native_id())


def _threads(thread: bool) -> list[int]:
    """This thread, or every thread of the process (Linux keeps the nice value per thread, and setpriority on
    the process id reaches only its first thread)."""
    if thread:
        return [threading.get_native_id()]
    try:
        return [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        return [0]


def lower_priority(nice: int = BUILD_NICE, thread: bool = False) -> int:
    """Raise the nice value of this process's threads (or only the calling thread) to at least `nice`; threads
    started afterwards inherit it. Never lowers it (an unprivileged process could not raise it back). Returns the
    calling thread's nice value now; a platform without setpriority keeps its priority and says so in the log."""
    try:
        for who in _threads(thread):
            try:
                if os.getpriority(os.PRIO_PROCESS, who) < nice:
                    os.setpriority(os.PRIO_PROCESS, who, nice)
            except ProcessLookupError:  # a thread that ended meanwhile
                continue
        return current_nice()
    except (AttributeError, OSError) as exc:  # no setpriority (Windows) or not allowed: build at the same priority
        log.warning("cannot lower the build's CPU priority (%s)", exc)
        return 0


__all__ = ["BUILD_NICE", "current_nice", "lower_priority"]
