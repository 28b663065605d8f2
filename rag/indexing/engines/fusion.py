"""Reciprocal rank fusion of several rankings."""

from __future__ import annotations

# k=10 (rather than the usual 60) rewards a confident first place in either list; on the dev and
# project questions it lifted recall@5 from 0.975 to 1.0 with the same recall@1.
RRF_K = 10


def rrf(rankings: list[list[int]], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal rank fusion of several ranked id lists: id -> sum of 1 / (k + rank)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, vid in enumerate(ranking):
            scores[vid] = scores.get(vid, 0.0) + 1.0 / (k + rank + 1)
    return scores
