"""The learned readers' commands: `train-span-reader` (fine-tune it), `train-answer-kind` (its yes/no head),
`eval-reader FILE.json` (its own figures),
`calibrate-span-reader`, `calibrate-int8` (the int8 graphs' smoothing) and `train-fact-questions` (questions about a document itself, by meaning)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def cmd_train_span_reader(args: argparse.Namespace) -> int:
    from ..evaluation.train_span_reader import train

    given: tuple[tuple[str, Any], ...] = (
        ("layers", args.layers),
        ("learning_rate", args.lr),
        ("epochs", args.epochs),
        ("limit", args.limit),
        ("domain", args.domain),
        ("perturb", args.perturb),
        ("perturb_ways", tuple(args.perturb_ways.split(",")) if args.perturb_ways else None),
        ("bf16", args.bf16),
    )
    knobs = {k: v for k, v in given if v is not None}
    train(args.out, seed=args.seed, **knobs)
    return 0


def cmd_train_answer_kind(args: argparse.Namespace) -> int:
    from ..answering.span_reader import SPAN_READER_WEIGHTS
    from ..evaluation.train_answer_kind import train

    train(args.out, args.weights or SPAN_READER_WEIGHTS)
    return 0


def _contexts(spec: str | None) -> range | None:
    if not spec:
        return None
    first, _, last = spec.partition("-")
    return range(int(first), int(last or first) + 1)


def cmd_eval_reader(args: argparse.Namespace) -> int:
    from ..evaluation.eval_reader import run_eval_reader

    result = run_eval_reader(
        args.file, args.limit, args.threshold, args.weights, _contexts(args.contexts), args.simplified
    )
    print(json.dumps(result.to_dict()) if args.json else "\n".join(result.lines()))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from ..evaluation.span_calibration import run_calibration
    from .shared import settings_of

    run_calibration(settings_of(args), args.weights, args.limit)
    return 0


def cmd_calibrate_int8(args: argparse.Namespace) -> int:
    from ..evaluation.int8_calibration import calibrate

    calibrate(args.docs)
    return 0


def cmd_train_fact_questions(args: argparse.Namespace) -> int:
    from ..evaluation.train_fact_questions import train

    train(seed=args.seed)
    return 0


def add_parsers(sub) -> None:
    q = sub.add_parser(
        "calibrate-int8",
        help="measure each dense layer's input range on the seed clauses (float32) for the int8 graphs' smoothing; "
        "writes rag/indexing/e5_int8_activations.npz and prints its sha256",
    )
    q.add_argument("--docs", type=Path, default=Path("seeds"), help="the documents whose clauses are measured")
    q.set_defaults(func=cmd_calibrate_int8)
    t = sub.add_parser(
        "train-span-reader",
        help="fine-tune the span reader (multilingual-e5-small's top layers) on ../shared's reading-comprehension "
        "train splits and NCP train questions; resumable, reproducible with --seed",
    )
    t.add_argument("--out", type=Path, default=Path("span-reader-run"), help="checkpoints and span_reader.npz")
    t.add_argument("--epochs", type=float, default=None, help="default: TRAINING_EPOCHS in the trainer")
    t.add_argument(
        "--limit", type=int, default=None, help="at most this many training windows (default: TRAINING_WINDOWS; 0: all)"
    )
    t.add_argument("--seed", type=int, default=0)
    t.add_argument(
        "--domain",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also RGB's and the own questions' train windows (default: TRAINING_DOMAIN in the trainer)",
    )
    t.add_argument(
        "--perturb",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also unanswerable variants of answerable items: another name, another number, the answer taken out "
        "(default: TRAINING_PERTURB in the trainer)",
    )
    t.add_argument("--perturb-ways", default=None, help="with --perturb: which of name,number,out (default: all three)")
    t.add_argument(
        "--bf16",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="bfloat16 autocast (default: where the CPU has AMX or AVX-512 BF16)",
    )
    t.add_argument(
        "--layers",
        type=int,
        default=None,
        help="how many top layers train (the rest are cached; default: TRAINED_LAYERS in the trainer)",
    )
    t.add_argument("--lr", type=float, default=None, help="peak learning rate (default: LEARNING_RATE in the trainer)")
    t.set_defaults(func=cmd_train_span_reader)

    a = sub.add_parser(
        "train-answer-kind",
        help="fit the span reader's kind head (a span, YES or NO) on CAIL2019's train contexts over the shipped "
        "reader's states; writes the reader's weights with it",
    )
    a.add_argument("--out", type=Path, default=Path("span_reader_kind.npz"), help="the weights file to write")
    a.add_argument("--weights", type=Path, default=None, help="the reader's weights to fit it on (default: shipped)")
    a.set_defaults(func=cmd_train_answer_kind)

    f = sub.add_parser(
        "train-fact-questions",
        help="fit the model that recognises questions about a document itself (issuer, number, date) by meaning; "
        "writes rag/answering/fact_questions.json",
    )
    f.add_argument("--seed", type=int, default=0, help="the cross-validation folds' shuffle")
    f.set_defaults(func=cmd_train_fact_questions)

    e = sub.add_parser(
        "eval-reader",
        help="EM, F1, has-answer F1, no-answer accuracy of the span reader on a "
        "SQuAD-format file (each question over its own context)",
    )
    e.add_argument("file", type=Path)
    e.add_argument("--limit", type=int, default=None, help="the first N questions")
    e.add_argument(
        "--json",
        action="store_true",
        help="one JSON object: em, f1, has_answer_f1, no_answer_accuracy, ms_per_question (and questions)",
    )
    e.add_argument("--threshold", type=float, default=0.0, help="the margin (answer − none) a span needs")
    e.add_argument("--weights", type=Path, default=None, help="a weights file to evaluate instead of the shipped one")
    e.add_argument("--contexts", default=None, help="only these contexts, in file order: FIRST-LAST (e.g. 800-999)")
    e.add_argument("--simplified", action="store_true", help="convert traditional characters first (DRCD)")
    e.set_defaults(func=cmd_eval_reader)

    from .shared import common_arguments

    k = sub.add_parser(
        "calibrate-span-reader",
        help="the span reader's margins on tuning questions (own sets, NCP "
        "sample, RGB 100-199): the refusal margin to ship, and its quote against the chooser's",
    )
    common_arguments(k)
    k.add_argument("--weights", type=Path, default=None, help="a weights file instead of the shipped one")
    k.add_argument("--limit", type=int, default=None, help="at most this many questions of each source")
    k.set_defaults(func=cmd_calibrate)
