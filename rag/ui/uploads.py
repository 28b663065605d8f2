"""Uploaded files: checked (type, size, readable) before anything is written to the document folder."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..errors import DocumentError
from ..ingest.documents import load_document
from ..ingest.readers import SUPPORTED_SUFFIXES


class UploadError(ValueError):
    """An uploaded file that cannot be added (type, size, content); the message is for the page."""


def check_upload(src: Path, name: str, max_bytes: int) -> None:
    """Raise UploadError saying why the file cannot be added."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UploadError(f"不支持的文件类型 {suffix or '（无扩展名）'}，支持 {' '.join(SUPPORTED_SUFFIXES)}")
    size = src.stat().st_size
    if size == 0:
        raise UploadError("文件是空的")
    if size > max_bytes:
        raise UploadError(f"文件太大（{size / 1e6:.1f} MB），上限 {max_bytes / 1e6:.0f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / name
        shutil.copyfile(src, probe)
        try:
            load_document(probe)
        except DocumentError as exc:
            raise UploadError(f"无法读取：{exc.reason}") from exc


def save_uploads(paths: list[str] | None, docs_dir: Path, max_bytes: int) -> list[tuple[str, bool]]:
    """Check and copy uploaded files into the document folder; (message, saved) per file.
    A file is only copied after it parsed successfully, so a bad upload never replaces a good file."""
    results = []
    for raw in paths or []:
        src = Path(raw)
        name = Path(src.name).name
        try:
            check_upload(src, name, max_bytes)
        except UploadError as exc:
            results.append((f"⚠️ {name}：{exc}", False))
            continue
        target = Path(docs_dir) / name
        existed = target.exists()
        tmp = Path(docs_dir) / f".{name}.upload"
        shutil.copyfile(src, tmp)
        tmp.replace(target)
        results.append((f"{'已更新' if existed else '已添加'} {name}", True))
    return results
