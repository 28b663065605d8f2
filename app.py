"""Chat page: `python app.py` serves http://127.0.0.1:7860 (host, port and login from RAG_* settings)."""

from __future__ import annotations

import logging
import sys
import threading

from rag.cli import progress_bar
from rag.config import Settings
from rag.errors import RagError
from rag.runtime import limit_malloc_arenas
from rag.session import Session
from rag.web.keys import ApiKeys


def prepare_index(session: Session) -> None:
    """Build a missing index or refresh a stale one, with progress on the console."""
    settings = session.settings
    status = session.status()
    if status.exists and status.fresh:
        print(f"index: {status.summary()}", flush=True)
        return
    print(
        "index: " + ("building from " + str(settings.docs_dir) if not status.exists else status.summary()), flush=True
    )
    report = session.build(progress=progress_bar())
    print(f"index: {report.summary()}", flush=True)


def warm_up_local_model(session: Session) -> None:
    """Load the local model in the background so the first answer does not wait for it."""

    def run() -> None:
        try:
            session.warm_up("local")
            print("local model ready", flush=True)
        except Exception as exc:  # the page still works with the other backends
            print(f"local model unavailable: {exc}", file=sys.stderr, flush=True)

    threading.Thread(target=run, daemon=True).start()


def main() -> None:
    limit_malloc_arenas()  # before any thread starts
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    settings = Settings.from_env()
    # a bad key setting stops here, before the build
    ApiKeys(settings.api_keys.get_secret_value(), settings.api_open, settings.host)
    session = Session(settings)  # one session: the page serves from the index it prepared
    prepare_index(session)
    if settings.llm == "local":
        warm_up_local_model(session)
    from rag.serve import launch

    print(f"serving on http://{settings.host}:{settings.port}", flush=True)
    launch(session)


if __name__ == "__main__":
    try:
        main()
    except (RagError, ValueError) as exc:  # settings and index problems: one line, no traceback
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
