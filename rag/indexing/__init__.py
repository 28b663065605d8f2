"""Indexing: embedders (one interface), the persisted store (FAISS + BM25 generations), build and status."""
