"""Ranking metrics for graded relevance labels: NDCG@k and recall@k.

Example:
    >>> ndcg_at_k(["a", "b"], {"b": 3, "a": 1}, 10) < 1.0
    True
    >>> recall_at_k(["a", "b"], {"b": 3, "c": 2}, 50, min_grade=2)
    0.5
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

__all__ = ["ndcg_at_k", "recall_at_k"]


def _dcg(grades: Sequence[int]) -> float:
    """Discounted cumulative gain with exponential gains (2^grade - 1)."""
    return sum((2**grade - 1) / math.log2(rank + 2) for rank, grade in enumerate(grades))


def ndcg_at_k(ranked: Sequence[str], labels: Mapping[str, int], k: int) -> float:
    """Returns NDCG@k of ``ranked`` ids against ``{id: grade}``; 0 when nothing is relevant."""
    ideal = _dcg(sorted(labels.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return _dcg([labels.get(product_id, 0) for product_id in ranked[:k]]) / ideal


def recall_at_k(
    ranked: Sequence[str], labels: Mapping[str, int], k: int, *, min_grade: int = 2
) -> float:
    """Returns the share of relevant ids (grade >= ``min_grade``) found in the top ``k``.

    The denominator is capped at ``k``, so a query with 300 relevant products
    can still reach 1.0 (every one of the top ``k`` relevant).
    """
    relevant = {pid for pid, grade in labels.items() if grade >= min_grade}
    if not relevant:
        return 0.0
    found = sum(1 for product_id in ranked[:k] if product_id in relevant)
    return found / min(len(relevant), k)
