"""Milvus through pymilvus: one collection per generation, switched by an alias swap.

Each collection holds the clause id (primary key), document name, content hash, the dense vector (HNSW, inner
product) and the clause's search text in a VARCHAR with Milvus's built-in BM25 function over its jieba
analyzer; a query is one `hybrid_search` (dense + BM25, `RRFRanker(RRF_K)`), so fusion runs inside the engine.
`RAG_MILVUS_URI` a file path: Milvus Lite, embedded in this process; http(s)://: a Milvus server or cluster.

>>> store = MilvusStore("index/milvus.db")            # doctest: +SKIP
>>> store.write(folder, "gen-1", clauses, vectors)     # doctest: +SKIP
{'kind': 'milvus', 'collection': 'policy_rag_gen_1', ...}
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections import Counter
from pathlib import Path

import numpy as np

from ...errors import IndexProblem
from ...text.masks import MASK_CHAR
from ...text.normalize import for_search
from ...text.tokens import STOP_WORDS, TOKENIZER_VERSION, tokens
from ..records import StoredClause
from .base import Ranking, SearchEngine, Store
from .fusion import RRF_K

log = logging.getLogger(__name__)

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
INSERT_BATCH = 2_000
FETCH_BATCH = 1_000
KEYWORD_COUNTS = "keyword_counts.json"
_NOT_NAME = re.compile(r"[^0-9A-Za-z_]")


def is_server_uri(uri: str) -> bool:
    return uri.startswith(("http://", "https://", "tcp://", "grpc://"))


def collection_name(prefix: str, generation: str) -> str:
    """Milvus names allow letters, digits and underscores."""
    return _NOT_NAME.sub("_", f"{prefix}_{generation}")


def _clip_bytes(text: str, limit: int) -> str:
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


def keyword_counts(clauses: list[StoredClause]) -> dict[str, int]:
    """In how many clauses each keyword token occurs (for the answerability checks' word rarity)."""
    counts: Counter = Counter()
    for sc in clauses:
        counts.update(set(tokens(sc.clause.search_text())))
    return dict(counts)


class MilvusEngine(SearchEngine):
    """One generation's collection, opened for searching."""

    kind = "milvus"

    def __init__(self, client, collection: str, uri: str, counts: Counter, total: int) -> None:
        self.client = client
        self.collection = collection
        self.uri = uri
        self._counts = counts
        self._total = total

    def count(self) -> int:
        return int(self.client.get_collection_stats(self.collection).get("row_count", 0))

    def search(
        self, query: np.ndarray, text: str, pool: int, top: int, allowed: frozenset[int] | None = None
    ) -> Ranking:
        from pymilvus import AnnSearchRequest, RRFRanker

        if allowed is not None and not allowed:
            return Ranking([], {}, {})
        # A filter is a boolean expression on the primary key, evaluated by Milvus in both searches.
        expr = f"vid in [{','.join(str(int(v)) for v in sorted(allowed))}]" if allowed is not None else None
        query = query.reshape(-1).astype(np.float32)
        dense = AnnSearchRequest(
            [query.tolist()],
            "vector",
            {"metric_type": "IP", "params": {"ef": max(pool, MILVUS_HNSW_EF_SEARCH)}},
            limit=pool,
            expr=expr,
        )
        requests = [dense]
        if tokens(text):  # a question of stop words only has no keyword side (as on the FAISS path)
            requests.append(
                AnnSearchRequest([for_search(text)], "sparse", {"metric_type": "BM25"}, limit=pool, expr=expr)
            )
        try:
            result = self.client.hybrid_search(
                self.collection, requests, RRFRanker(RRF_K), limit=top, output_fields=["vid", "vector"]
            )
        except Exception as exc:
            raise IndexProblem(f"Milvus search on {self.collection} failed: {exc}") from exc
        fused, cosines = [], {}
        for hit in result[0]:
            entity = hit["entity"]
            vid = int(entity["vid"])
            fused.append((vid, float(hit["distance"])))
            cosines[vid] = float(np.asarray(entity["vector"], dtype=np.float32) @ query)
        return Ranking(fused, cosines, {})

    def vectors(self, vids: list[int]) -> np.ndarray:
        found: dict[int, list[float]] = {}
        for i in range(0, len(vids), FETCH_BATCH):
            rows = self.client.get(
                self.collection, ids=[int(v) for v in vids[i : i + FETCH_BATCH]], output_fields=["vid", "vector"]
            )
            found.update({int(r["vid"]): r["vector"] for r in rows})
        missing = [v for v in vids if v not in found]
        if missing:
            raise IndexProblem(
                f"{len(missing)} vectors missing from Milvus collection {self.collection} "
                f"(first id {missing[0]}): rebuild with `python -m rag build --full`"
            )
        return np.asarray([found[v] for v in vids], dtype=np.float32).reshape(len(vids), -1)

    def word_counts(self) -> tuple[Counter, int]:
        return self._counts, self._total

    def describe(self) -> str:
        return f"milvus ({describe_place(self.uri)}, collection {self.collection}, HNSW + BM25/jieba, RRF)"


class MilvusStore(Store):
    """Writes each generation into its own collection `<prefix>_<generation>`; `<prefix>_live` is the alias of
    the live one. A build killed before `publish` leaves a collection no one reads; the next build drops it."""

    kind = "milvus"

    def __init__(self, uri: str, token: str = "", prefix: str = "policy_rag") -> None:
        self.uri = uri
        self.token = token
        self.prefix = prefix
        self._client = None

    @property
    def alias(self) -> str:
        return f"{self.prefix}_live"

    def client(self):
        if self._client is None:
            self._client = connect(self.uri, self.token)
        return self._client

    def write(self, folder: Path, generation: str, clauses: list[StoredClause], vectors: np.ndarray) -> dict:
        client = self.client()
        name = collection_name(self.prefix, generation)
        if client.has_collection(name):
            client.drop_collection(name)
        dim = int(vectors.shape[1])
        client.create_collection(
            name, schema=collection_schema(client, dim), index_params=index_params(client), consistency_level="Strong"
        )
        for i in range(0, len(clauses), INSERT_BATCH):
            rows = [
                {
                    "vid": sc.vid,
                    "doc": _clip_bytes(sc.clause.doc, NAME_MAX_BYTES),
                    "hash": sc.hash,
                    "vector": vectors[i + j].tolist(),
                    "text": _clip_bytes(for_search(sc.clause.search_text()), TEXT_MAX_BYTES),
                }
                for j, sc in enumerate(clauses[i : i + INSERT_BATCH])
            ]
            client.insert(name, rows)
        client.flush(name)
        client.load_collection(name)
        stored = int(client.get_collection_stats(name).get("row_count", 0))
        if stored != len(clauses):
            raise IndexProblem(f"Milvus collection {name} holds {stored} rows, {len(clauses)} were written")
        (folder / KEYWORD_COUNTS).write_text(json.dumps(keyword_counts(clauses), ensure_ascii=False), encoding="utf-8")
        return {
            "kind": self.kind,
            "uri": display_uri(self.uri),
            "collection": name,
            "alias": self.alias,
            "dense": "hnsw",
            "analyzer": "jieba",
        }

    def open(self, folder: Path, manifest: dict, clauses: list[StoredClause]) -> MilvusEngine:
        entry = manifest.get("store") or {}
        name = entry.get("collection", "")
        client = self.client()
        if not name or not client.has_collection(name):
            raise IndexProblem(
                f"Milvus collection {name or '?'} of {folder.name} is missing at {display_uri(self.uri)}: "
                "rebuild with `python -m rag build --full`"
            )
        client.load_collection(name)
        counts_file = folder / KEYWORD_COUNTS
        if manifest.get("tokenizer") == TOKENIZER_VERSION and counts_file.is_file():
            counts = Counter(json.loads(counts_file.read_text(encoding="utf-8")))
        else:
            counts = Counter(keyword_counts(clauses))
        return MilvusEngine(client, name, self.uri, counts, max(1, len(clauses)))

    def publish(self, generation: str, entry: dict) -> None:
        client = self.client()
        if self.alias in client.list_aliases().get("aliases", []):
            client.alter_alias(entry["collection"], self.alias)
        else:
            client.create_alias(entry["collection"], self.alias)

    def prune(self, keep: set[str]) -> None:
        client = self.client()
        kept = {collection_name(self.prefix, g) for g in keep if g}
        for name in client.list_collections():
            if name.startswith(f"{self.prefix}_gen") and name not in kept:
                try:
                    client.drop_collection(name)
                except Exception as exc:  # one that an alias still names stays until the next build
                    log.warning("could not drop Milvus collection %s: %s", name, exc)

    def describe(self) -> str:
        return f"milvus ({describe_place(self.uri)})"

    def close(self) -> None:
        """Close the connection and, for Milvus Lite, this process's embedded server of the file."""
        if self._client is not None:
            self._client.close()
            self._client = None
        release_lite(self.uri)
