"""Chat page: `python app.py` serves http://127.0.0.1:7860 (host, port and login from RAG_* settings)."""
from __future__ import annotations

import logging
import sys
import threading

from rag.cli import _progress_bar
from rag.config import Settings
from rag.pipeline import pipeline_for


def prepare_index(settings: Settings) -> None:
    """Build a missing index or refresh a stale one, with progress on the console."""
    pipeline = pipeline_for(settings)
    status = pipeline.status()
    if status.exists and status.fresh:
        print(f"index: {status.summary()}", flush=True)
        return
    print("index: " + ("building from " + str(settings.docs_dir) if not status.exists else status.summary()), flush=True)
    report = pipeline.build(progress=_progress_bar())
    print(f"index: {report.summary()}", flush=True)


def warm_up_local_model(settings: Settings) -> None:
    """Load the local model in the background so the first answer does not wait for it."""
    from rag.llm import make_llm

    def run() -> None:
        try:
            make_llm("local", settings).warm_up()
            print("local model ready", flush=True)
        except Exception as exc:  # the page still works with the other backends
            print(f"local model unavailable: {exc}", file=sys.stderr, flush=True)

    threading.Thread(target=run, daemon=True).start()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    settings = Settings.from_env()
    prepare_index(settings)
    if settings.llm == "local":
        warm_up_local_model(settings)
    from rag.ui import launch

    print(f"serving on http://{settings.host}:{settings.port}", flush=True)
    launch(settings)


if __name__ == "__main__":
    main()
