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
from collections import Counter
from pathlib import Path

import numpy as np

from ...errors import IndexProblem
from ...text.normalize import for_search
from ...text.tokens import TOKENIZER_VERSION, tokens
from ..records import StoredClause
from .base import Ranking, SearchEngine, Store
from .fusion import RRF_K
from .milvus_client import (
    MILVUS_HNSW_EF_SEARCH,
    NAME_MAX_BYTES,
    TEXT_MAX_BYTES,
    clip_bytes,
    collection_name,
    collection_schema,
    connect,
    describe_place,
    display_uri,
    index_params,
    release_lite,
)

log = logging.getLogger(__name__)

INSERT_BATCH = 2_000
FETCH_BATCH = 1_000
KEYWORD_COUNTS = "keyword_counts.json"


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
                    "doc": clip_bytes(sc.clause.doc, NAME_MAX_BYTES),
                    "hash": sc.hash,
                    "vector": vectors[i + j].tolist(),
                    "text": clip_bytes(for_search(sc.clause.search_text()), TEXT_MAX_BYTES),
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
