"""Reciprocal rank fusion: one ranking from several, using ranks only.

BM25 scores and cosine similarities live on different scales, so adding them
needs weights tuned per catalog; RRF (Cormack et al., 2009) adds ``1 / (c + rank)``
per list instead, which needs no tuning and rewards products both rankers like.

Example:
    >>> [row for row, _ in reciprocal_rank_fusion([[3, 1, 2], [1, 4]], limit=3)]
    [1, 3, 4]
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["RRF_C", "reciprocal_rank_fusion"]

RRF_C = 60
"""The rank offset of the original paper; larger values flatten the top of each list."""


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]],
    limit: int,
    c: int = RRF_C,
    weights: Sequence[float] | None = None,
) -> list[tuple[int, float]]:
    """Fuses best-first lists of row numbers into ``(row, score)`` pairs, best first.

    ``weights`` scales each list's contribution (default 1 each). Ties keep the
    order in which rows were first seen, so the result is deterministic.
    """
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, row in enumerate(ranking, start=1):
            scores[row] = scores.get(row, 0.0) + weight / (c + rank)
    return sorted(scores.items(), key=lambda item: -item[1])[:limit]
