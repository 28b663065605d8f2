"""Retrieval: hybrid dense + BM25 search over the live index, merged by reciprocal rank fusion."""
