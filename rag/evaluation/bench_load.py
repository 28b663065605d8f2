"""`python -m rag bench --load 1 2 4 8 [--load-rebuild] [--load-builds N]`: several users asking at once through the
Python API (the Answerer the page and `answer()` use), on the session's documents, idle, while a full rebuild runs in
this process (as the page's rebuild button runs it), or while N full builds run as other processes
(`python -m rag build --full`, each into a folder of its own, as a second server or a scheduled job would).

Each of N clients asks its own questions one after another (the question list dealt round-robin); every answer
records when its first verified text arrived (the quote a model backend streams first, or the extractive answer's
first piece), when it ended, and whether it raised. Figures per N: p50 and p95 of both waits, answers per minute,
errors, the process's peak RSS, and the outside builds' seconds and peak RSS (the largest one).
"""

from __future__ import annotations

import math
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from dataclasses import dataclass, field
from typing import Sequence

from ..indexing.priority import lower_priority
from ..types import Answer, Quoted
from .memory import peak_rss_mb
from .bench_llm import percentile

# Questions each client asks, by default.
LOAD_QUESTIONS_PER_CLIENT = 2
# How often the outside builds' peak memory is read.
BUILD_POLL_SECONDS = 0.2


@dataclass
class Timed:
    client: int
    question: str
    first: float = float("nan")  # seconds to the first verified text
    total: float = float("nan")  # seconds to the final answer
    error: str = ""


@dataclass
class LoadRun:
    clients: int
    wall: float
    answers: list[Timed] = field(default_factory=list)
    rebuild: bool = False
    rebuild_seconds: float = float("nan")
    peak_rss_mb: float = 0.0
    builds: int = 0  # full builds run as other processes meanwhile
    builds_seconds: float = float("nan")  # until the last of them ended
    build_peak_rss_mb: float = 0.0  # the largest of them
    build_errors: int = 0

    def figures(self) -> dict:
        done = [a for a in self.answers if not a.error]
        firsts, totals = [a.first for a in done], [a.total for a in done]
        # Each client's first answer (all asked at once): the slowest is what the last user in line waited.
        first_round = [next(a for a in self.answers if a.client == c) for c in {a.client for a in self.answers}]
        last_in_line = max((a.total for a in first_round if not a.error), default=float("nan"))
        return {
            "clients": self.clients,
            "rebuild": self.rebuild,
            "answers": len(done),
            "last_in_line_s": last_in_line,
            "errors": len(self.answers) - len(done),
            "first_p50_s": percentile(firsts, 0.5),
            "first_p95_s": percentile(firsts, 0.95),
            "total_p50_s": percentile(totals, 0.5),
            "total_p95_s": percentile(totals, 0.95),
            "answers_per_minute": 60 * len(done) / self.wall if self.wall > 0 else 0.0,
            "rebuild_s": self.rebuild_seconds,
            "peak_rss_mb": self.peak_rss_mb,
            "builds": self.builds,
            "builds_s": self.builds_seconds,
            "build_peak_rss_mb": self.build_peak_rss_mb,
            "build_errors": self.build_errors,
        }

    def load(self) -> str:
        if self.builds:
            return f"{self.builds} build process{'es' if self.builds > 1 else ''}"
        return "during a rebuild" if self.rebuild else "idle"


def build_commands(session, count: int, folder: Path) -> list[list[str]]:
    """`python -m rag build --full` of the session's documents into `count` folders of their own (the CLI lowers
    its priority as it does for anyone who runs it)."""
    s = session.settings
    return [
        [
            sys.executable,
            "-m",
            "rag",
            "build",
            "--full",
            "--allow-large",
            "--docs",
            str(s.docs_dir),
            "--index",
            str(folder / f"build-{n}"),
            "--embedder",
            s.embedder,
        ]
        for n in range(count)
    ]


class OutsideBuilds:
    """Build processes started together; `finish()` waits for them and returns (seconds, largest peak RSS MB,
    failures). Their peak memory is read while they run (a process's own record ends with it)."""

    def __init__(self, commands: list[list[str]]) -> None:
        self.started = time.perf_counter()
        self.processes = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for c in commands]
        self.peak = 0.0
        self._watch = threading.Thread(target=self._poll, name="load-build-memory", daemon=True)
        self._watch.start()

    def _poll(self) -> None:
        while any(p.poll() is None for p in self.processes):
            self.peak = max([self.peak] + [peak_rss_mb(p.pid) for p in self.processes if p.poll() is None])
            time.sleep(BUILD_POLL_SECONDS)

    def finish(self) -> tuple[float, float, int]:
        failed = 0
        for p in self.processes:
            _, err = p.communicate()
            if p.returncode != 0:
                failed += 1
                print(f"load bench: a build process failed: {err.decode(errors='replace')[-300:]}", file=sys.stderr)
        seconds = time.perf_counter() - self.started
        self._watch.join()
        return seconds, self.peak, failed


def ask_timed(answerer, client: int, question: str) -> Timed:
    """One answer, streamed as the page streams it."""
    timed = Timed(client, question)
    start = time.perf_counter()
    try:
        for piece in answerer.stream(question):
            shown = isinstance(piece, (Quoted, Answer)) or (isinstance(piece, str) and piece.strip())
            if shown and math.isnan(timed.first):
                timed.first = time.perf_counter() - start
        timed.total = time.perf_counter() - start
    except Exception as exc:  # counted, never raised: one client's failure is a figure of the run
        timed.error = f"{type(exc).__name__}: {exc}"[:200]
    return timed


def run_load(
    session,
    backend: str,
    questions: Sequence[str],
    clients: int,
    rebuild: bool = False,
    per_client: int = LOAD_QUESTIONS_PER_CLIENT,
    builds: int = 0,
    commands=build_commands,
) -> LoadRun:
    """N clients at once (each on its own thread) asking `per_client` questions each, optionally while the
    session rebuilds its index from scratch (`rebuild`) or while `builds` full builds run as other processes
    (`commands(session, builds, folder)` gives their command lines)."""
    answerer = session.answerer(backend)
    deal = [[questions[(c + clients * k) % len(questions)] for k in range(per_client)] for c in range(clients)]
    results: list[Timed] = []
    lock = threading.Lock()
    built: dict[str, float] = {}

    def client(n: int) -> None:
        for question in deal[n]:
            timed = ask_timed(answerer, n, question)
            with lock:
                results.append(timed)

    def build() -> None:
        lower_priority(thread=True)  # as the page's rebuild thread does
        t = time.perf_counter()
        session.build(full=True, allow_large=True)
        built["seconds"] = time.perf_counter() - t

    builder = threading.Thread(target=build, name="load-rebuild") if rebuild else None
    with tempfile.TemporaryDirectory(prefix="rag-load-builds-") as folder:
        start = time.perf_counter()
        outside = OutsideBuilds(commands(session, builds, Path(folder))) if builds else None
        if builder is not None:
            builder.start()
        threads = [threading.Thread(target=client, args=(n,), name=f"load-client-{n}") for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        if builder is not None:
            builder.join()
        builds_seconds, build_peak, build_errors = outside.finish() if outside else (float("nan"), 0.0, 0)
    return LoadRun(
        clients,
        wall,
        sorted(results, key=lambda r: r.client),
        rebuild,
        built.get("seconds", float("nan")),
        peak_rss_mb(),
        builds,
        builds_seconds,
        build_peak,
        build_errors,
    )


def describe_load(runs: Sequence[LoadRun], backend: str) -> list[str]:
    lines = [
        f"load ({backend}): clients, load, first verified text p50/p95 s, answer p50/p95 s, the last in line's "
        f"first answer s, answers/min, errors, rebuild s, peak RSS MB[, outside builds: s, largest peak RSS MB, "
        f"failed]"
    ]
    for run in runs:
        f = run.figures()
        line = (
            f"  {f['clients']:>2} {run.load():17} "
            f"{f['first_p50_s']:6.2f} {f['first_p95_s']:6.2f}  {f['total_p50_s']:6.2f} {f['total_p95_s']:6.2f}  "
            f"{f['last_in_line_s']:6.2f}  {f['answers_per_minute']:6.1f}  {f['errors']:>2}  {f['rebuild_s']:6.0f}  {f['peak_rss_mb']:6.0f}"
        )
        if run.builds:
            line += f"  {f['builds_s']:6.0f} {f['build_peak_rss_mb']:6.0f} {f['build_errors']:>2}"
        lines.append(line)
    return lines


def bench_load(  # noqa: PLR0913 (known debt, issue 30)
    session,
    backend: str,
    questions: Sequence[str],
    client_counts: Sequence[int],
    rebuild: bool = False,
    per_client: int = LOAD_QUESTIONS_PER_CLIENT,
    log=print,
    builds: int = 0,
    commands=build_commands,
) -> list[dict]:
    """Warm the backend with one answer, then each client count idle, during a rebuild in this process when
    asked, and beside `builds` outside build processes when asked."""
    if not questions:
        raise ValueError("the load bench needs questions")
    ask_timed(session.answerer(backend), -1, questions[0])
    loads = [(False, 0)] + ([(True, 0)] if rebuild else []) + ([(False, builds)] if builds else [])
    runs = []
    for n in client_counts:
        for during, outside in loads:
            runs.append(run_load(session, backend, questions, n, during, per_client, outside, commands))
            log("\n".join(describe_load(runs[-1:], backend)))
    return [r.figures() for r in runs]


__all__ = [
    "LOAD_QUESTIONS_PER_CLIENT",
    "LoadRun",
    "OutsideBuilds",
    "Timed",
    "ask_timed",
    "bench_load",
    "build_commands",
    "describe_load",
    "run_load",
]
