"""A rebuild's embedding steps aside while a local model generates in the same process (they share 2 cores): it
waits between small batches while the model's queue is not empty, at most MAX_YIELD_SECONDS before each batch."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from rag.indexing.runner import MAX_YIELD_SECONDS, YIELD_POLL_SECONDS, YIELD_TEXTS, wait_while, yielding_runner
from rag.llm.queue import GenerationQueue


def test_wait_while_waits_for_busy_and_never_past_its_limit():
    answers = iter([True, True, False])
    slept: list[float] = []
    assert wait_while(lambda: next(answers), poll=0.5, sleep=slept.append) == 1.0 and slept == [0.5, 0.5]
    slept.clear()
    assert wait_while(lambda: True, limit=2.0, poll=0.5, sleep=slept.append) == 2.0 and len(slept) == 4


class Recording:
    """An embedder that records, for each call, how many texts it got and whether the model was busy then."""

    dim = 4

    def __init__(self, busy) -> None:
        self.busy = busy
        self.calls: list[tuple[int, bool]] = []

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.calls.append((len(texts), self.busy()))
        return np.ones((len(texts), self.dim), np.float32)


def test_the_runner_embeds_small_batches_only_while_the_model_is_idle():
    queue = GenerationQueue()
    ticket = queue.join()  # a question is being answered
    embedder = Recording(lambda: len(queue) > 0)
    runner = yielding_runner(embedder, lambda: len(queue) > 0)
    stages: list[str] = []
    release = threading.Timer(0.5, ticket.leave)  # the answer ends a little later
    release.start()
    vectors = runner([f"条款{i}" for i in range(3 * YIELD_TEXTS)], lambda stage, done, total: stages.append(stage))
    release.join()
    assert vectors.shape == (3 * YIELD_TEXTS, 4)
    assert embedder.calls and all(n <= YIELD_TEXTS for n, _ in embedder.calls)
    assert not any(busy for _, busy in embedder.calls)  # never while the model had the cores


def test_a_model_that_never_rests_does_not_stop_the_build(monkeypatch):
    import rag.indexing.build as build

    slept: list[float] = []
    monkeypatch.setattr(build.time, "sleep", slept.append)
    embedder = Recording(lambda: True)
    vectors = yielding_runner(embedder, lambda: True)(["甲", "乙"])
    assert vectors.shape == (2, 4) and len(embedder.calls) == 1
    assert sum(slept) == pytest.approx(MAX_YIELD_SECONDS, abs=YIELD_POLL_SECONDS)


def test_a_session_build_waits_for_its_local_model(fake_session):
    """Session.generating reads the queues of the session's backends; its builds step aside for them."""
    class Model:
        queue = GenerationQueue()

    model = Model()
    fake_session._llms["local"] = model
    assert not fake_session.generating()
    ticket = model.queue.join()
    assert fake_session.generating()
    inner = fake_session.embedder
    seen: list[bool] = []

    class Watching:
        """The session's embedder, noting whether the model was generating at each passage batch."""

        def __init__(self) -> None:
            self.dim, self.space, self.name = inner.dim, inner.space, getattr(inner, "name", "fake")

        def embed_passages(self, texts):
            seen.append(fake_session.generating())
            return inner.embed_passages(texts)

        def __getattr__(self, attr):
            return getattr(inner, attr)

    fake_session.embedder = Watching()
    threading.Timer(0.5, ticket.leave).start()
    report = fake_session.build(full=True)
    assert report.clauses > 0 and seen and not any(seen)


def test_a_first_use_build_under_the_session_lock_does_not_wait_on_itself(settings, fake_embedder):
    """retriever() builds a missing index while holding the session's lock; the build's runner asks
    Session.generating, which must not take that lock again."""
    from rag.session import Session

    session = Session(settings, embedder=fake_embedder)
    opened: list = []
    worker = threading.Thread(target=lambda: opened.append(session.retriever()), daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive() and opened and opened[0] is not None
