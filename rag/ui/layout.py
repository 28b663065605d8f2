"""The Gradio Blocks page and its launch (loopback by default, never a public share link)."""
from __future__ import annotations

from ..ingest.readers import SUPPORTED_SUFFIXES
from ..llm.factory import BACKENDS
from ..session import Session
from .handlers import ChatApp
from .views import PAGE_CSS, PAGE_HEAD, sources_html


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
                    stop = gr.Button("停止", elem_id="stop")
                    clear = gr.Button("清空对话", elem_id="clear")
                examples = app.example_questions()
                with gr.Row():
                    example_buttons = [gr.Button(q, size="sm", elem_classes=["example"]) for q in examples]
            with gr.Column(scale=2):
                sources = gr.HTML(sources_html(None, {}), elem_id="sources")
        with gr.Accordion("设置", open=False):
            backend = gr.Dropdown(list(BACKENDS), value=app.settings.llm if app.settings.llm in BACKENDS else "extractive",
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

        turns = gr.State([])  # this session's conversation as plain text
        ins, outs = [question, chat, turns, backend, k], [chat, turns, sources, question]
        answering = [ask.click(app.respond, ins, outs), question.submit(app.respond, ins, outs)]
        for button in example_buttons:
            answering.append(button.click(lambda q: q, button, question).then(app.respond, ins, outs))
        # Stopping closes the answer's generator, which gives the model to the next question in line.
        stop.click(None, None, None, cancels=answering)
        clear.click(lambda: ([], [], sources_html(None, {}), ""), None, outs, cancels=answering)
        rebuild.click(app.rebuild, None, upload_status).then(app.documents, None, docs)
        refresh.click(app.documents, None, docs)
        upload.upload(app.upload, upload, upload_status).then(app.documents, None, docs)
    page.queue(default_concurrency_limit=4)
    return page


def launch(session: Session, **kwargs):
    """Start the page (never a public share link)."""
    settings = session.settings
    app = ChatApp(settings, session)
    page = build_page(app)
    auth = (settings.auth_user, settings.auth_password) if settings.auth_user and settings.auth_password else None
    return page.launch(server_name=settings.host, server_port=settings.port, share=False, auth=auth,
                       css=PAGE_CSS, head=PAGE_HEAD, show_error=False, **kwargs)
