"""The Gradio Blocks page (served with the HTTP API by rag/serve.py)."""

from __future__ import annotations

import gradio as gr  # module level: Gradio resolves the `gr.Request` annotations below through these globals

from ..config import MAX_TOP_K
from ..feedback import MAX_COMMENT_CHARS
from ..text.doc_types import DOC_KINDS
from ..ingest.readers import SUPPORTED_SUFFIXES
from .handlers import ChatApp
from .views import sources_html


def build_page(app: ChatApp):
    """The Gradio Blocks page."""
    with gr.Blocks(title="政策文件问答") as page:
        gr.Markdown(
            "## 政策文件问答\n回答中的每一句话都标注了出处〔n〕，点击可查看对应条款。文件没有涉及的问题会如实说明。"
        )
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="对话", height=480, sanitize_html=False, elem_id="chat")
                question = gr.Textbox(
                    label="问题",
                    placeholder="例如：唐山对新认定的国家级科技企业孵化器奖补多少？",
                    lines=2,
                    elem_id="question",
                )
                with gr.Row():
                    ask = gr.Button("提问", variant="primary", elem_id="ask")
                    stop = gr.Button("停止", elem_id="stop")
                    clear = gr.Button("清空对话", elem_id="clear")
                with gr.Row():
                    comment = gr.Textbox(
                        label="对回答的说明（可选，点 👍/👎 时一并提交）",
                        max_length=MAX_COMMENT_CHARS,
                        scale=4,
                        elem_id="feedback-comment",
                    )
                    rated = gr.HTML(elem_id="feedback-status")
                examples = app.example_questions()
                with gr.Row():
                    example_buttons = [gr.Button(q, size="sm", elem_classes=["example"]) for q in examples]
            with gr.Column(scale=2):
                sources = gr.HTML(sources_html(None, {}), elem_id="sources")
        with gr.Accordion("设置", open=False):
            offered = list(app.settings.offered_backends())
            backend = gr.Dropdown(
                offered,
                value=offered[0],
                label="回答方式（local：本地模型；openai：兼容 OpenAI 的服务；extractive：原文摘录）",
                elem_id="backend",
            )
            k = gr.Slider(1, MAX_TOP_K, value=app.settings.top_k, step=1, label="检索条款数", elem_id="k")
            gr.Markdown("只在符合条件的文件中检索（按文件的发文机关、地区、文种和日期；留空表示不限）：")
            with gr.Row():
                region = gr.Textbox(label="地区（如：天津）", max_length=40, elem_id="filter-region")
                issuer = gr.Textbox(label="发文机关（如：科技局）", max_length=40, elem_id="filter-issuer")
                doc_type = gr.Dropdown(["", *DOC_KINDS], value="", label="文种", elem_id="filter-type")
            with gr.Row():
                since = gr.Textbox(label="日期自（YYYY-MM-DD）", max_length=10, elem_id="filter-since")
                until = gr.Textbox(label="日期至（YYYY-MM-DD）", max_length=10, elem_id="filter-until")
        with gr.Accordion("文档", open=False, elem_id="documents"):
            docs = gr.HTML(app.documents())
            with gr.Row():
                rebuild = gr.Button("重建索引", elem_id="rebuild")
                refresh = gr.Button("刷新列表")
            # Uploads and restores only when the server was started with uploads on (and then for logged-in users).
            with gr.Group(visible=app.settings.uploads):
                # No `file_types`: Gradio's own type check would leave a refused file in its upload folder; the
                # server's check names the types, refuses and deletes.
                upload = gr.File(
                    label=f"上传文件（{' '.join(SUPPORTED_SUFFIXES)}；同名文件会保存为新版本）",
                    file_count="multiple",
                    elem_id="upload",
                )
                with gr.Row():
                    version = gr.Dropdown(app.version_choices(), label="恢复以前的版本", elem_id="version")
                    restore = gr.Button("恢复所选版本", elem_id="restore")
                # Uploads start untrusted: their 废止/替代 claims wait until the administrator confirms the source.
                with gr.Row():
                    pending = gr.Dropdown(app.unconfirmed(), label="来源待确认的上传文件", elem_id="unconfirmed")
                    confirm = gr.Button("确认来源", elem_id="confirm")
            upload_status = gr.HTML(elem_id="upload-status")

        turns = gr.State([])  # this session's conversation as plain text
        ins = [question, chat, turns, backend, k, region, issuer, doc_type, since, until]
        outs = [chat, turns, sources, question]
        answering = [ask.click(app.respond, ins, outs), question.submit(app.respond, ins, outs)]
        for button in example_buttons:
            answering.append(button.click(lambda q: q, button, question).then(app.respond, ins, outs))
        # Stopping closes the answer's generator, which gives the model to the next question in line.
        # gradio takes the events themselves as `cancels` (its annotation says their config dicts)
        stop.click(None, None, None, cancels=answering)  # type: ignore[arg-type]
        clear.click(lambda: ([], [], sources_html(None, {}), ""), None, outs, cancels=answering)  # type: ignore[arg-type]

        def on_rate(data: gr.LikeData, note: str, request: gr.Request):
            client = request.client.host if getattr(request, "client", None) else ""
            return app.rate(data.value, data.liked, note, getattr(request, "username", None), client), ""

        chat.like(on_rate, [comment], [rated, comment])

        def on_rebuild():  # a generator function: Gradio streams only what it can see is one
            yield from app.rebuild()

        def on_upload(paths, request: gr.Request):
            yield from app.upload(paths, request)

        def on_restore(choice, request: gr.Request):
            yield from app.restore(choice, request)

        def on_confirm(name, request: gr.Request):
            yield from app.confirm(name, request)

        def refreshed():
            panel, choices = app.refreshed()
            return panel, gr.update(choices=choices), gr.update(choices=app.unconfirmed(), value=None)

        listed = [docs, version, pending]
        rebuild.click(on_rebuild, None, upload_status).then(refreshed, None, listed)
        refresh.click(refreshed, None, listed)
        upload.upload(on_upload, upload, upload_status).then(refreshed, None, listed)
        restore.click(on_restore, version, upload_status).then(refreshed, None, listed)
        confirm.click(on_confirm, pending, upload_status).then(refreshed, None, listed)
        page.load(refreshed, None, listed)
    page.queue(default_concurrency_limit=4)
    return page
