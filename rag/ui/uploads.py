"""Uploaded files: checked (type, size, limits, readable) before anything is written; a same-name upload
becomes a new version; a rejected upload is deleted from the server's temporary folder."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..errors import DocumentError, UploadError
from ..ingest.analysis import analyse_file
from ..ingest.limits import Limits
from ..ingest.readers import SUPPORTED_SUFFIXES, check_supported
from ..ingest.versions import safe_name, save_document


def check_upload(src: Path, name: str, limits: Limits) -> None:
    """Raise UploadError saying why the file cannot be added."""
    try:
        check_supported(Path(name))
    except DocumentError as exc:
        suffix = Path(name).suffix.lower()
        raise UploadError(f"不支持的文件类型 {suffix or '（无扩展名）'}，支持 {' '.join(SUPPORTED_SUFFIXES)}") from exc
    try:
        safe_name(name)
    except DocumentError as exc:
        raise UploadError("文件名不可用") from exc
    size = src.stat().st_size
    if size == 0:
        raise UploadError("文件是空的")
    if size > limits.file_bytes:
        raise UploadError(f"文件太大（{size / 1e6:.1f} MB），上限 {limits.file_bytes / 1e6:.0f} MB")
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / name
        shutil.copyfile(src, probe)
        try:
            analyse_file(probe, limits)  # every rule that reads the text, in a parse child within the limits
        except DocumentError as exc:
            raise UploadError(f"无法读取：{exc.reason}") from exc


def upload_folder() -> Path:
    """Where Gradio stores what users upload (GRADIO_TEMP_DIR, else <temp>/gradio): the only folder an upload's
    path may point into."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder())


def confined(raw: str, root: Path) -> Path:
    """The upload's path if it is a regular file inside `root` (after resolving every link) with no other name;
    UploadError otherwise. A request can name any path: this is what keeps it to files users uploaded."""
    src = Path(raw)
    try:
        resolved = src.resolve(strict=True)
        inside = resolved.is_relative_to(root.resolve(strict=True))
    except (OSError, RuntimeError):
        inside = False
    if not inside or src.is_symlink() or not resolved.is_file():
        raise UploadError("不是本页面上传的文件，已拒绝")
    if resolved.stat().st_nlink > 1:
        raise UploadError("文件另有硬链接，已拒绝")
    return resolved


def save_uploads(
    paths: list[str] | None, docs_dir: Path, limits: Limits, user: str, root: Path | None = None
) -> list[tuple[str, bool]]:
    """Check each upload and add it to the document folder; (message, saved) per file. Only files inside the
    upload folder `root` are taken (anything else is refused and left alone); a rejected upload never touches
    the document folder and is removed from the upload folder."""
    root = root or upload_folder()
    results = []
    for raw in paths or []:
        name = Path(str(raw)).name
        try:
            src = confined(str(raw), root)
        except UploadError as exc:
            results.append((f"⚠️ {name}：{exc}", False))
            continue
        try:
            check_upload(src, name, limits)
            action, previous = save_document(docs_dir, src, name, user)
        except UploadError as exc:
            results.append((f"⚠️ {name}：{exc}", False))
            continue
        finally:
            src.unlink(missing_ok=True)
        kept = f"（原文件已保存为版本 {previous.id}，可在“文档”中恢复）" if previous else ""
        results.append((f"{'已更新' if action == 'replace' else '已添加'} {name}{kept}", True))
    return results
