"""`python -m rag bench --load 1 2 4 8 [--load-rebuild]`: several users asking at once through the Python API (the
Answerer the page and `answer()` use), on the session's documents, idle or while a full rebuild runs.

Each of N clients asks its own questions one after another (the question list dealt round-robin); every answer
records when its first verified text arrived (the quote a model backend streams first, or the extractive answer's
first piece), when it ended, and whether it raised. Figures per N: p50 and p95 of both waits, answers per minute,
errors, the process's peak RSS.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Sequence

from ..types import Answer, Quoted
from .bench import peak_rss_mb
from .bench_llm import percentile

# Questions each client asks, by default.
LOAD_QUESTIONS_PER_CLIENT = 2


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

    def figures(self) -> dict:
        done = [a for a in self.answers if not a.error]
        firsts, totals = [a.first for a in done], [a.total for a in done]
        return {"clients": self.clients, "rebuild": self.rebuild, "answers": len(done),
                "errors": len(self.answers) - len(done),
                "first_p50_s": percentile(firsts, 0.5), "first_p95_s": percentile(firsts, 0.95),
                "total_p50_s": percentile(totals, 0.5), "total_p95_s": percentile(totals, 0.95),
                "answers_per_minute": 60 * len(done) / self.wall if self.wall > 0 else 0.0,
                "rebuild_s": self.rebuild_seconds, "peak_rss_mb": self.peak_rss_mb}


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


def run_load(session, backend: str, questions: Sequence[str], clients: int, rebuild: bool = False,
             per_client: int = LOAD_QUESTIONS_PER_CLIENT) -> LoadRun:
    """N clients at once (each on its own thread) asking `per_client` questions each, optionally while the
    session rebuilds its index from scratch."""
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
        t = time.perf_counter()
        session.build(full=True, allow_large=True)
        built["seconds"] = time.perf_counter() - t

    builder = threading.Thread(target=build, name="load-rebuild") if rebuild else None
    start = time.perf_counter()
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
    return LoadRun(clients, wall, sorted(results, key=lambda r: r.client), rebuild,
                   built.get("seconds", float("nan")), peak_rss_mb())


def describe_load(runs: Sequence[LoadRun], backend: str) -> list[str]:
    lines = [f"load ({backend}): clients, first verified text p50/p95 s, answer p50/p95 s, answers/min, errors, "
             f"rebuild s, peak RSS MB"]
    for run in runs:
        f = run.figures()
        lines.append(f"  {f['clients']:>2} {'during a rebuild' if f['rebuild'] else 'idle':16} "
                     f"{f['first_p50_s']:6.2f} {f['first_p95_s']:6.2f}  {f['total_p50_s']:6.2f} {f['total_p95_s']:6.2f}  "
                     f"{f['answers_per_minute']:6.1f}  {f['errors']:>2}  {f['rebuild_s']:6.0f}  {f['peak_rss_mb']:6.0f}")
    return lines


def bench_load(session, backend: str, questions: Sequence[str], client_counts: Sequence[int],
               rebuild: bool = False, per_client: int = LOAD_QUESTIONS_PER_CLIENT, log=print) -> list[dict]:
    """Warm the backend with one answer, then each client count idle (and during a rebuild when asked)."""
    if not questions:
        raise ValueError("the load bench needs questions")
    ask_timed(session.answerer(backend), -1, questions[0])
    runs = []
    for n in client_counts:
        for during in ([False, True] if rebuild else [False]):
            runs.append(run_load(session, backend, questions, n, during, per_client))
            log("\n".join(describe_load(runs[-1:], backend)))
    return [r.figures() for r in runs]


__all__ = ["LOAD_QUESTIONS_PER_CLIENT", "LoadRun", "Timed", "ask_timed", "bench_load", "describe_load", "run_load"]
