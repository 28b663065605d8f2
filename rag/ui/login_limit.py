"""Failed logins are limited per client address: past the limit within a minute, login answers 429 at once."""

from __future__ import annotations

import threading
import time
from collections import deque

WINDOW_SECONDS = 60.0
# Clients tracked at most; past it, windows that have ended are dropped, then the longest-idle clients.
MAX_CLIENTS = 10_000


class LoginLimiter:
    """Counts failed logins per client in a sliding window, for at most `max_clients` clients at a time."""

    def __init__(self, per_minute: int, max_clients: int = MAX_CLIENTS) -> None:
        self.per_minute = per_minute
        self.max_clients = max_clients
        self._failures: dict[str, deque[float]] = {}  # in order of each client's latest failure
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.get(client, deque())
        while times and now - times[0] > WINDOW_SECONDS:
            times.popleft()
        return times

    def allowed(self, client: str, now: float | None = None) -> bool:
        with self._lock:
            return len(self._recent(client, time.monotonic() if now is None else now)) < self.per_minute

    def failed(self, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent(client, now)
            times.append(now)
            self._failures.pop(client, None)
            self._failures[client] = times  # now the most recent
            if len(self._failures) > self.max_clients:
                self._forget(now)

    def _forget(self, now: float) -> None:
        """Drop clients whose window has ended; if still too many, the longest-idle ones."""
        for client in [c for c, times in self._failures.items() if now - times[-1] > WINDOW_SECONDS]:
            del self._failures[client]
        while len(self._failures) > self.max_clients:
            del self._failures[next(iter(self._failures))]

    def tracked(self) -> int:
        """How many clients the limiter remembers."""
        with self._lock:
            return len(self._failures)


def add_login_limit(app, limiter: LoginLimiter) -> None:
    """Guard the FastAPI app's login route(s) with the limiter."""
    from fastapi.responses import JSONResponse

    @app.middleware("http")
    async def limit_logins(request, call_next):
        if request.method != "POST" or not request.url.path.rstrip("/").endswith("/login"):
            return await call_next(request)
        client = request.client.host if request.client else "unknown"
        if not limiter.allowed(client):
            return JSONResponse({"detail": "登录尝试过多，请一分钟后再试。"}, status_code=429)
        response = await call_next(request)
        if response.status_code >= 400:
            limiter.failed(client)
        return response
