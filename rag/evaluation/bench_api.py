"""`python -m rag bench --api [--api-clients 8]`: what the HTTP API adds to an answer, and how it holds several
clients at once.

The server is the real one (`ui.layout.server_app`: API and page, under uvicorn on a free loopback port) with a key
made for the run. After a warm-up pass over every question, each question is answered directly (`Answerer.stream`,
what `rag.answer` does) and through `POST /api/ask` (httpx, a kept-alive connection), which goes first alternating
by round; the overhead is the median of the paired differences. Then N clients each ask every question through the API at once:
answers a second, p50/p95 latency, errors.
"""

from __future__ import annotations

import secrets
import statistics
import threading
import time
from typing import Sequence

from .bench_llm import percentile
from .bench_page import free_port

API_CLIENTS = 8
ROUNDS = 3  # each question this many times each way for the overhead


class LiveServer:
    """The page's server (API included) for `session` under uvicorn in a thread on a free loopback port. Without
    `api_keys` it makes one key for the run (`key`); the rate limit is `per_minute` a key."""

    def __init__(self, session, api_keys: str | None = None, per_minute: int = 10**9) -> None:
        import uvicorn

        from ..serve import server_app

        self.key = secrets.token_urlsafe(24)
        keys = api_keys if api_keys is not None else f"bench:{self.key}"
        session.settings = session.settings.with_(api_keys=keys, api_requests_per_minute=per_minute)
        self.port = free_port()
        self.app = server_app(session)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, name="live-server", daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.time() + 60
        while not self.server.started and time.time() < deadline:
            time.sleep(0.05)
        if not self.server.started:
            raise RuntimeError("the API server did not start within 60 s")
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _direct(session, question: str) -> float:
    t = time.perf_counter()
    for _ in session.answerer("extractive").stream(question):
        pass
    return time.perf_counter() - t


def _through_api(http, url: str, key: str, question: str) -> tuple[float, bool]:
    t = time.perf_counter()
    r = http.post(
        url + "/api/ask", json={"question": question, "llm": "extractive"}, headers={"Authorization": f"Bearer {key}"}
    )
    return time.perf_counter() - t, r.status_code == 200


def bench_api(session, questions: Sequence[str], clients: int = API_CLIENTS, rounds: int = ROUNDS, log=print) -> dict:
    import httpx

    if not questions:
        raise ValueError("the API bench needs questions")
    with LiveServer(session) as live, httpx.Client(timeout=120) as http:
        for q in questions:  # warm-up: embedder, retriever, the query-vector cache, the connection
            _direct(session, q)
        _through_api(http, live.url, live.key, questions[0])
        direct, api, paired = [], [], []
        for n in range(rounds):
            for q in questions:  # alternate which way goes first, so neither gains from the other's caches
                if n % 2:
                    a, _ = _through_api(http, live.url, live.key, q)
                    d = _direct(session, q)
                else:
                    d = _direct(session, q)
                    a, _ = _through_api(http, live.url, live.key, q)
                direct.append(d)
                api.append(a)
                paired.append(a - d)
        results: list[tuple[float, bool]] = []
        lock = threading.Lock()

        def client() -> None:
            with httpx.Client(timeout=300) as own:
                for q in questions:
                    outcome = _through_api(own, live.url, live.key, q)
                    with lock:
                        results.append(outcome)

        threads = [threading.Thread(target=client) for _ in range(clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
    ok = [s for s, good in results if good]
    figures = {
        "questions": len(questions),
        "direct_p50_ms": 1000 * statistics.median(direct),
        "api_p50_ms": 1000 * statistics.median(api),
        "overhead_p50_ms": 1000 * statistics.median(paired),
        "clients": clients,
        "requests": len(results),
        "errors": len(results) - len(ok),
        "answers_per_second": len(ok) / wall if wall else 0.0,
        "concurrent_p50_ms": 1000 * percentile(ok, 0.5),
        "concurrent_p95_ms": 1000 * percentile(ok, 0.95),
    }
    log(
        f"API (extractive, {len(questions)} questions × {rounds}): direct p50 {figures['direct_p50_ms']:.1f} ms, "
        f"through POST /api/ask p50 {figures['api_p50_ms']:.1f} ms, overhead p50 {figures['overhead_p50_ms']:.1f} ms"
    )
    log(
        f"API, {clients} concurrent clients × {len(questions)} questions: {figures['answers_per_second']:.1f} answers/s, "
        f"p50 {figures['concurrent_p50_ms']:.0f} ms, p95 {figures['concurrent_p95_ms']:.0f} ms, "
        f"errors {figures['errors']} of {figures['requests']}"
    )
    return figures


__all__ = ["API_CLIENTS", "LiveServer", "bench_api"]
