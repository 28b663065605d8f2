"""Questions about a document itself recognised by meaning (answering/fact_questions.py): the shipped model reads
ways of asking the wording rules miss, leaves content questions alone, and abstains in another vector space."""

import json

import numpy as np
import pytest

from rag.answering.fact_questions import FACT_QUESTIONS_PARAMETERS, asked_fact, load_fact_model
from rag.query.intents import asks_document_fact

# Written for this test, in none of the training files (tests/fact_questions.jsonl, metadata_questions.jsonl).
UNSEEN = [
    ("那个通知的落款是哪一天？", "date"),
    ("答复的署名单位是哪个？", "issuer"),
    ("这份文件来自哪个部门？", "issuer"),
    ("文件的出文时间？", "date"),
]
CONTENT = ["哪天截止申报？", "市科技局负责什么？", "孵化器的补贴标准是多少？"]


@pytest.fixture(scope="module")
def e5():
    from rag.indexing.embedders import make_embedder

    return make_embedder("e5")


def test_a_model_is_shipped_for_the_e5_space():
    from rag.indexing.embedder_base import E5_SPACE

    model = load_fact_model()
    assert model is not None and model.space == E5_SPACE and 0 < model.threshold < 1
    trained = {json.loads(line)["question"] for line in FACT_QUESTIONS_PARAMETERS.parent.parent.parent.joinpath(
        "tests", "fact_questions.jsonl").read_text(encoding="utf-8").splitlines()}
    assert not {q for q, _ in UNSEEN} & trained and not set(CONTENT) & trained


@pytest.mark.parametrize("question, field", UNSEEN)
def test_ways_of_asking_the_rules_miss_are_read_by_meaning(e5, question, field):
    assert asks_document_fact(question) is None  # the wording rules alone miss it
    assert asked_fact(question, lambda: e5.embed_query(question), e5.space) == field


@pytest.mark.parametrize("question", CONTENT)
def test_content_questions_stay_content_questions(e5, question):
    assert asked_fact(question, lambda: e5.embed_query(question), e5.space) is None


def test_the_rules_come_first_and_the_model_abstains_in_another_space():
    asked = []

    def vector():
        asked.append(1)
        return np.zeros(384)

    assert asked_fact("这份文件的文号是多少？", vector, "another-space") == "number" and not asked  # by wording
    assert asked_fact("那份方案的来源单位是哪个？", vector, "another-space") is None and not asked  # abstains
