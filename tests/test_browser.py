"""End to end in a real browser: Debian's chromium driven by Playwright against `python app.py`."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT, SEEDS
from rag.evaluation.bench_page import CHROMIUM, CHROMIUM_ARGS, start_page

USER, PASSWORD = "admin", "s3cret-for-tests"
HOSTILE_DOC = ("某市数据安全办法\n一、安全措施\n（一）数据安全审查。对重要数据处理活动开展安全审查"
               "<img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script>（市网信办负责）。\n")
pytestmark = pytest.mark.slow


def start_app(work: Path, env_extra: dict):
    """`python app.py` on a free loopback port; returns (process, url) once the port answers."""
    try:
        return start_page(env_extra, work / "app.log")
    except RuntimeError as exc:
        pytest.fail(str(exc))


def stop_app(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:  # open browser connections can hold a graceful shutdown
        proc.kill()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does)")
    work = tmp_path_factory.mktemp("app")
    docs = work / "docs"
    shutil.copytree(SEEDS, docs)
    (docs / "恶意文件.txt").write_text(HOSTILE_DOC, encoding="utf-8")
    proc, url = start_app(work, {"RAG_DOCS_DIR": str(docs), "RAG_INDEX_DIR": str(work / "index"), "RAG_LLM": "extractive",
                                 "RAG_UPLOADS": "1", "RAG_AUTH_USER": USER, "RAG_AUTH_PASSWORD": PASSWORD})
    yield url, docs, work
    stop_app(proc)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, url: str, login: bool = True):
    """A new page at the app, logged in when the server asks for it."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    if login:
        page.wait_for_selector("input[type=password]", timeout=60000)
        page.fill("input[data-testid=textbox]", USER)
        page.fill("input[type=password]", PASSWORD)
        page.click("button:has-text('Login')")
    page.wait_for_selector("#question textarea", timeout=60000)
    return page


def ask(page, question: str) -> None:
    page.fill("#question textarea", question)
    page.click("#ask")


def test_ask_see_answer_and_source_card_then_click_marker(server, browser):
    url, _, _ = server
    page = open_page(browser, url)
    ask(page, "唐山对新认定的国家级、省级科技企业孵化器分别奖补多少？")
    page.wait_for_selector("#sources .card.cited", timeout=60000)
    assert "50万元" in page.inner_text("#chat")
    assert "唐山市人民政府关于加快科技创新平台建设的实施方案" in page.inner_text("#sources")
    page.click("#chat a.cite")
    page.wait_for_selector("#src-1.flash", timeout=5000)
    if os.environ.get("RAG_UPDATE_SCREENSHOT"):
        page.screenshot(path=str(ROOT / "docs" / "screenshot.png"), full_page=True)
    page.close()


def test_thumbs_down_with_a_comment_is_stored_with_the_answer(server, browser):
    url, _, work = server
    page = open_page(browser, url)
    ask(page, "唐山对新认定的国家级、省级科技企业孵化器分别奖补多少？")
    page.wait_for_selector("#sources .card.cited", timeout=60000)
    page.fill("#feedback-comment textarea", "想知道市级的标准")
    page.hover("#chat [data-answer-id]")
    page.click("#chat button[aria-label='Dislike']")
    page.wait_for_function("document.querySelector('#feedback-status').innerText.includes('已记录')", timeout=30000)
    records = [json.loads(line) for line in (work / "index" / "feedback.jsonl").read_text(encoding="utf-8").splitlines()]
    last = records[-1]
    assert last["rating"] == "down" and last["comment"] == "想知道市级的标准" and last["user"] == USER
    assert "孵化器" in last["question"] and last["citations"] and "50万元" in last["answer"]
    page.close()


def test_a_card_shows_its_documents_facts_and_the_filter_keeps_to_its_documents(server, browser):
    url, _, _ = server
    page = open_page(browser, url)
    ask(page, "给刘智代表的建议答复是哪天发的")
    page.wait_for_selector("#sources .card.cited", timeout=60000)
    assert "2019年7月5日" in page.inner_text("#chat")
    facts = page.inner_text("#sources .card.cited .facts")
    assert "成文日期：2019年7月5日" in facts and "发文机关：天津市科学技术局" in facts
    page.click("text=设置")
    page.fill("#filter-region input, #filter-region textarea", "北京")
    ask(page, "科技企业孵化器奖补多少？")
    page.wait_for_function("document.querySelector('#chat').innerText.includes('没有符合筛选条件')", timeout=60000)
    page.fill("#filter-region input, #filter-region textarea", "唐山")
    ask(page, "科技企业孵化器奖补多少？")
    page.wait_for_function("document.querySelectorAll('#chat .message, #chat [data-testid=bot]').length > 0 && "
                           "document.querySelector('#chat').innerText.includes('50万元')", timeout=60000)
    titles = page.eval_on_selector_all("#sources .card .doc", "els => els.map(e => e.innerText)")
    assert titles and all("唐山" in t for t in titles), titles
    page.close()


def test_upload_document_then_answer_cites_it(server, browser):
    url, docs, work = server
    new_doc = work / "绿色金融支持办法.txt"
    new_doc.write_text("某市绿色金融支持办法\n一、支持措施\n（一）绿色信贷贴息。对符合条件的绿色信贷按贷款利息的30%给予贴息（市金融局负责）。\n",
                       encoding="utf-8")
    page = open_page(browser, url)
    page.click("#documents")
    page.set_input_files("#upload input[type=file]", str(new_doc))
    page.wait_for_function("document.querySelector('#upload-status').innerText.includes('重建完成')", timeout=120000)
    assert (docs / new_doc.name).exists()
    ask(page, "绿色信贷贴息的比例是多少？")
    page.wait_for_selector("#sources .card.cited", timeout=60000)
    assert "绿色金融支持办法" in page.inner_text("#sources")
    assert "30%" in page.inner_text("#chat")
    page.close()


@pytest.fixture(scope="module")
def local_server(tmp_path_factory):
    """The page with the local model (llama.cpp) as its backend."""
    work = tmp_path_factory.mktemp("app-local")
    proc, url = start_app(work, {"RAG_DOCS_DIR": str(SEEDS), "RAG_INDEX_DIR": str(work / "index"), "RAG_LLM": "local"})
    yield url
    stop_app(proc)


@pytest.mark.llm
def test_candidates_show_before_the_answer_and_a_second_question_waits_in_line(local_server, browser):
    first, second = open_page(browser, local_server, login=False), open_page(browser, local_server, login=False)
    try:
        ask(first, "唐山计划到2025年建设多少家市级以上科技企业孵化器和众创空间？")
        ask(second, "静海区全社会研发投入强度的目标是多少？")
        first.wait_for_selector("#sources .card.candidate", timeout=20000)
        # The candidates are on screen while the model is still writing: no cited card yet.
        assert first.query_selector("#sources .card.cited") is None
        # One of the two questions holds the model; the other shows its place in line.
        deadline = time.time() + 60
        seen = ""
        while time.time() < deadline and "排队中" not in seen:
            seen = first.inner_text("#chat") + second.inner_text("#chat")
            time.sleep(0.3)
        assert "排队中" in seen, seen
        for page in (first, second):
            page.wait_for_selector("#sources .card.cited, #sources .card.related", timeout=180000)
            assert "排队中" not in page.inner_text("#chat")
    finally:
        first.close()
        second.close()


@pytest.mark.llm
def test_the_verified_quote_shows_before_the_model_answer(local_server, browser):
    """With the local model: 「原文摘录」 with a cited quote is on screen long before the model's wording, and the final
    message is cited (the model's 「回答」 when it verifies, else the quote that stayed), with no apology text."""
    page = open_page(browser, local_server, login=False)
    try:
        started = time.time()
        ask(page, "静海区有效发明专利的目标是多少件？")
        page.wait_for_selector("#chat .quote a.cite", timeout=120000)
        quote_at = time.time() - started
        assert "350件" in page.inner_text("#chat .quote")
        page.wait_for_selector("#sources .card.cited", timeout=180000)
        final_at = time.time() - started
        text = page.inner_text("#chat")
        assert quote_at < final_at and ("回答" in text or "原文摘录" in text)
        assert page.query_selector("#chat a.cite") is not None and "印证" not in text and "以下为" not in text
    finally:
        page.close()


def test_hostile_document_text_never_runs_as_script(server, browser):
    url, _, _ = server
    page = open_page(browser, url)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    ask(page, "重要数据处理活动的安全审查由哪个部门负责？")
    page.wait_for_selector("#sources .card.cited, #sources .card.related", timeout=60000)
    page.wait_for_timeout(1000)
    assert page.evaluate("window.__xss") is None and not dialogs
    assert page.query_selector("#chat img[src=x], #sources img[src=x], #chat script, #sources script") is None
    assert "onerror" in page.inner_text("#sources")  # shown as text, not run
    page.close()


def test_rebuild_button_brings_a_stale_index_up_to_date(server, browser):
    url, docs, _ = server
    (docs / "新增办法.txt").write_text("某市人才办法\n一、人才引进\n（一）安家补贴。对引进的博士给予每人20万元安家补贴（市人社局负责）。\n",
                                     encoding="utf-8")
    page = open_page(browser, url)
    page.click("#documents")
    page.wait_for_selector("#documents >> text=索引已过期", timeout=60000)
    page.click("#rebuild")
    page.wait_for_selector("#upload-status >> text=重建完成", timeout=120000)
    page.wait_for_selector("#documents >> text=索引是最新的", timeout=60000)
    assert "新增 1" in page.inner_text("#upload-status")
    page.close()


def _logged_in_client(url: str):
    import httpx

    client = httpx.Client(base_url=url, timeout=30)
    assert client.post("login", data={"username": USER, "password": PASSWORD}).status_code == 200
    return client


def test_a_server_file_cannot_be_uploaded_through_the_api(server):
    """The probe of the review: an API call naming a server path as the uploaded file."""
    url, docs, work = server
    secret = work / "private" / "security.md"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text("内部安全说明\n一、口令管理\n（一）服务器口令每季度更换一次，由信息中心负责。\n", encoding="utf-8")
    client = _logged_in_client(url)
    payload = {"data": [[{"path": str(secret), "orig_name": "security.md", "meta": {"_type": "gradio.FileData"}}]]}
    answer = client.post("gradio_api/call/on_upload", json=payload)
    assert answer.status_code == 200, answer.text
    stream = client.get(f"gradio_api/call/on_upload/{answer.json()['event_id']}").text
    events = [json.loads(line[5:]) for line in stream.splitlines() if line.startswith("data:")]
    assert "已添加" not in json.dumps(events, ensure_ascii=False) and not (docs / "security.md").exists(), events
    assert secret.exists()  # and the server did not delete it either


def test_api_routes_need_the_login(server):
    import httpx

    url, _, _ = server
    for path in ("config", "gradio_api/info"):
        assert httpx.get(url + path, timeout=10).status_code == 401, path


def test_login_attempts_are_rate_limited(server):
    """Last in this module: it leaves 127.0.0.1 locked out of logins for a minute. A client that names another
    address in X-Forwarded-For each time is still counted by its own address."""
    import httpx

    url, _, _ = server
    codes = [httpx.post(url + "login", data={"username": USER, "password": f"wrong{i}"},
                        headers={"X-Forwarded-For": f"203.0.113.{i}"}, timeout=10).status_code
             for i in range(7)]
    assert codes[0] in (400, 401) and codes[-1] == 429, codes
