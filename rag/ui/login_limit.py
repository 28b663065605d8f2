"""Failed logins are limited per client address: past the limit within a minute, login answers 429 at once."""

from __future__ import annotations

from ..rate_limit import SlidingWindow


class LoginLimiter(SlidingWindow):
    """Counts failed logins per client in a sliding window of a minute."""

    failed = SlidingWindow.record


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
