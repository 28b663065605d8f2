"""The server: the HTTP API (/api, /v1, /docs) and the chat page on one FastAPI app, assembled here above both
ui/ and web/ (neither imports the other), and its launch under uvicorn (loopback by default, never a public share
link)."""

from __future__ import annotations

import gradio as gr

from .session import Session
from .ui.handlers import ChatApp
from .ui.layout import build_page
from .ui.login_limit import LoginLimiter, add_login_limit
from .ui.uploads import add_upload_guard, start_sweeping
from .ui.views import PAGE_CSS, PAGE_HEAD


def server_app(session: Session):
    """The server's ASGI app: the HTTP API (/api, /v1, /docs) with the page mounted at /; both share the
    session, the rebuilder and the feedback store. Logins to the page are rate-limited."""
    from .web.server import make_app
    from .web.service import Service

    settings = session.settings
    chat_app = ChatApp(settings, session)
    page = build_page(chat_app)
    password = settings.auth_password.get_secret_value()
    auth = (settings.auth_user, password) if settings.auth_user and password else None
    app = make_app(Service.create(session, rebuilder=chat_app.rebuilder, feedback=chat_app.feedback))
    if settings.watch:
        from .watch import start_watching

        start_watching(session, chat_app.rebuilder)
    add_login_limit(app, LoginLimiter(settings.login_attempts_per_minute))
    add_upload_guard(app, accepted=settings.uploads and auth is not None)
    start_sweeping()
    app = gr.mount_gradio_app(
        app,
        page,
        path="/",
        auth=auth,
        css=PAGE_CSS,
        head=PAGE_HEAD,
        show_error=False,
        max_file_size=settings.max_file_bytes,
        footer_links=[],
    )
    # mount_gradio_app never marks the page launched, and Gradio checks that a request's file paths lie in its
    # upload folder only for launched pages (processing_utils._check_allowed): mark it, so Gradio refuses a
    # server path before any handler runs (the upload handler confines paths itself as well).
    page.has_launched = True
    return app


def launch(session: Session) -> None:
    """Serve the page and the API with uvicorn (loopback by default, never a public share link)."""
    import uvicorn

    uvicorn.run(server_app(session), **server_options(session.settings))


def server_options(settings) -> dict:
    """uvicorn's options. X-Forwarded-For is believed only from the proxies the settings name (none by default):
    uvicorn's default trusts it from 127.0.0.1, so any local client could pick the address logins count by."""
    proxies = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": "warning",
        "timeout_graceful_shutdown": 5,
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies or None,
    }
