"""One generation at a time per model: first come first served, with each waiter's place in line."""
from __future__ import annotations

import threading

from rag.llm.queue import GenerationQueue


def test_fifo_places_and_release():
    q = GenerationQueue()
    first, second, third = q.join(), q.join(), q.join()
    assert (first.ahead(), second.ahead(), third.ahead()) == (0, 1, 2)
    assert first.wait(0) and not second.wait(0.01)
    first.leave()
    assert second.wait(0.1) and third.ahead() == 1
    third.leave()  # leaving from the middle of the line (the user left)
    second.leave()
    assert len(q) == 0


def test_waiter_wakes_when_turn_comes():
    q = GenerationQueue()
    holder = q.join()
    waiter = q.join()
    woke = threading.Event()

    def wait() -> None:
        if waiter.wait(5):
            woke.set()

    t = threading.Thread(target=wait)
    t.start()
    assert not woke.wait(0.1)
    holder.leave()
    t.join(5)
    assert woke.is_set()
    waiter.leave()


def test_turn_context_releases_on_error():
    q = GenerationQueue()
    try:
        with q.turn():
            raise RuntimeError("generation failed")
    except RuntimeError:
        pass
    assert len(q) == 0


def test_a_question_left_midway_frees_the_model_for_the_next(fake_session):
    from rag.answering.answerer import Answerer
    from rag.types import Waiting
    from conftest import ScriptedLLM

    llm = ScriptedLLM("静海区有效发明专利达到350件[1]。全区有效发明专利达到350件[1]。")
    llm.queue = GenerationQueue()
    holder = llm.queue.join()  # another question is generating
    stream = Answerer(fake_session, "scripted", llm=llm).stream("静海区 有效发明专利 达到 多少件")
    first_wait = next(item for item in stream if isinstance(item, Waiting))
    assert first_wait.ahead == 1 and len(llm.queue) == 2
    stream.close()  # the user left or pressed stop
    assert len(llm.queue) == 1  # only the holder is left: the abandoned question gave up its place
    holder.leave()
    final = list(Answerer(fake_session, "scripted", llm=llm).stream("静海区 有效发明专利 达到 多少件"))[-1]
    assert final.citations and len(llm.queue) == 0
