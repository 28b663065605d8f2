"""The commands that build, watch and read the index: build, watch, status, retrieve, ask, versions, restore."""

from __future__ import annotations

import argparse
import json
import sys

from ..config import LLM_BACKENDS, WATCH_DEBOUNCE_SECONDS, WATCH_POLL_SECONDS
from ..indexing.priority import BUILD_NICE
from .shared import common_arguments, filter_arguments, filters_of, progress_bar, settings_of


def cmd_build(args: argparse.Namespace) -> int:
    from ..indexing.priority import lower_priority
    from ..session import shared_session

    if args.nice:  # before any worker thread or parse process starts: they inherit it
        lower_priority(args.nice)
    report = shared_session(settings_of(args)).build(
        full=args.full, progress=progress_bar(), allow_large=args.allow_large
    )
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(report.summary())
        for line in report.standing:
            print(f"standing: {line}")
        for line in report.warnings:
            print(f"warning: {line}")
        for name, reason in report.skipped:
            print(f"skipped {name}: {reason}")
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from ..session import shared_session
    from ..rebuilds import Rebuilder
    from ..watch import watcher_for

    session = shared_session(settings_of(args))
    watcher = watcher_for(session, Rebuilder(session), args.poll, args.debounce, lambda line: print(line, flush=True))
    print(
        f"watching {session.settings.docs_dir} (a change is built once the folder has been still for "
        f"{args.debounce:g} s; Ctrl-C stops)",
        flush=True,
    )
    watcher.run()
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from ..session import shared_session

    status = shared_session(settings_of(args)).status()
    if args.json:
        print(json.dumps(status.to_dict(), ensure_ascii=False, indent=1, default=list))
    else:
        print(status.summary())
        for name, info in status.per_document.items():
            print(f"  {name}: {info['clauses']} clauses  《{info['title']}》")
    return 0 if status.exists else 1


def cmd_retrieve(args: argparse.Namespace) -> int:
    from ..session import shared_session

    filters = filters_of(args)
    hits = shared_session(settings_of(args)).retrieve(args.question, args.k, filters)
    if filters and not hits:
        print(filters.no_match(), file=sys.stderr)
    if args.json:
        print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=1))
        return 0
    for i, h in enumerate(hits, 1):
        depts = f"  负责：{'、'.join(h.departments)}" if h.departments else ""
        facts = f"  〈{h.facts.line()}〉" if h.facts is not None and h.facts.line() else ""
        print(f"[{i}] {h.label}  (score {h.score:.4f}, cos {h.dense:.3f}){depts}{facts}")
        print("    " + h.text.replace("\n", " ")[:200])
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from ..errors import LLMError
    from ..session import shared_session
    from ..types import Answer, Waiting

    final: Answer | None = None
    for piece in shared_session(settings_of(args)).answerer().stream(args.question, k=args.k, filters=filters_of(args)):
        if isinstance(piece, str):
            if not args.json:
                print(piece, end="", flush=True)
        elif isinstance(piece, Waiting):
            print(f"waiting for the model: {piece.ahead} question(s) ahead", file=sys.stderr, flush=True)
        elif isinstance(piece, Answer):
            final = piece
    if final is None:
        raise LLMError("the answer stream ended without an answer")
    if args.json:
        print(json.dumps(final.to_dict(), ensure_ascii=False, indent=1))
    else:
        # The streamed sentences are the body; the note and the source list (or the nearest clauses) follow.
        if final.refused and final.extra_note:
            print(f"\n（{final.extra_note}）", end="")
        sources = final.sources_text()
        print("\n\n" + sources if sources else "")
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    from ..ingest.versions import list_versions

    versions = list_versions(settings_of(args).docs_dir, args.name)
    for v in versions:
        print(f"{v.id}  saved {v.saved_at}  {v.size:,} bytes  sha256 {v.sha256[:16]}")
    if not versions:
        print(f"no earlier versions of {args.name}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    import getpass

    from ..ingest.versions import restore_version
    from ..session import shared_session

    settings = settings_of(args)
    previous = restore_version(settings.docs_dir, args.name, args.version, args.user or getpass.getuser())
    kept = f"; the replaced file is kept as version {previous.id}" if previous else ""
    print(f"restored {args.name} to version {args.version}{kept}")
    print(shared_session(settings).build(progress=progress_bar()).summary())
    return 0


def cmd_confirm(args: argparse.Namespace) -> int:
    """An administrator confirms where uploads came from: their standing claims may then take effect."""
    import getpass

    from ..ingest.provenance import confirm, pending_uploads
    from ..session import shared_session

    settings = settings_of(args)
    if not args.name:
        pending = pending_uploads(settings.docs_dir)
        print("\n".join(pending) if pending else "no unconfirmed uploads")
        return 0
    digest = confirm(settings.docs_dir, args.name, args.user or getpass.getuser())
    print(f"confirmed {args.name} (sha256 {digest[:16]}); its standing claims now count as its issuer's")
    print(shared_session(settings).build(progress=progress_bar()).summary())
    return 0


def add_parsers(sub) -> None:
    """This module's subcommands on the `python -m rag` parser."""
    b = sub.add_parser("build", help="build or incrementally update the index")
    common_arguments(b)
    b.add_argument("--full", action="store_true", help="rebuild from scratch")
    b.add_argument("--allow-large", action="store_true", help="embed more new clauses than RAG_MAX_NEW_CLAUSES")
    b.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="embed on Ray: a local instance (no ADDRESS), 'auto' or a cluster address (RAG_RAY_ADDRESS)",
    )
    b.add_argument("--ray-workers", type=int, help="embedding workers of a Ray build (default: RAG_RAY_WORKERS or 2)")
    b.add_argument(
        "--nice",
        type=int,
        default=BUILD_NICE,
        choices=range(0, 20),
        metavar="0-19",
        help=f"CPU priority of the build: a nice value, so a server answering on this machine keeps the "
        f"cores (default {BUILD_NICE}; 0 keeps the normal priority)",
    )
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=cmd_build)

    w = sub.add_parser("watch", help="rebuild incrementally whenever files in the document folder change")
    common_arguments(w)
    w.add_argument(
        "--poll", type=float, default=WATCH_POLL_SECONDS, help=f"seconds between looks (default {WATCH_POLL_SECONDS:g})"
    )
    w.add_argument(
        "--debounce",
        type=float,
        default=WATCH_DEBOUNCE_SECONDS,
        help=f"seconds the folder must be still before a build (default {WATCH_DEBOUNCE_SECONDS:g})",
    )
    w.set_defaults(func=cmd_watch)

    s = sub.add_parser("status", help="documents, clauses, embedder, fresh or stale")
    common_arguments(s)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_status)

    r = sub.add_parser("retrieve", help="show the clauses retrieved for a question")
    common_arguments(r)
    r.add_argument("question")
    r.add_argument("-k", type=int, default=None, help="clauses to show (default: RAG_TOP_K, 5)")
    r.add_argument("--json", action="store_true")
    filter_arguments(r)
    r.set_defaults(func=cmd_retrieve)

    a = sub.add_parser("ask", help="answer a question with clause citations")
    common_arguments(a)
    a.add_argument("question")
    a.add_argument("-k", type=int, default=None)
    a.add_argument("--llm", choices=LLM_BACKENDS)
    a.add_argument("--json", action="store_true")
    filter_arguments(a)
    a.set_defaults(func=cmd_ask)

    v = sub.add_parser("versions", help="earlier versions of a document (kept when an upload replaced it)")
    common_arguments(v)
    v.add_argument("name")
    v.set_defaults(func=cmd_versions)

    rs = sub.add_parser("restore", help="make an earlier version of a document current again, then rebuild")
    common_arguments(rs)
    rs.add_argument("name")
    rs.add_argument("version")
    rs.add_argument("--user", help="name recorded in the audit log (default: the login name)")
    rs.set_defaults(func=cmd_restore)

    c = sub.add_parser(
        "confirm",
        help="confirm an uploaded document's source so its 废止/newer-version claims apply (audited), then rebuild; "
        "without NAME, list the unconfirmed uploads",
    )
    common_arguments(c)
    c.add_argument("name", nargs="?")
    c.add_argument("--user", help="name recorded in the audit log (default: the login name)")
    c.set_defaults(func=cmd_confirm)
