"""Through the page (`python -m rag bench --page`): the chat page with a backend, driven by Debian's chromium
(Playwright), per question: when the verified quote is on screen and when the final cited answer is.

The clock starts at the click on 「提问」 and stops when the element is in the page, so it includes Gradio's
queue and streaming and the browser's rendering; the page is opened (and the model warmed) before the clock."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .gold import ROOT
from .bench_llm import cpu_description, percentile
from .metrics import GoldItem

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# The page's marks: a cited quote (「原文摘录」), a cited final answer (its source card), a refusal's related card.
QUOTE = "#chat .quote a.cite"
FINAL = "#sources .card.cited, #sources .card.related"
START_SECONDS = 300
ANSWER_SECONDS = 180


def free_port() -> int:
    """A loopback port nobody listens on now (for a server this process or a child starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_page(env_extra: dict, log: Path) -> tuple[subprocess.Popen, str]:
    """`python app.py` on a free loopback port; (process, url) once the port answers."""
    port = free_port()
    env = {**os.environ, **env_extra, "RAG_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    proc = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    deadline = time.time() + START_SECONDS
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc, f"http://127.0.0.1:{port}/"
        except OSError:
            time.sleep(1)
    proc.kill()
    raise RuntimeError(f"the app did not start in {START_SECONDS} s")


def _timed_question(browser, url: str, question: str) -> dict:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(url)
        page.wait_for_selector("#question textarea", timeout=60000)
        page.fill("#question textarea", question)
        started = time.perf_counter()
        page.click("#ask")
        page.wait_for_selector(f"{QUOTE}, {FINAL}", timeout=ANSWER_SECONDS * 1000)
        first = time.perf_counter() - started
        page.wait_for_selector(FINAL, timeout=ANSWER_SECONDS * 1000)
        return {"question": question, "first_verified_s": first, "final_s": time.perf_counter() - started}
    finally:
        page.close()


def bench_page(index: Path, docs: Path, items: list[GoldItem], backend: str) -> dict:
    """Every question through the page with the backend; the first one only warms up (not counted)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    with tempfile.TemporaryDirectory(prefix="rag-page-") as tmp:
        proc, url = start_page(
            {"RAG_DOCS_DIR": str(docs), "RAG_INDEX_DIR": str(index), "RAG_LLM": backend}, Path(tmp) / "app.log"
        )
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                _timed_question(browser, url, items[0].question)
                rows = [_timed_question(browser, url, item.question) for item in items]
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    firsts, finals = [r["first_verified_s"] for r in rows], [r["final_s"] for r in rows]
    return {
        "cpu": cpu_description(),
        "backend": backend,
        "questions": len(rows),
        "rows": rows,
        "first_verified_p50_s": percentile(firsts, 0.5),
        "first_verified_p95_s": percentile(firsts, 0.95),
        "final_p50_s": percentile(finals, 0.5),
        "final_p95_s": percentile(finals, 0.95),
    }


def describe_page(m: dict) -> str:
    cpu = m["cpu"]
    return (
        f"through the page ({m['backend']}, {m['questions']} questions, {cpu['model']}, {cpu['cores']} cores): "
        f"first verified text p50 {m['first_verified_p50_s']:.2f} s / p95 {m['first_verified_p95_s']:.2f} s, "
        f"final cited answer p50 {m['final_p50_s']:.2f} s / p95 {m['final_p95_s']:.2f} s"
    )
