"""The converted embedder's checkpoint on disk (<cache>/embedders/<stem>-<sha>/model.onnx with meta.json): read
only when its bytes are the ones recorded at conversion, and a damaged one moved aside before it is removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from ..errors import EmbedderError

ABSENT = "absent"  # read_checkpoint's fault when no checkpoint has been converted yet


def read_checkpoint(folder: Path) -> tuple[bytes | None, str]:
    """(model bytes, "") when the folder's model.onnx is a regular file whose sha256 is the one meta.json recorded
    at conversion; else (None, what is wrong) — ABSENT when there is no checkpoint at all. The bytes returned are
    the bytes checked: the session is opened from them, never from the file again."""
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
    if hashlib.sha256(data).hexdigest() != recorded:
        return None, "model.onnx differs from the one converted (its sha256 does not match meta.json)"
    return data, ""


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
