"""The Gradio chat page: handlers as plain functions (testable without a browser) and the Blocks layout."""
from __future__ import annotations

import html
import logging
import re
import shutil
import tempfile
import threading
import traceback
from pathlib import Path
from typing import Iterator

from .answer import Answer, Answerer, normalise_history
from .clauses import strip_marker
from .config import Settings
from .documents import SUPPORTED_SUFFIXES, DocumentError, load_document
from .normalize import for_search
from .pipeline import Pipeline, QuestionError
from .ui_views import PAGE_CSS, PAGE_HEAD, answer_markdown, documents_html, linkify_markers, sources_html

log = logging.getLogger(__name__)
BACKENDS = ["extractive", "local", "openai"]


class UploadError(ValueError):
    """An uploaded file that cannot be added (type, size, content)."""


class ChatApp:
    """State shared by all sessions: the pipeline (thread-safe) and a rebuild lock. Per-session
    state (the conversation) lives in the Chatbot value, never here."""

    def __init__(self, settings: Settings, pipeline: Pipeline | None = None) -> None:
        self.settings = settings
        self.pipeline = pipeline or Pipeline(settings)
        self._rebuild = threading.Lock()

    # ------------------------------------------------------------ chat
    def respond(self, message: str, history: list[dict] | None, backend: str, k: int) -> Iterator[tuple[list[dict], str, str]]:
        """Stream an answer into the chat; yields (chat messages, sources html, textbox value)."""
        history = list(history or [])
        # The chat shows HTML; the conversation history is its plain text.
        turns = [(html.unescape(q), html.unescape(re.sub(r"<[^>]+>", "", a)))
                 for q, a in normalise_history(history, len(history))]
        history = history + [{"role": "user", "content": html.escape(message or "")},
                             {"role": "assistant", "content": "…"}]
        yield history, sources_html(None, {}), ""
        try:
            answerer = Answerer(self.pipeline, backend if backend in BACKENDS else self.settings.llm)
            shown = ""
            final: Answer | None = None
            for piece in answerer.stream(message, history=turns, k=int(k)):
                if isinstance(piece, Answer):
                    final = piece
                    break
                shown += piece
                history[-1] = {"role": "assistant", "content": linkify_markers(shown) + " ▌"}
                yield history, sources_html(None, {}), ""
            assert final is not None
            history[-1] = {"role": "assistant", "content": answer_markdown(final)}
            yield history, sources_html(final, self.doc_texts()), ""
        except QuestionError as exc:
            history[-1] = {"role": "assistant", "content": f"⚠️ {_question_error_zh(exc)}"}
            yield history, sources_html(None, {}), message
        except Exception as exc:  # shown as a message, never a stack trace
            log.error("answer failed: %s", traceback.format_exc())
            history[-1] = {"role": "assistant", "content": f"⚠️ 出错了：{type(exc).__name__}: {exc}"}
            yield history, sources_html(None, {}), message

    def doc_texts(self) -> dict[str, str]:
        data = self.pipeline.retriever().data
        return {name: d.get("text", "") for name, d in data.documents.items()}

    # ------------------------------------------------------------ documents
    def documents(self) -> str:
        return documents_html(self.pipeline.status())

    def rebuild(self, full: bool = False) -> Iterator[str]:
        """Rebuild (incrementally) with progress messages; answering keeps using the old index meanwhile."""
        if not self._rebuild.acquire(blocking=False):
            yield "已有重建在进行中，请稍候。"
            return
        try:
            progress: list[str] = []

            def on_progress(stage: str, done: int, total: int) -> None:
                names = {"reading": "读取文件", "embedding": "计算向量", "keyword index": "建立关键词索引", "done": "完成"}
                progress.append(f"{names.get(stage, stage)} {done}/{total}")

            yield "正在重建索引…"
            result: dict = {}

            def build() -> None:
                try:
                    result["report"] = self.pipeline.build(full=full, progress=on_progress)
                except Exception as exc:  # reported on the page; the previous index stays live
                    result["error"] = f"{type(exc).__name__}: {exc}"

            worker = threading.Thread(target=build)
            worker.start()
            while worker.is_alive():
                worker.join(0.5)
                if progress:
                    yield f"正在重建索引：{progress[-1]}"
            if "error" in result:
                yield f"⚠️ 重建失败：{result['error']}（原索引仍可使用）"
                return
            report = result["report"]
            skipped = "".join(f"<br>跳过 {name}：{reason}" for name, reason in report.skipped)
            yield (f"重建完成：新增 {len(report.added)}、修改 {len(report.changed)}、删除 {len(report.removed)} 个文件，"
                   f"重新计算 {report.embedded} 个条款的向量，用时 {report.seconds:.1f} 秒。{skipped}")
        finally:
            self._rebuild.release()

    def save_upload(self, paths: list[str] | None) -> list[str]:
        """Check and copy uploaded files into the document folder; returns messages per file.
        A file is only copied after it parsed successfully, so a bad upload never replaces a good file."""
        messages = []
        docs_dir = Path(self.settings.docs_dir)
        for raw in paths or []:
            src = Path(raw)
            name = Path(src.name).name
            try:
                self._check_upload(src, name)
            except UploadError as exc:
                messages.append(f"⚠️ {name}：{exc}")
                continue
            target = docs_dir / name
            existed = target.exists()
            tmp = docs_dir / f".{name}.upload"
            shutil.copyfile(src, tmp)
            tmp.replace(target)
            messages.append(f"{'已更新' if existed else '已添加'} {name}")
        return messages

    def _check_upload(self, src: Path, name: str) -> None:
        suffix = Path(name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise UploadError(f"不支持的文件类型 {suffix or '（无扩展名）'}，支持 {' '.join(SUPPORTED_SUFFIXES)}")
        size = src.stat().st_size
        if size == 0:
            raise UploadError("文件是空的")
        if size > self.settings.max_upload_bytes:
            raise UploadError(f"文件太大（{size / 1e6:.1f} MB），上限 {self.settings.max_upload_bytes / 1e6:.0f} MB")
        with tempfile.TemporaryDirectory() as tmp:
            probe = Path(tmp) / name
            shutil.copyfile(src, probe)
            try:
                load_document(probe)
            except DocumentError as exc:
                raise UploadError(f"无法读取：{exc.reason}") from exc

    def upload(self, paths: list[str] | None) -> Iterator[str]:
        messages = self.save_upload(paths)
        text = "<br>".join(messages) or "没有选择文件。"
        yield text
        if any(not m.startswith("⚠️") for m in messages):
            for progress in self.rebuild():
                yield text + "<br>" + progress

    # ------------------------------------------------------------ examples
    def example_questions(self, n: int = 4) -> list[str]:
        """Questions drawn from the indexed documents: one about responsibility, others about clause content."""
        data = self.pipeline.retriever().data
        out: list[str] = []
        seen_docs: set[str] = set()
        for sc in data.clauses:
            c = sc.clause
            if c.doc in seen_docs or c.path in (("前言",), ("落款",)) or len(c.path) < 2:
                continue
            heading = for_search(strip_marker(c.path[-1]))
            if not 4 <= len(heading) <= 20 or heading in _GENERIC_HEADINGS:
                continue
            kind = re.search(r"(行动方案|实施方案|工作方案|方案|答复|通知|意见|办法|规划|计划)$", for_search(c.title))
            place = _place(c.title) or (kind.group(1) + "中" if kind else "")
            if c.duties and not any("负责" in q for q in out):
                out.append(f"{place}“{heading}”这项工作由哪些部门负责？")
            else:
                out.append(f"{place}“{heading}”有哪些具体举措？")
            seen_docs.add(c.doc)
            if len(out) >= n:
                break
        return out


_GENERIC_HEADINGS = frozenset("指导思想 基本原则 总体目标 主要目标 工作目标 总体要求 思路目标 保障措施 组织实施".split())


def _place(title: str) -> str:
    m = re.match(r"^(?:对.*?代表.*)?([\u4e00-\u9fff]{2,4}?[省市区县])", for_search(title))
    return m.group(1) if m else ""


def _question_error_zh(exc: QuestionError) -> str:
    text = str(exc)
    if "empty" in text:
        return "请输入问题。"
    if "limit" in text:
        return f"问题太长了（{text}），请精简到 2000 字以内。"
    return text


def build_page(app: ChatApp):
    """The Gradio Blocks page."""
    import gradio as gr

    with gr.Blocks(title="政策文件问答") as page:
        gr.Markdown("## 政策文件问答\n回答中的每一句话都标注了出处〔n〕，点击可查看对应条款。文件没有涉及的问题会如实说明。")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="对话", height=480, sanitize_html=False, elem_id="chat")
                question = gr.Textbox(label="问题", placeholder="例如：唐山对新认定的国家级科技企业孵化器奖补多少？", lines=2,
                                      elem_id="question")
                with gr.Row():
                    ask = gr.Button("提问", variant="primary", elem_id="ask")
                    clear = gr.Button("清空对话", elem_id="clear")
                examples = app.example_questions()
                with gr.Row():
                    example_buttons = [gr.Button(q, size="sm", elem_classes=["example"]) for q in examples]
            with gr.Column(scale=2):
                sources = gr.HTML(sources_html(None, {}), elem_id="sources")
        with gr.Accordion("设置", open=False):
            backend = gr.Dropdown(BACKENDS, value=app.settings.llm if app.settings.llm in BACKENDS else "extractive",
                                  label="回答方式（local：本地模型；openai：兼容 OpenAI 的服务；extractive：原文摘录）",
                                  elem_id="backend")
            k = gr.Slider(1, 10, value=app.settings.top_k, step=1, label="检索条款数", elem_id="k")
        with gr.Accordion("文档", open=False, elem_id="documents"):
            docs = gr.HTML(app.documents())
            with gr.Row():
                rebuild = gr.Button("重建索引", elem_id="rebuild")
                refresh = gr.Button("刷新列表")
            upload = gr.File(label="上传文件（.txt .md .html .docx .pdf）", file_count="multiple",
                             file_types=list(SUPPORTED_SUFFIXES), elem_id="upload")
            upload_status = gr.HTML(elem_id="upload-status")

        ask.click(app.respond, [question, chat, backend, k], [chat, sources, question])
        question.submit(app.respond, [question, chat, backend, k], [chat, sources, question])
        clear.click(lambda: ([], sources_html(None, {}), ""), None, [chat, sources, question])
        for button in example_buttons:
            button.click(lambda q: q, button, question).then(app.respond, [question, chat, backend, k],
                                                              [chat, sources, question])
        rebuild.click(app.rebuild, None, upload_status).then(app.documents, None, docs)
        refresh.click(app.documents, None, docs)
        upload.upload(app.upload, upload, upload_status).then(app.documents, None, docs)
    page.queue(default_concurrency_limit=4)
    return page


def launch(settings: Settings, **kwargs):
    """Start the page (never a public share link)."""
    app = ChatApp(settings)
    page = build_page(app)
    auth = (settings.auth_user, settings.auth_password) if settings.auth_user and settings.auth_password else None
    return page.launch(server_name=settings.host, server_port=settings.port, share=False, auth=auth,
                       css=PAGE_CSS, head=PAGE_HEAD, show_error=False, **kwargs)
