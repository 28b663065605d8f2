"""The anchor users would otherwise pick: llama-index defaults (SentenceSplitter with default sizes, the same
embedder, a FAISS flat index, dense retrieval only), built on the same documents for side-by-side figures."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..indexing.embedders import Embedder


def llama_embedding(embedder: Embedder):
    """Wrap our embedder as a llama-index BaseEmbedding (same model, same prefixes)."""
    from llama_index.core.embeddings import BaseEmbedding

    class Adapter(BaseEmbedding):
        model_name: str = embedder.name

        def _get_query_embedding(self, query: str) -> list[float]:
            return embedder.embed_query(query).tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return embedder.embed_passages([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_passages(list(texts)).tolist()

    return Adapter(embed_batch_size=16)


@dataclass
class AnchorIndex:
    """A built llama-index VectorStoreIndex over FAISS flat, with its build figures."""

    index: Any
    chunks: int
    characters: int
    build_seconds: float

    def search(self, question: str, k: int) -> list[str]:
        retriever = self.index.as_retriever(similarity_top_k=k)
        return [n.node.get_content() for n in retriever.retrieve(question)]


def read_documents(folder: Path) -> list[tuple[str, str]]:
    """(file name, raw text) of every file in a folder, as a user would hand them to llama-index."""
    return [(p.name, p.read_text(encoding="utf-8", errors="replace")) for p in sorted(folder.iterdir()) if p.is_file()]


def build_anchor(documents: list[tuple[str, str]], embedder: Embedder) -> AnchorIndex:
    """documents: (name, text) pairs, raw text as a user would load it."""
    import faiss
    from llama_index.core import Document, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.faiss import FaissVectorStore

    from ..indexing.embedders import resolve_dim

    started = time.perf_counter()
    docs = [Document(text=text, metadata={"file_name": name}) for name, text in documents]
    nodes = SentenceSplitter().get_nodes_from_documents(docs)
    store = FaissVectorStore(faiss_index=faiss.IndexFlatL2(resolve_dim(embedder)))
    context = StorageContext.from_defaults(vector_store=store)
    index = VectorStoreIndex(nodes, storage_context=context, embed_model=llama_embedding(embedder))
    return AnchorIndex(index, len(nodes), sum(len(n.get_content()) for n in nodes), time.perf_counter() - started)
