"""The learned reader: its fit, its threshold, its parameters, its features, and its place in the answer path."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.answering.answerability import Verdict
from rag.answering.reader import FEATURES, READER_PARAMETERS, Reader, belief, doubt, load_reader, reading
from rag.evaluation.gold import read_ids
from rag.evaluation.gold import CHECK_IDS
from rag.evaluation.train_reader import (FALSE_REFUSAL_BUDGET, NCP_TRAIN, Row, choose_threshold, fit,
                                        own_questions, run_train_reader, train)
from rag.query.asks import read_ask
from rag.types import Clause, Hit


def _rows(n: int, seed: int, split: str) -> list[Row]:
    """Rows whose label follows the 'window' feature (and noise elsewhere)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = int(i % 2 == 0)
        values = rng.normal(0, 1, len(FEATURES))
        values[FEATURES.index("window")] += 2.0 if label else -2.0
        rows.append(Row(f"{split}{i}", "own", split, label, True, values.tolist()))
    return rows


def test_fit_learns_the_informative_feature():
    rows = _rows(400, 1, "train")
    x = np.array([r.values for r in rows])
    y = np.array([r.label for r in rows], dtype=float)
    mean, scale, weights, bias = fit(x, y)
    window = FEATURES.index("window")
    assert weights[window] > 1.0
    assert np.abs(np.delete(weights, window)).max() < 0.5 * weights[window]
    reader = Reader(tuple(mean), tuple(scale), tuple(weights), bias, 0.5)
    accuracy = np.mean([reader.answers(r.values) == bool(r.label) for r in _rows(200, 2, "tune")])
    assert accuracy > 0.9


def test_threshold_refuses_at_most_the_budget_of_answerable_rows():
    rng = np.random.default_rng(3)
    probabilities = rng.uniform(0, 1, 500)
    labels = (rng.uniform(0, 1, 500) < probabilities).astype(int)
    threshold = choose_threshold(probabilities, labels, 0.05)
    refused = np.mean(probabilities[labels == 1] < threshold)
    assert refused <= 0.05
    assert threshold > 0.05  # it does refuse something: the lowest answerable rows are below it


def test_train_reports_tuning_figures_and_keeps_the_budget():
    reader, report = train(_rows(300, 4, "train") + _rows(200, 5, "tune"), budget=0.02, space="s")
    assert reader.space == "s"
    assert report["tune"]["own"]["kept"] >= 0.98
    assert report["tune"]["own"]["refused"] > 0.8


def test_train_needs_both_labels():
    rows = [r for r in _rows(100, 6, "train") if r.label == 1]
    with pytest.raises(ValueError, match="both"):
        train(rows)


def test_parameters_of_other_features_are_refused():
    good = Reader((0.0,) * len(FEATURES), (1.0,) * len(FEATURES), (0.0,) * len(FEATURES), 0.0, 0.5).to_dict()
    assert Reader.from_dict(good).threshold == 0.5
    with pytest.raises(ValueError, match="other features"):
        Reader.from_dict({**good, "features": good["features"][:-1]})
    with pytest.raises(ValueError, match="malformed"):
        Reader.from_dict({**good, "scale": [0.0] * len(FEATURES)})


def test_shipped_parameters_load():
    reader = load_reader()
    assert reader is not None, f"{READER_PARAMETERS} is missing: run `python -m rag train-reader`"
    assert 0.0 < reader.threshold < 1.0
    assert reader.space  # fitted on a named vector space; another embedder's scores make it abstain


def _hit(text: str, title: str = "关于支持科技创新的若干措施", path=("一、总体要求",), dense=0.9, doc="a.txt") -> Hit:
    clause = Clause(id=f"{doc}#1", doc=doc, title=title, path=tuple(path), label="第一条", text=text, start=0,
                    end=len(text))
    return Hit(clause, 1.0, dense, 3.0)


class _Facts:
    jurisdictions = ("天津",)

    def places_of(self, doc):
        return frozenset({"天津"})

    def title_of(self, doc):
        return "关于支持科技创新的若干措施"

    def in_corpus(self, word):
        return True

    def clause_share(self, word):
        return 0.0

    def names_document(self, word, doc):
        return False

    def mentions(self, doc, word):
        return word == "天津"


def _read(question: str, hits) -> dict[str, float]:
    verdict = Verdict(True, read_ask(question, ("天津", "北京")))
    return reading(question, hits, verdict, _Facts()).as_dict()


def test_year_and_place_features_read_the_whole_document():
    hit = _hit("到2025年，全市高新技术企业达到1万家。", title="天津市科技创新“十四五”规划（2021—2025年）")
    assert _read("天津2025年高新技术企业要达到多少家？", [hit])["years"] == 1.0
    assert _read("天津2030年高新技术企业要达到多少家？", [hit])["years"] == -1.0  # the clause dates its figure
    assert _read("天津高新技术企业要达到多少家？", [hit])["years"] == 0.0
    assert _read("天津高新技术企业要达到多少家？", [hit])["places"] == 1.0
    assert _read("北京高新技术企业要达到多少家？", [hit])["places"] == -1.0


def test_figure_feature_needs_a_figure_of_the_asked_kind():
    with_figure = _read("高新技术企业要达到多少家？", [_hit("全市高新技术企业达到1万家。")])
    without = _read("高新技术企业要达到多少家？", [_hit("全市高新技术企业数量稳步增长。")])
    assert with_figure["figure_asked"] == without["figure_asked"] == 1.0
    assert with_figure["figure_window"] == 1.0 and without["figure_window"] == 0.0


def test_doubt_abstains_in_another_vector_space_and_refuses_below_threshold():
    n = len(FEATURES)
    never = Reader((0.0,) * n, (1.0,) * n, (0.0,) * n, -10.0, 0.5, "space-a")  # probability ~0: always doubts
    hits = [_hit("全市高新技术企业达到1万家。")]
    verdict = Verdict(True, read_ask("高新技术企业要达到多少家？", ()))
    question = "高新技术企业要达到多少家？"
    probability = belief(question, hits, verdict, _Facts(), "space-a", reader=never)
    reason = doubt(question, hits, verdict, _Facts(), "space-a", reader=never)
    assert probability < 0.01 and "不够相符" in reason and "关于支持科技创新的若干措施" in reason
    assert belief(question, hits, verdict, _Facts(), "space-b", reader=never) is None
    assert doubt(question, hits, verdict, _Facts(), "space-b", reader=never) == ""
    refused = Verdict(False, verdict.ask)
    assert belief(question, hits, refused, _Facts(), "space-a", reader=never) is None
    assert doubt(question, hits, refused, _Facts(), "space-a", reader=never) == ""
    always = Reader((0.0,) * n, (1.0,) * n, (0.0,) * n, 10.0, 0.5, "space-a")
    probability = belief(question, hits, verdict, _Facts(), "space-a", reader=always)
    reason = doubt(question, hits, verdict, _Facts(), "space-a", reader=always)
    assert probability > 0.99 and reason == ""


def test_own_questions_leave_out_the_check_ids():
    held = read_ids(CHECK_IDS)
    assert len(held) >= 15
    ids = {q.id.split(":", 1)[1] for q in own_questions() if q.id.startswith("questions_users:")}
    assert ids and not ids & held


def test_training_script_runs_on_a_slice(real_index, tmp_path):
    """`python -m rag train-reader --own-only --limit 30` over the seeds: rows gathered, parameters written."""
    from rag.config import Settings

    settings = Settings(index_dir=real_index, cache_dir=tmp_path / "cache")
    out, rows = tmp_path / "reader.json", tmp_path / "rows.json"
    report = run_train_reader(settings, out=out, limit=30, shared=False, rows_file=rows)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert Reader.from_dict(data).space == data["space"] != ""
    assert report["train_rows"] > 0 and json.loads(rows.read_text(encoding="utf-8"))
    assert report == run_train_reader(settings, out=out, rows_file=rows)  # read back: the same fit


def test_shipped_parameters_reproduce_their_own_tuning_figures(real_index, tmp_path):
    """The fitted figures stored with the parameters, for the project's own questions, come back when the rows
    are gathered again over the seeds (the NCP and RGB rows need ../shared: see test_reader_shared)."""
    from rag.config import Settings
    from rag.evaluation.train_reader import figures, gather
    from rag.evaluation.training_questions import OWN_SETS

    if not all(path.is_file() for path in OWN_SETS):
        pytest.skip("../shared/eval/dev.jsonl is absent: the shipped own-set figures include its questions")
    shipped = json.loads(READER_PARAMETERS.read_text(encoding="utf-8"))
    settings = Settings(index_dir=real_index, cache_dir=tmp_path / "cache")
    rows = gather(settings, shared=False, log=lambda *_: None)
    reader = load_reader()
    tune = [r for r in rows if r.split == "tune" and r.passes]
    assert figures(reader, tune)["own"] == shipped["fitted"]["tune"]["own"]


@pytest.mark.skipif(not NCP_TRAIN.is_file(), reason="../shared/eval/external is absent: NCP and RGB rows cannot be gathered")
def test_reader_shared_sources_exist():
    from rag.evaluation.external import CHECK_IDS_NAME, NCP, load_external_set
    from rag.evaluation.gold import read_ids
    from rag.evaluation.train_reader import ncp_questions, rgb_items

    ncp = ncp_questions(load_external_set(NCP))
    check = read_ids(NCP / CHECK_IDS_NAME)
    assert len(check) == 200
    assert ncp and not {q.id for q in ncp} & check
    questions, documents = rgb_items()
    assert len(questions) == 100 and documents
    assert not any(q.id in {"rgb-zh-0", "rgb-zh-99"} for q in questions)
