"""Reaching Milvus (Milvus Lite embedded in this process for a file path, a server for http(s)://) and the layout
of one generation's collection: its fields, the jieba analyzer of its text, the HNSW and BM25 indexes.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from ...errors import IndexProblem
from ...text.masks import MASK_CHAR
from ...text.tokens import STOP_WORDS

# HNSW graph degree and beam widths of the dense index (Milvus's own HNSW; recall in docs/scaling.md).
MILVUS_HNSW_M = 32
MILVUS_HNSW_EF_CONSTRUCTION = 80
MILVUS_HNSW_EF_SEARCH = 256
# BM25 parameters, the same as bm25s's defaults on the FAISS path.
BM25_K1 = 1.5
BM25_B = 0.75
# The analyzer of the text field: jieba search mode, punctuation and the keyword stop words removed, as the
# FAISS path's `tokens` does (that one also adds character pairs of guessed words; Milvus cannot).
MASK_TOKENS = tuple(MASK_CHAR * n for n in range(1, 6))
PUNCTUATION = tuple("，。、；：？！“”‘’（）《》【】〔〕…—·,.;:?!\"'()[]<>-_/%")
ANALYZER = {
    "tokenizer": {"type": "jieba", "mode": "search"},
    "filter": ["removepunct", {"type": "stop", "stop_words": sorted(STOP_WORDS | set(MASK_TOKENS) | set(PUNCTUATION))}],
}
# VARCHAR limits are in bytes; a clause's search text is bounded well below (clauses are split at MAX_CLAUSE_CHARS).
TEXT_MAX_BYTES = 16_384
NAME_MAX_BYTES = 1_024
_NOT_NAME = re.compile(r"[^0-9A-Za-z_]")


def is_server_uri(uri: str) -> bool:
    return uri.startswith(("http://", "https://", "tcp://", "grpc://"))


def collection_name(prefix: str, generation: str) -> str:
    """Milvus names allow letters, digits and underscores."""
    return _NOT_NAME.sub("_", f"{prefix}_{generation}")


def clip_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


# Milvus Lite files this process has opened through `connect` (milvus-lite has no public way to ask which files
# its in-process servers hold, and this process's own lock must not count as another's).
_OPEN_HERE: set[str] = set()


def _lite_held_elsewhere(path: str) -> bool:
    """True when another process has the Milvus Lite folder open (it holds the folder's LOCK)."""
    import fcntl

    if os.path.abspath(path) in _OPEN_HERE or not os.path.isfile(os.path.join(path, "LOCK")):
        return False
    with open(os.path.join(path, "LOCK"), "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


def release_lite(uri: str) -> None:
    """Close this process's embedded Milvus Lite server for the file, so another process may open it."""
    if not is_server_uri(uri):
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(uri)
        _OPEN_HERE.discard(os.path.abspath(uri))


def connect(uri: str, token: str = ""):
    """A MilvusClient; a clear IndexProblem when the engine cannot be reached or the Lite file is held."""
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise IndexProblem(
            "RAG_STORE=milvus needs pymilvus and milvus-lite (pip install pymilvus milvus-lite)"
        ) from exc
    if not is_server_uri(uri):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
        # Milvus Lite's in-process gRPC server logs a traceback for each RPC it does not implement
        # (AllocTimestamp, asked while waiting for an index); pymilvus goes on without it.
        logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
        if _lite_held_elsewhere(uri):
            raise IndexProblem(
                f"cannot open Milvus Lite at {uri}: another process has it open (the chat page?); "
                "rebuild from the page, stop that process, or use a Milvus server (http://…)"
            )
    try:
        client = MilvusClient(uri=uri, token=token) if token else MilvusClient(uri=uri)
    except Exception as exc:  # pymilvus raises MilvusException and others, with the reason in the message
        raise IndexProblem(f"cannot open Milvus at {display_uri(uri)}: {exc}") from exc
    if not is_server_uri(uri):
        _OPEN_HERE.add(os.path.abspath(uri))
    return client


def describe_place(uri: str) -> str:
    """Which kind of Milvus and where: "Milvus server https://…" or "Milvus Lite /path/milvus.db"."""
    return f"{'Milvus server' if is_server_uri(uri) else 'Milvus Lite'} {display_uri(uri)}"


def display_uri(uri: str) -> str:
    """The URI without credentials (for manifests and messages)."""
    return re.sub(r"//[^/@]*@", "//", uri)


def collection_schema(client, dim: int):
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("vid", DataType.INT64, is_primary=True)
    schema.add_field("doc", DataType.VARCHAR, max_length=NAME_MAX_BYTES)
    schema.add_field("hash", DataType.VARCHAR, max_length=64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field(
        "text", DataType.VARCHAR, max_length=TEXT_MAX_BYTES, enable_analyzer=True, analyzer_params=ANALYZER
    )
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(
        Function(
            name="text_bm25", function_type=FunctionType.BM25, input_field_names=["text"], output_field_names=["sparse"]
        )
    )
    return schema


def index_params(client):
    params = client.prepare_index_params()
    params.add_index(
        "vector",
        index_type="HNSW",
        metric_type="IP",
        params={"M": MILVUS_HNSW_M, "efConstruction": MILVUS_HNSW_EF_CONSTRUCTION},
    )
    params.add_index(
        "sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params={"bm25_k1": BM25_K1, "bm25_b": BM25_B}
    )
    return params
