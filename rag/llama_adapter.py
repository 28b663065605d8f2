"""The hybrid clause retriever as a llama-index retriever, for use in llama-index query engines.

>>> from rag.llama_adapter import ClauseRetriever          # doctest: +SKIP
>>> nodes = ClauseRetriever.from_settings().retrieve("静海区有效发明专利目标")  # doctest: +SKIP
>>> nodes[0].node.metadata["label"]                         # doctest: +SKIP

llama-index's own FaissVectorStore cannot delete vectors (``delete`` raises NotImplementedError) and its
BM25Retriever scores Chinese text near zero without a segmenter, so the index itself is FAISS + bm25s with
JSON metadata (rag.indexing.store); this adapter exposes it to llama-index. It sits beside the public API,
above the session it reads the live retriever from.
"""

from __future__ import annotations

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from .config import Settings
from .retrieval.retriever import Retriever
from .session import shared_session
from .types import Hit


def hit_to_node(hit: Hit) -> NodeWithScore:
    node = TextNode(
        id_=hit.id,
        text=hit.text,
        metadata={
            "doc": hit.doc,
            "title": hit.title,
            "label": hit.label,
            "path": " › ".join(hit.path),
            "departments": "、".join(hit.departments),
            "start": hit.start,
            "end": hit.end,
        },
        excluded_embed_metadata_keys=["start", "end"],
    )
    return NodeWithScore(node=node, score=hit.score)


class ClauseRetriever(BaseRetriever):
    """Dense + BM25 clause retrieval with RRF, returning TextNodes that carry the clause label and span."""

    def __init__(self, retriever: Retriever, k: int) -> None:
        super().__init__()
        self._retriever = retriever
        self._k = k

    @classmethod
    def from_settings(cls, settings: Settings | None = None, k: int | None = None) -> "ClauseRetriever":
        """Over the shared session's live retriever; k defaults to the settings' top_k (RAG_TOP_K)."""
        session = shared_session(settings)
        return cls(session.retriever(), k or session.settings.top_k)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [hit_to_node(h) for h in self._retriever.search(query_bundle.query_str, self._k)]
