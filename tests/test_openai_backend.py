"""The OpenAI-compatible backend against a real HTTP server on loopback, started by the test."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rag.answering.answerer import Answerer
from rag.config import Settings
from rag.errors import LLMError
from rag.llm.factory import make_llm
from rag.llm.openai import OpenAIChat


class ChatServer(ThreadingHTTPServer):
    """Speaks /v1/chat/completions with SSE streaming; behaviour set per test."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ChatHandler)
        self.reply = "你好"
        self.fail_first = 0  # answer HTTP 500 to this many requests first
        self.delay = 0.0
        self.requests: list[dict] = []
        self.headers_seen: list[dict] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class ChatHandler(BaseHTTPRequestHandler):
    server: ChatServer

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        self.server.headers_seen.append(dict(self.headers))
        if self.path != "/v1/chat/completions":
            self.send_error(404)
            return
        if self.server.fail_first > 0:
            self.server.fail_first -= 1
            self.send_error(500, "overloaded")
            return
        time.sleep(self.server.delay)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        reply = self.server.reply
        for i in range(0, len(reply), 4):
            chunk = {"id": "c1", "object": "chat.completion.chunk", "model": body["model"],
                     "choices": [{"index": 0, "delta": {"content": reply[i : i + 4]}, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture
def server():
    srv = ChatServer()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_streams_pieces_and_sends_model_key_and_messages(server):
    server.reply = "根据条款，答案是五十家[1]。"
    llm = OpenAIChat(server.base_url, "qwen-test", api_key="sk-test", timeout=5, retries=0)
    pieces = list(llm.stream([{"role": "user", "content": "问"}], max_new_tokens=50))
    assert len(pieces) > 1 and "".join(pieces) == server.reply
    req = server.requests[0]
    assert req["model"] == "qwen-test" and req["stream"] is True and req["messages"][0]["content"] == "问"
    assert server.headers_seen[0]["Authorization"] == "Bearer sk-test"


def test_retries_after_server_error(server):
    server.fail_first = 1
    server.reply = "好"
    llm = OpenAIChat(server.base_url, "m", timeout=5, retries=2)
    assert "".join(llm.stream([{"role": "user", "content": "问"}], 10)) == "好"
    assert len(server.requests) == 2


def test_slow_server_times_out_with_clear_error(server):
    server.delay = 3.0
    llm = OpenAIChat(server.base_url, "m", timeout=0.5, retries=0)
    started = time.perf_counter()
    with pytest.raises(LLMError, match="cannot reach"):
        list(llm.stream([{"role": "user", "content": "问"}], 10))
    assert time.perf_counter() - started < 3.0


def test_unreachable_server_is_a_clear_error():
    llm = OpenAIChat("http://127.0.0.1:9/v1", "m", timeout=1, retries=1)
    with pytest.raises(LLMError, match="cannot reach http://127.0.0.1:9/v1"):
        list(llm.stream([{"role": "user", "content": "问"}], 10))


def test_answer_through_openai_backend(server, fake_session):
    server.reply = "对新认定的国家级、省级科技企业孵化器分别给予50万元、30万元奖补经费[1]。"
    settings = fake_session.settings.with_(llm="openai", openai_base_url=server.base_url, openai_model="m")
    answerer = Answerer(fake_session, "openai", llm=make_llm("openai", settings))
    pieces = list(answerer.stream("唐山 孵化器 奖补经费 国家级 省级"))
    final = pieces[-1]
    assert final.backend == "openai" and not final.refused
    assert final.citations and "50万元、30万元" in final.citations[0].text
    assert "〔1〕" in final.body
    system = server.requests[0]["messages"][0]["content"]
    assert "编号" in system


def test_answer_falls_back_when_server_is_down(fake_session):
    settings = fake_session.settings.with_(openai_base_url="http://127.0.0.1:9/v1", openai_retries=0,
                                            openai_timeout=1.0)
    answerer = Answerer(fake_session, "openai", llm=make_llm("openai", settings))
    final = list(answerer.stream("静海区 有效发明专利 达到 多少件"))[-1]
    assert final.backend == "extractive" and "不可用" in final.note and final.citations


def test_unknown_backend_name_is_rejected():
    with pytest.raises(ValueError, match="unknown LLM backend"):
        make_llm("gpt-magic", Settings())


def test_the_checks_refuse_for_the_openai_backend_too(server, fake_session):
    """The same answerability decision as extractive: a level the documents do not give is refused before any
    request reaches the model server, and a model answer that cites no clause with the asked figure is replaced
    by the sentence that states it."""
    settings = fake_session.settings.with_(llm="openai", openai_base_url=server.base_url, openai_model="m")
    answerer = Answerer(fake_session, "openai", llm=make_llm("openai", settings))
    refused = list(answerer.stream("唐山对新认定的县级科技企业孵化器奖补多少？"))[-1]
    assert refused.refused and "县级" in refused.body and server.requests == []
    server.reply = "唐山对孵化器给予支持[2]。"
    final = list(answerer.stream("唐山对新认定的省级科技企业孵化器奖补多少？"))[-1]
    assert not final.refused and server.requests
    assert "30万元" in final.body and "30万元" in final.citations[0].text
