"""The learned chooser: its candidates, its margin, its fit, its parameters, and its place in the answer path."""
from __future__ import annotations

import json

import numpy as np
import pytest

from rag.answering.answerability import judge
from rag.answering.chooser import (CHOOSER_FEATURES, CHOOSER_PARAMETERS, RELATIVE, Candidate, candidates, chosen,
                                   load_chooser, pick)
from rag.answering.reader import Reader
from rag.answering.strategies import extractive_sentences
from rag.evaluation.train_chooser import NEVER_SWITCH, Choice, by_source, choose_margin, run_train_chooser, train
from rag.types import Clause, Hit

N = len(CHOOSER_FEATURES)
RUN_GAP = CHOOSER_FEATURES.index("run_gap")


def _model(margin: float, space: str = "space") -> Reader:
    """Log-odds = 2 × run_gap: the candidate with the longest unbroken run of the asked item wins."""
    weights = [0.0] * N
    weights[RUN_GAP] = 2.0
    return Reader((0.0,) * N, (1.0,) * N, tuple(weights), 0.0, margin, space)


def _candidate(index: int, run_gap: float) -> Candidate:
    values = [0.0] * N
    values[RUN_GAP] = run_gap
    return Candidate(index, tuple(values), "")


def test_a_candidate_must_beat_the_first_by_the_margin():
    found = [_candidate(0, -0.4), _candidate(1, 0.0), _candidate(2, -1.0)]  # log-odds -0.8, 0, -2
    assert pick(_model(0.5), found) == 1  # 0.8 > 0.5
    assert pick(_model(1.0), found) == 0  # 0.8 ≤ 1.0: the first stays
    assert pick(_model(0.0), found[:1]) == 0


def _hit(cid: str, text: str, score: float, dense: float) -> Hit:
    return Hit(Clause(id=cid, doc="doc.txt", title="关于推进科技创新的实施方案", path=(), label="第一条", text=text,
                      start=0, end=len(text)), score, dense, 1.0)


HITS = [
    _hit("a", "加快建设科技创新平台，完善创新生态。", 0.9, 0.90),
    _hit("b", "科技创新券用于支持中小企业购买检测服务。", 0.8, 0.89),
    _hit("c", "本方案自印发之日起施行。", 0.7, 0.85),
]


def test_candidates_read_each_hit_as_if_it_came_first(fake_session):
    facts = fake_session.retriever().facts
    question = "科技创新券用于什么"
    verdict = judge(question, HITS, facts)
    found = candidates(question, HITS, verdict, facts)
    assert found[0].index == 0 and all(len(c.values) == N for c in found)
    assert {c.index for c in found} <= {0} | set(n - 1 for n in (verdict.citable or {1, 2, 3}))
    for name in RELATIVE:  # every gap feature is ≤ 0 and the best candidate's is 0
        k = CHOOSER_FEATURES.index(f"{name}_gap")
        assert max(c.values[k] for c in found) == pytest.approx(0.0) and all(c.values[k] <= 0 for c in found)
    by_index = {c.index: c for c in found}
    assert 1 in by_index  # the clause naming 科技创新券 is a candidate, and has the longer run of the asked item
    assert by_index[1].values[RUN_GAP] == 0.0 and by_index[0].values[RUN_GAP] < 0.0
    assert "创新券" in by_index[1].window


def test_candidates_leave_out_clauses_a_model_may_not_cite(fake_session):
    facts = fake_session.retriever().facts
    verdict = judge("科技创新券用于什么", HITS, facts)
    from dataclasses import replace

    assert [c.index for c in candidates("科技创新券用于什么", HITS, replace(verdict, citable=frozenset({1})), facts)] == [0]


def test_the_chooser_abstains_without_parameters_or_in_another_vector_space(fake_session):
    facts = fake_session.retriever().facts
    verdict = judge("科技创新券用于什么", HITS, facts)
    model = _model(-1e9, space="other")  # would always switch if it read at all
    assert chosen("科技创新券用于什么", HITS, verdict, facts, "mine", model) == 0
    same = _model(-1e9, space="mine")
    assert chosen("科技创新券用于什么", HITS, verdict, facts, "mine", same) in {1, 2}


def test_the_quote_comes_from_the_chosen_clause():
    checked = extractive_sentences("科技创新券用于什么", HITS, first=1)
    assert checked[0].sources == [2] and "创新券" in checked[0].text
    assert extractive_sentences("科技创新券用于什么", HITS)[0].sources == [1]


def _choices(n: int, seed: int, split: str, source: str = "own") -> list[Choice]:
    """Three candidates each; the one holding the answer has run_gap 0 and the others below it (with noise)."""
    rng = np.random.default_rng(seed)
    out = []
    for q in range(n):
        answer = int(rng.integers(0, 3))
        values = rng.normal(0, 1, (3, N))
        values[:, RUN_GAP] = [0.0 if k == answer else -abs(rng.normal(1.0, 0.3)) for k in range(3)]
        out.append(Choice(f"{split}{q}", source, split, "问", [0, 1, 2], values.tolist(),
                          [int(k == answer) for k in range(3)], True))
    return out


def test_train_learns_to_switch_and_reports_the_tuning_figures():
    model, report = train(_choices(300, 1, "train") + _choices(100, 2, "tune"), space="s")
    assert model.weights[RUN_GAP] > 0.5 and model.space == "s" and model.threshold < NEVER_SWITCH
    tune = report["tune"]["own"]
    assert tune["chosen"] > 0.9 > tune["first"] and tune["oracle"] == 1.0


def test_the_margin_never_lets_a_source_do_worse_than_the_first_clause():
    model = _model(0.0)
    # Switching is right for "a" and wrong for "b" (its answers are in the first clause).
    good = _choices(40, 3, "tune", "a")
    bad = [Choice(c.id, "b", "tune", "问", c.indices, c.values, [1, 0, 0], True) for c in _choices(40, 4, "tune")]
    margin = choose_margin(model, good + bad)
    figures = by_source(Reader(model.mean, model.scale, model.weights, model.bias, margin), good + bad)
    assert figures["b"]["chosen"] >= figures["b"]["first"]
    assert choose_margin(model, bad, margins=(0.0,)) == NEVER_SWITCH


def test_train_needs_both_labels():
    none = [Choice("x", "own", "train", "问", [0, 1], [[0.0] * N] * 2, [0, 0], True)]
    with pytest.raises(ValueError):
        train(none)


def test_shipped_parameters_load():
    model = load_chooser()
    assert model is not None and model.space
    data = json.loads(CHOOSER_PARAMETERS.read_text(encoding="utf-8"))
    assert data["features"] == list(CHOOSER_FEATURES)
    # Fitted on the tuning split, the margin never made a source's quotes worse than the first clause's.
    for figures in data["fitted"]["tune"].values():
        assert figures["chosen"] >= figures["first"]


def test_training_script_runs_on_a_slice(real_index, tmp_path):
    """`python -m rag train-chooser --own-only --limit 30` over the seeds: choices gathered, parameters written."""
    from rag.config import Settings

    settings = Settings(index_dir=real_index, cache_dir=tmp_path / "cache")
    out, rows = tmp_path / "chooser.json", tmp_path / "choices.json"
    report = run_train_chooser(settings, out=out, limit=30, shared=False, rows_file=rows)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert Reader.from_dict(data, CHOOSER_FEATURES).space == data["space"] != ""
    assert report["train_choices"] > 0 and json.loads(rows.read_text(encoding="utf-8"))
    assert report == run_train_chooser(settings, out=out, rows_file=rows)  # read back: the same fit


def test_shipped_parameters_reproduce_their_own_tuning_figures(real_index, tmp_path):
    """The fitted figures stored with the parameters, for the project's own questions, come back when the
    choices are gathered again over the seeds (NCP's and RGB's need ../shared)."""
    from rag.config import Settings
    from rag.evaluation.train_chooser import choices_for
    from rag.evaluation.train_reader import gather
    from rag.evaluation.training_questions import OWN_SETS

    if not all(path.is_file() for path in OWN_SETS):
        pytest.skip("../shared/eval/dev.jsonl is absent: the shipped own-set figures include its questions")
    shipped = json.loads(CHOOSER_PARAMETERS.read_text(encoding="utf-8"))
    settings = Settings(index_dir=real_index, cache_dir=tmp_path / "cache")
    choices = gather(settings, shared=False, log=lambda *_: None, rows_of=choices_for)
    tune = [c for c in choices if c.split == "tune" and c.applies]
    assert by_source(load_chooser(), tune)["own"] == shipped["fitted"]["tune"]["own"]


def test_the_answer_quotes_the_chosen_clause_unless_turned_off(fake_session, monkeypatch):
    import rag.answering.answerer as answerer_module
    from rag.answering.answerer import Answerer

    question = "怎样推动科技成果转化？"
    monkeypatch.setattr(answerer_module, "chosen", lambda *args, **kwargs: 1)
    final = list(Answerer(fake_session, "extractive").stream(question))[-1]
    assert not final.refused and final.citations[0].clause.id == final.hits[1].id
    fake_session.settings = fake_session.settings.with_(chooser=False)  # RAG_CHOOSER=0
    final = list(Answerer(fake_session, "extractive").stream(question))[-1]
    assert not final.refused and final.citations[0].clause.id == final.hits[0].id


def test_the_benchmark_times_the_checks_and_the_chooser_apart(real_index, tmp_path):
    from rag.config import Settings
    from rag.evaluation.bench import bench_decision

    figures = bench_decision(Settings(cache_dir=tmp_path / "cache"), real_index,
                             [{"question": "怎样推动科技成果转化？"}, {"question": "静海区有效发明专利要达到多少件？"}])
    assert figures["questions"] == 2
    assert 0 < figures["judge_p50_ms"] <= figures["judge_p95_ms"] and 0 < figures["chooser_p50_ms"]
