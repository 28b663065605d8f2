"""Command line: python -m rag build | watch | status | retrieve | ask | versions | restore | eval | bench |
train-reader | train-chooser | train-span-reader | eval-reader. The commands live in documents.py (the index),
quality.py (measuring) and reading.py (the span reader)."""

from __future__ import annotations

import argparse
import logging
import sys

from . import documents, quality, reading
from .shared import progress_bar

__all__ = ["main", "parser", "progress_bar"]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m rag", description="Policy-document QA with clause citations")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)
    documents.add_parsers(sub)
    quality.add_parsers(sub)
    reading.add_parsers(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one command. Everything it prints goes through TerminalSafe: text from users and documents (answers,
    clauses, file names, feedback comments) never sends a terminal control sequence."""
    from ..text.terminal import TerminalSafe

    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = TerminalSafe(out), TerminalSafe(err)
    try:
        return _run(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _run(argv: list[str] | None) -> int:
    from ..runtime import limit_malloc_arenas

    limit_malloc_arenas()  # before any thread starts
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    from ..errors import RagError

    try:
        return args.func(args)
    except (RagError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an engine's own error: still one line; -v logs where it came from
        logging.getLogger(__name__).info("failed", exc_info=True)
        print(
            f"error: {type(exc).__name__}: {exc}" + ("" if args.verbose else " (run with -v for details)"),
            file=sys.stderr,
        )
        return 1
