"""Sliding-window limits: at most N events per client in any minute (failed logins, failed API keys, API requests,
feedback). Neutral ground: the page, the HTTP API and feedback all count with it."""

from __future__ import annotations

import threading
import time
from collections import deque

WINDOW_SECONDS = 60.0
# Clients tracked at most; past it, windows that have ended are dropped, then the longest-idle clients.
MAX_CLIENTS = 10_000


class SlidingWindow:
    """At most `per_minute` events per client in any `window` seconds, for at most `max_clients` clients at a
    time. Logins record only their failures (`allowed`, then `record`); the HTTP API records every request
    (`take`, which checks and records at once)."""

    def __init__(self, per_minute: int, window: float = WINDOW_SECONDS, max_clients: int = MAX_CLIENTS) -> None:
        self.per_minute = per_minute
        self.window = window
        self.max_clients = max_clients
        self._events: dict[str, deque[float]] = {}  # in order of each client's latest event
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._events.get(client, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def allowed(self, client: str, now: float | None = None) -> bool:
        with self._lock:
            return len(self._recent(client, time.monotonic() if now is None else now)) < self.per_minute

    def wait(self, client: str, now: float | None = None) -> float:
        """0 when the client is under its limit, else the seconds until it will be (nothing is recorded)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent(client, now)
            return max(times[0] + self.window - now, 0.001) if len(times) >= self.per_minute else 0.0

    def record(self, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._record(client, now)

    def take(self, client: str, now: float | None = None) -> float:
        """0 when the client may go ahead now (and it is counted), else the seconds until it may."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent(client, now)
            if len(times) >= self.per_minute:
                return max(times[0] + self.window - now, 0.001)
            self._record(client, now)
            return 0.0

    def _record(self, client: str, now: float) -> None:
        times = self._recent(client, now)
        times.append(now)
        self._events.pop(client, None)
        self._events[client] = times  # now the most recent
        if len(self._events) > self.max_clients:
            self._forget(now)

    def _forget(self, now: float) -> None:
        """Drop clients whose window has ended; if still too many, the longest-idle ones."""
        for client in [c for c, times in self._events.items() if now - times[-1] > self.window]:
            del self._events[client]
        while len(self._events) > self.max_clients:
            del self._events[next(iter(self._events))]

    def tracked(self) -> int:
        """How many clients the limiter remembers."""
        with self._lock:
            return len(self._events)

    def clients(self) -> set[str]:
        """The clients the limiter remembers."""
        with self._lock:
            return set(self._events)


__all__ = ["MAX_CLIENTS", "SlidingWindow", "WINDOW_SECONDS"]
