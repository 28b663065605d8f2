"""Uploaded files: checked (type, size, limits, readable) before anything is written; a same-name upload
becomes a new version and is recorded as an unconfirmed upload (ingest/provenance.py: its standing claims wait for
an administrator); a rejected upload is deleted from the server's temporary folder."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from ..errors import DocumentError, UploadError
from ..ingest.analysis import analyse_file
from ..ingest.limits import Limits
from ..ingest.readers import SUPPORTED_SUFFIXES, check_supported
from ..ingest.documents import file_sha256
from ..ingest.provenance import record_upload
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


log = logging.getLogger(__name__)
# A file Gradio received that no handler has taken after this long is deleted, whoever sent it (a handler takes its
# files within a second of the upload ending; the ones it is checking are never swept). How often the folder is swept.
ORPHAN_UPLOAD_SECONDS = 120.0
SWEEP_SECONDS = 30.0
UPLOAD_ROUTE = "/gradio_api/upload"
_IN_USE: set[Path] = set()  # uploads a handler is checking now
_IN_USE_LOCK = threading.Lock()


def sweep_orphans(root: Path, older_than: float = ORPHAN_UPLOAD_SECONDS, now: float | None = None) -> list[Path]:
    """Delete the regular files under `root` (Gradio's upload folder) older than `older_than` seconds that no
    handler is checking, then the folders left empty; links are removed, never followed. Returns what went."""
    now = time.time() if now is None else now
    gone: list[Path] = []
    with _IN_USE_LOCK:
        busy = set(_IN_USE)
    for folder, dirs, files in os.walk(root, topdown=False, followlinks=False):
        for name in files + [d for d in dirs if (Path(folder) / d).is_symlink()]:
            path = Path(folder) / name
            try:
                info = path.lstat()
                if now - max(info.st_mtime, info.st_ctime) > older_than and path not in busy:
                    path.unlink()
                    gone.append(path)
            except OSError:
                continue
        if Path(folder) != Path(root):
            try:
                Path(folder).rmdir()  # only when empty
            except OSError:
                pass
    return gone


def start_sweeping(root: Path | None = None, every: float = SWEEP_SECONDS) -> threading.Event:
    """Sweep the upload folder for orphans in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every):
            try:
                gone = sweep_orphans(root or upload_folder())
            except OSError:
                continue
            if gone:
                log.warning("deleted %d upload(s) no handler took within %.0f s", len(gone), ORPHAN_UPLOAD_SECONDS)

    threading.Thread(target=run, name="sweep-uploads", daemon=True).start()
    return stop


def add_upload_guard(app, accepted: bool) -> None:
    """Refuse Gradio's upload route (HTTP 403, before any byte is stored) unless the server takes uploads: with
    RAG_UPLOADS=1 and a login (Gradio then lets only logged-in users reach it)."""
    from fastapi.responses import JSONResponse

    @app.middleware("http")
    async def guard_uploads(request, call_next):
        if not accepted and request.method == "POST" and request.url.path.rstrip("/").endswith(UPLOAD_ROUTE):
            return JSONResponse({"detail": "本服务未开启上传。"}, status_code=403)
        return await call_next(request)


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
        with _IN_USE_LOCK:
            _IN_USE.add(src)
        try:
            check_upload(src, name, limits)
            record_upload(docs_dir, name, file_sha256(src), user)  # untrusted before it is in the folder
            action, previous = save_document(docs_dir, src, name, user)
        except UploadError as exc:
            results.append((f"⚠️ {name}：{exc}", False))
            continue
        finally:
            src.unlink(missing_ok=True)
            with _IN_USE_LOCK:
                _IN_USE.discard(src)
        kept = f"（原文件已保存为版本 {previous.id}，可在“文档”中恢复）" if previous else ""
        results.append((f"{'已更新' if action == 'replace' else '已添加'} {name}{kept}", True))
    return results
