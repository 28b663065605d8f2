"""A process's memory, read from /proc (Linux): the one place the benchmarks read it, with no dependency."""

from __future__ import annotations

from pathlib import Path


def _status_mb(field: str, pid: int | str) -> float:
    """A `VmXXX:` line of /proc/<pid>/status in MB; 0 when the process has ended or the line cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory now, in MB (VmRSS)."""
    return _status_mb("VmRSS", pid)


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident memory so far, in MB (VmHWM)."""
    return _status_mb("VmHWM", pid)
