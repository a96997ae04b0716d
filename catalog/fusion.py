"""Score fusion: one ranking from the dense and the BM25 lists.

A convex combination of the two scores, each brought to ``[0, 1]`` for one
query: the cosine similarity as it is (MiniLM's vectors are normalised, and
unrelated products score near 0), BM25 divided by the query's best BM25 score.
``dense_share`` weighs them. On the demo catalog's labelled queries this beat
reciprocal rank fusion (Cormack et al., 2009) at every weight tried, because it
keeps how *much* better the top lexical match is, where RRF keeps only ranks;
the comparison and the tuning are in bench/search_quality.py (Bruch et al.,
2023, "An Analysis of Fusion Functions for Hybrid Retrieval", found the same).

Example:
    >>> [row for row, _ in convex_fusion({1: 0.9, 2: 0.2, 3: 0.5}, [(2, 8.0), (3, 4.0)], 0.5, 3)]
    [2, 3, 1]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["convex_fusion"]


def convex_fusion(
    cosines: Mapping[int, float],
    lexical: Sequence[tuple[int, float]],
    dense_share: float,
    limit: int,
) -> list[tuple[int, float]]:
    """Fuses into ``(row, score)`` pairs, best first.

    Args:
        cosines: Cosine similarity of every candidate row (dense hits and lexical
            hits alike, so no row is fused with a made-up dense score).
        lexical: ``(row, bm25)`` pairs of the rows matching a query term.
        dense_share: Weight of the cosine, in ``[0, 1]``; BM25 gets the rest.
        limit: Rows wanted.

    Ties keep the order in which rows were first seen, so the result is deterministic.
    """
    if not 0.0 <= dense_share <= 1.0:
        raise ValueError(f"dense_share must be within [0, 1], got {dense_share}")
    best_bm25 = max((score for _, score in lexical), default=0.0)
    normalised = {row: score / best_bm25 for row, score in lexical} if best_bm25 > 0 else {}
    rows = list(dict.fromkeys([*cosines, *normalised]))
    fused = {
        row: dense_share * cosines.get(row, 0.0) + (1 - dense_share) * normalised.get(row, 0.0)
        for row in rows
    }
    return sorted(fused.items(), key=lambda item: -item[1])[:limit]
