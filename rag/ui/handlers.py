"""The chat page's handlers as plain methods (testable without a browser). Per-session state (the chat
messages and the plain-text turns) lives in Gradio components, never here."""

from __future__ import annotations

import logging
import threading
import traceback
from pathlib import Path
from typing import Callable, Iterator

from ..config import Settings
from ..errors import QuestionError, RagError
from ..feedback import FeedbackError, FeedbackStore
from ..session import Session
from ..types import Answer, Quoted, Retrieved, SearchFilter, Waiting
from .examples import example_questions
from ..rebuilds import Rebuilder
from .rebuilds import page_messages
from ..ingest.isolation import queue_state
from ..ingest.limits import limits_from
from ..ingest.provenance import confirm as confirm_upload
from ..ingest.provenance import pending_uploads
from ..ingest.versions import list_versions, restore_version
from .uploads import UploadError, confined, save_uploads, upload_folder
from ..text.normalize import without_surrogates
from .views import (
    answer_html,
    answer_id_of,
    candidates_html,
    documents_html,
    escape_text,
    quoted_html,
    sources_html,
    streaming_html,
    waiting_html,
)

log = logging.getLogger(__name__)
Turns = list[tuple[str, str]]  # (question, answer body) in plain text
Update = tuple[list[dict], Turns, str, str]  # chat messages, turns, sources panel, question box
QUEUE_POLL_SECONDS = 0.5  # how often an upload's message re-reads the parse queue


class ChatApp:
    """What all sessions share: the Session (index, embedder, models) and the rebuilder."""

    def __init__(self, settings: Settings, session: Session | None = None, upload_root: Path | None = None) -> None:
        self.settings = settings
        self.session = session or Session(settings)
        self.rebuilder = Rebuilder(self.session)
        self.feedback = FeedbackStore(settings.index_dir)  # shared with the HTTP API (same answers, same file)
        self.upload_root = upload_root  # the folder uploads must lie in (None: Gradio's upload folder)

    def respond(  # noqa: PLR0913 (known debt, issue 30)
        self,
        message: str,
        chat: list[dict] | None,
        turns: Turns | None,
        backend: str,
        k: int,
        region: str = "",
        issuer: str = "",
        doc_type: str = "",
        since: str = "",
        until: str = "",
    ) -> Iterator[Update]:
        """Stream an answer into the chat, searching only the documents the filter fields admit."""
        turns = list(turns or [])
        message = without_surrogates(message) if isinstance(message, str) else message
        chat = list(chat or []) + [
            {"role": "user", "content": escape_text(message or "")},
            {"role": "assistant", "content": "…"},
        ]
        yield chat, turns, sources_html(None, {}), ""
        try:
            offered = self.settings.offered_backends()
            chosen = backend if backend in offered else offered[0]
            answerer = self.session.answerer(chosen)
            labelled, quote = chosen != "extractive", ""
            shown, panel = "", sources_html(None, {})
            try:
                filters = SearchFilter.parse(region, issuer, doc_type, since, until)
            except ValueError as exc:
                chat[-1] = {"role": "assistant", "content": escape_text(f"筛选条件有误：{exc}")}
                yield chat, turns, sources_html(None, {}), message
                return
            stream = answerer.stream(message, history=turns, k=int(k), filters=filters)
            try:
                for piece in stream:
                    if isinstance(piece, Answer):
                        answer_id = self.feedback.remember(piece)
                        chat[-1] = {"role": "assistant", "content": answer_html(piece, labelled, answer_id)}
                        turns.append((piece.question, piece.body))
                        yield chat, turns, sources_html(piece, self.document_texts()), ""
                        return
                    if isinstance(piece, Retrieved):
                        panel = candidates_html(piece.hits, self.document_texts())
                    elif isinstance(piece, Quoted):
                        quote = piece.text
                        chat[-1] = {"role": "assistant", "content": quoted_html(quote)}
                    elif isinstance(piece, Waiting):
                        waiting = waiting_html(piece.ahead)
                        chat[-1] = {
                            "role": "assistant",
                            "content": quoted_html(quote, waiting=waiting) if quote else waiting,
                        }
                    else:
                        shown += piece
                        chat[-1] = {
                            "role": "assistant",
                            "content": quoted_html(quote, shown) if quote else streaming_html(shown),
                        }
                    yield chat, turns, panel, ""
            finally:
                stream.close()  # the user left or pressed stop: free the model for the next question
        except QuestionError as exc:
            chat[-1] = {"role": "assistant", "content": f"⚠️ {escape_text(exc.zh)}"}
            yield chat, turns, sources_html(None, {}), message
        except Exception as exc:  # shown as a message, never a stack trace
            log.error("answer failed: %s", traceback.format_exc())
            reason = exc.zh if isinstance(exc, RagError) else f"{type(exc).__name__}: {exc}"
            chat[-1] = {"role": "assistant", "content": f"⚠️ 出错了：{escape_text(reason)}"}
            yield chat, turns, sources_html(None, {}), message

    def rate(self, message: object, liked: object, comment: str = "", user: str | None = None, client: str = "") -> str:
        """👍 (liked True) or 👎 (False) on an answer message, with an optional comment: stored, or why not (as
        page text). Anything else Gradio may send for `liked` (a custom feedback option) is not a rating. The rate
        limit counts the login, else the client address (which is not stored)."""
        answer_id = answer_id_of(message)
        if not answer_id or not isinstance(liked, bool):
            return "只能评价已完成的回答。"
        try:
            self.feedback.add(
                answer_id, "up" if liked else "down", comment or "", user or "", rater=user or f"@{client}"
            )
        except FeedbackError as exc:
            return f"⚠️ {escape_text(exc.zh)}"
        return "已记录您的评价，谢谢！" if liked else "已记录：这个回答没有帮助。谢谢反馈，我们会据此改进。"

    def document_texts(self) -> dict[str, str]:
        return self.session.retriever().document_texts()

    def documents(self) -> str:
        return documents_html(self.session.status())

    def rebuild(self, full: bool = False) -> Iterator[str]:
        return page_messages(self.rebuilder.run(full))

    def uploader(self, user: str | None) -> str:
        """Who may change documents: the logged-in user when uploads are enabled; raises UploadError otherwise."""
        if not self.settings.uploads:
            raise UploadError("本服务未开启上传（管理员可用 RAG_UPLOADS=1 启动）")
        if not user:
            raise UploadError("请先登录再上传或恢复文件")
        return user

    def save_upload(self, paths: list[str] | None, user: str | None) -> list[str]:
        """Check and add uploads to the document folder; one message per file."""
        try:
            who = self.uploader(user)
        except UploadError as exc:
            root = self.upload_root or upload_folder()
            for raw in paths or []:
                try:
                    confined(str(raw), root).unlink(missing_ok=True)  # only ever a file users uploaded
                except UploadError:
                    pass
            return [f"⚠️ {exc}"]
        return [
            m
            for m, _ in save_uploads(
                paths, Path(self.settings.docs_dir), limits_from(self.settings), who, self.upload_root
            )
        ]

    def upload(self, paths: list[str] | None, request=None) -> Iterator[str]:
        """Check and add the files (in a thread, showing the parse queue meanwhile), then rebuild."""
        done: list[list[str]] = []
        worker = threading.Thread(
            target=lambda: done.append(self.save_upload(paths, getattr(request, "username", None))),
            name="upload-check",
            daemon=True,
        )
        worker.start()
        shown = ""
        while worker.is_alive():
            worker.join(QUEUE_POLL_SECONDS)
            running, waiting = queue_state()
            line = f"正在检查上传的文件…（{running} 个文件正在解析" + (f"，{waiting} 个排队等候）" if waiting else "）")
            if worker.is_alive() and line != shown:
                shown = line
                yield line
        messages = done[0] if done else ["⚠️ 检查上传的文件时出错"]
        text = "<br>".join(escape_text(m) for m in messages) or "没有选择文件。"
        yield text
        if any(not m.startswith("⚠️") for m in messages):
            for progress in self.rebuild():
                yield text + "<br>" + progress

    def refreshed(self) -> tuple[str, list[tuple[str, str]]]:
        """The documents panel and the versions that can be restored, read from disk now (the page calls it on
        load, on 「刷新列表」 and after every change, so versions made elsewhere show up)."""
        return self.documents(), self.version_choices()

    def version_choices(self) -> list[tuple[str, str]]:
        """(label, "name|version") for every kept version, newest first."""
        docs = Path(self.settings.docs_dir)
        names = sorted(self.session.status().per_document)
        return [(f"{name} @ {v.id}", f"{name}|{v.id}") for name in names for v in reversed(list_versions(docs, name))]

    def restore(self, choice: str | None, request=None) -> Iterator[str]:
        """Make a kept version current again, then rebuild."""
        name, _, version = (choice or "").partition("|")

        def restore(who: str) -> str:
            if not version:
                raise UploadError("请选择要恢复的版本")
            restore_version(Path(self.settings.docs_dir), name, version, who)
            return f"已恢复 {escape_text(name)} 的版本 {escape_text(version)}"

        return self._change_then_rebuild(restore, request)

    def unconfirmed(self) -> list[str]:
        """Uploaded documents whose source no administrator has confirmed yet."""
        return pending_uploads(Path(self.settings.docs_dir))

    def confirm(self, name: str | None, request=None) -> Iterator[str]:
        """The logged-in administrator confirms an upload's source (audited); its standing claims then apply."""

        def confirm(who: str) -> str:
            if not name:
                raise UploadError("请选择要确认来源的文件")
            confirm_upload(Path(self.settings.docs_dir), name, who)
            return f"已确认 {escape_text(name)} 的来源，其效力声明将在重建后生效"

        return self._change_then_rebuild(confirm, request)

    def _change_then_rebuild(self, change: Callable[[str], str], request) -> Iterator[str]:
        """A change to the document folder by the logged-in user (`change(who)` returns the page text), then a
        rebuild; a RagError (an UploadError too) is shown instead."""
        try:
            text = change(self.uploader(getattr(request, "username", None)))
        except RagError as exc:
            yield f"⚠️ {escape_text(exc.zh)}"
            return
        yield text
        for progress in self.rebuild():
            yield text + "<br>" + progress

    def example_questions(self, n: int = 4) -> list[str]:
        return example_questions(self.session.retriever().data.clauses, n)
