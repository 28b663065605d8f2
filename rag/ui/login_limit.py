"""Failed logins are limited per client address: past the limit within a minute, login answers 429 at once."""
from __future__ import annotations

import threading
import time
from collections import deque

WINDOW_SECONDS = 60.0


class LoginLimiter:
    """Counts failed logins per client in a sliding window."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.setdefault(client, deque())
        while times and now - times[0] > WINDOW_SECONDS:
            times.popleft()
        return times

    def allowed(self, client: str, now: float | None = None) -> bool:
        with self._lock:
            return len(self._recent(client, time.monotonic() if now is None else now)) < self.per_minute

    def failed(self, client: str, now: float | None = None) -> None:
        with self._lock:
            self._recent(client, time.monotonic() if now is None else now).append(
                time.monotonic() if now is None else now)


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
