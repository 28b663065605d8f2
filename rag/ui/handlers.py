"""The chat page's handlers as plain methods (testable without a browser). Per-session state (the chat
messages and the plain-text turns) lives in Gradio components, never here."""
from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Iterator

from ..config import Settings
from ..errors import QuestionError, RagError
from ..llm.factory import BACKENDS
from ..session import Session
from ..types import Answer, Retrieved, Waiting
from .examples import example_questions
from .rebuilds import Rebuilder
from .uploads import save_uploads
from .views import answer_html, candidates_html, documents_html, escape_text, sources_html, streaming_html, waiting_html

log = logging.getLogger(__name__)
Turns = list[tuple[str, str]]  # (question, answer body) in plain text
Update = tuple[list[dict], Turns, str, str]  # chat messages, turns, sources panel, question box


class ChatApp:
    """What all sessions share: the Session (index, embedder, models) and the rebuilder."""

    def __init__(self, settings: Settings, session: Session | None = None) -> None:
        self.settings = settings
        self.session = session or Session(settings)
        self.rebuilder = Rebuilder(self.session)

    def respond(self, message: str, chat: list[dict] | None, turns: Turns | None, backend: str,
                k: int) -> Iterator[Update]:
        """Stream an answer into the chat."""
        turns = list(turns or [])
        chat = list(chat or []) + [{"role": "user", "content": escape_text(message or "")},
                                   {"role": "assistant", "content": "…"}]
        yield chat, turns, sources_html(None, {}), ""
        try:
            answerer = self.session.answerer(backend if backend in BACKENDS else self.settings.llm)
            shown, panel = "", sources_html(None, {})
            stream = answerer.stream(message, history=turns, k=int(k))
            try:
                for piece in stream:
                    if isinstance(piece, Answer):
                        chat[-1] = {"role": "assistant", "content": answer_html(piece)}
                        turns.append((piece.question, piece.body))
                        yield chat, turns, sources_html(piece, self.document_texts()), ""
                        return
                    if isinstance(piece, Retrieved):
                        panel = candidates_html(piece.hits, self.document_texts())
                    elif isinstance(piece, Waiting):
                        chat[-1] = {"role": "assistant", "content": waiting_html(piece.ahead)}
                    else:
                        shown += piece
                        chat[-1] = {"role": "assistant", "content": streaming_html(shown)}
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

    def document_texts(self) -> dict[str, str]:
        return self.session.retriever().document_texts()

    def documents(self) -> str:
        return documents_html(self.session.status())

    def rebuild(self, full: bool = False) -> Iterator[str]:
        return self.rebuilder.run(full)

    def save_upload(self, paths: list[str] | None) -> list[str]:
        """Check and copy uploads into the document folder; one message per file."""
        return [m for m, _ in save_uploads(paths, Path(self.settings.docs_dir), self.settings.max_upload_bytes)]

    def upload(self, paths: list[str] | None) -> Iterator[str]:
        results = save_uploads(paths, Path(self.settings.docs_dir), self.settings.max_upload_bytes)
        text = "<br>".join(escape_text(m) for m, _ in results) or "没有选择文件。"
        yield text
        if any(saved for _, saved in results):
            for progress in self.rebuild():
                yield text + "<br>" + progress

    def example_questions(self, n: int = 4) -> list[str]:
        return example_questions(self.session.retriever().data.clauses, n)
