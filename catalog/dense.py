"""The vector side of the index: FAISS over unit-length embeddings, searched inside a mask.

Small catalogs use the exact flat index; from :data:`IVF_THRESHOLD` vectors on,
an inverted-file index (IVF) that visits ``nprobe`` of ``nlist`` clusters, so a
query costs well under a millisecond at a million products instead of ~50 ms.
Filters are applied inside FAISS with a bitmap id selector: the top ``k`` are
the best ``k`` among the allowed rows, never the best ``k`` overall cut down
afterwards. Rows are only ever appended; deleted rows are masked out.

Example:
    >>> dense = DenseIndex.build(vectors)  # doctest: +SKIP
    >>> scores, rows = dense.search(query_vector, k=10, allowed=mask)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import faiss
import numpy as np

__all__ = ["IVF_THRESHOLD", "DenseIndex", "index_kind"]

logger = logging.getLogger(__name__)
logging.getLogger("faiss.loader").setLevel(logging.WARNING)

IVF_THRESHOLD = 50_000
"""Vectors from which IVF replaces the flat index. At 50,000 a flat search took 11.4 ms on
this shared 2-core machine against 0.45 ms for IVF at recall@10 1.0 on jittered demo vectors
(`bench/search_latency.py --faiss-sizes 50000 200000`), and the 50k target is p99 <= 15 ms."""

NPROBE = 32
"""Clusters an IVF search visits; recall@10 0.97 at 1M with nlist 4000 (issue figures)."""

_TRAIN_PER_LIST = 40

SEARCH_THREADS = 1
"""OpenMP threads FAISS searches with: one query at a time is faster on one (2.5 ms vs 5.8 ms
at 43k flat on this 2-core machine). Set around each search and restored after, because torch
shares the OpenMP setting: left at 1, the encoder would run on one thread too."""


def index_kind(count: int) -> str:
    """Returns ``"flat"`` or ``"ivf"``: the index type used for ``count`` vectors."""
    return "ivf" if count >= IVF_THRESHOLD else "flat"


class DenseIndex:
    """Inner-product search over appended rows, optionally restricted to a row mask."""

    def __init__(self, index: faiss.Index) -> None:
        """Wraps a FAISS index (flat or IVF) whose row numbers are the catalog's rows."""
        self._index = index
        if isinstance(index, faiss.IndexIVF):
            index.nprobe = NPROBE

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str | None = None) -> DenseIndex:
        """Indexes ``vectors`` (unit rows); ``kind`` defaults to :func:`index_kind`."""
        kind = kind or index_kind(len(vectors))
        dimension = vectors.shape[1]
        if kind == "flat":
            index: faiss.Index = faiss.IndexFlatIP(dimension)
        else:
            nlist = max(1, int(4 * math.sqrt(len(vectors))))
            index = faiss.IndexIVFFlat(
                faiss.IndexFlatIP(dimension), dimension, nlist, faiss.METRIC_INNER_PRODUCT
            )
            sample = _sample(vectors, nlist * _TRAIN_PER_LIST)
            logger.info("training IVF with %d lists on %d vectors", nlist, len(sample))
            index.train(sample)
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index)

    @property
    def faiss_index(self) -> faiss.Index:
        """The wrapped FAISS index (to save it)."""
        return self._index

    @property
    def kind(self) -> str:
        return "ivf" if isinstance(self._index, faiss.IndexIVF) else "flat"

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, vectors: np.ndarray) -> None:
        """Appends rows; their numbers continue from ``len(self)``."""
        self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def reconstruct(self, row: int) -> np.ndarray:
        """Returns the stored vector of ``row`` (to re-add it without re-embedding)."""
        self._ensure_direct_map()
        return np.asarray(self._index.reconstruct(int(row)), dtype=np.float32)

    def vectors(self, rows: Sequence[int]) -> np.ndarray:
        """Returns the stored vectors of ``rows``, one per line (for neighbours of products)."""
        self._ensure_direct_map()
        return np.asarray(
            self._index.reconstruct_batch(np.asarray(rows, dtype=np.int64)), dtype=np.float32
        )

    def similarities(self, vector: np.ndarray, rows: list[int]) -> list[float]:
        """Cosine of ``vector`` with the stored vectors of ``rows`` (normalised, so a dot)."""
        self._ensure_direct_map()
        vectors = self._index.reconstruct_batch(np.asarray(rows, dtype=np.int64))
        return [float(score) for score in vectors @ np.asarray(vector, dtype=np.float32)]

    def subset(self, rows: list[int]) -> DenseIndex:
        """Returns a new index of the same kind holding only ``rows``, renumbered from 0."""
        self._ensure_direct_map()
        vectors = self._index.reconstruct_batch(np.asarray(rows, dtype=np.int64))
        return DenseIndex.build(vectors, self.kind)

    def _ensure_direct_map(self) -> None:
        """IVF can only return stored vectors by row after building a direct map."""
        if isinstance(self._index, faiss.IndexIVF) and not self._index.direct_map.type:
            self._index.make_direct_map()

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Returns ``(scores, rows)`` of the ``k`` best allowed rows per query (-1 pads).

        With IVF and a narrow mask the visited clusters may hold fewer than ``k``
        allowed rows; then the allowed rows are scored exactly instead.
        """
        previous = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(SEARCH_THREADS)
        try:
            return self._search(queries, k, allowed)
        finally:
            faiss.omp_set_num_threads(previous)

    def _search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        k = min(k, len(self))
        if allowed is None:
            return self._index.search(queries, k)
        allowed_count = int(allowed.sum())
        if allowed_count == 0:
            return _empty(len(queries), k)
        params = self._params(allowed)
        scores, rows = self._index.search(queries, k, params=params)
        if self.kind == "ivf" and (rows[:, min(k, allowed_count) - 1] < 0).any():
            return self._exact_subset(queries, k, allowed)
        return scores, rows

    def _params(self, allowed: np.ndarray) -> Any:
        """Search parameters whose selector lets only the ``allowed`` rows through."""
        bitmap = np.packbits(allowed, bitorder="little")
        selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bitmap))
        # faiss's stubs do not know these keyword arguments, hence Any.
        factory: Any = faiss.SearchParametersIVF if self.kind == "ivf" else faiss.SearchParameters
        params = (
            factory(sel=selector, nprobe=NPROBE) if self.kind == "ivf" else factory(sel=selector)
        )
        params.keep_alive = (bitmap, selector)  # FAISS holds raw pointers to both
        return params

    def _exact_subset(
        self, queries: np.ndarray, k: int, allowed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Scores every allowed row exactly (IVF with a mask narrower than its clusters)."""
        self._ensure_direct_map()
        rows = np.flatnonzero(allowed)
        vectors = self._index.reconstruct_batch(rows)
        sims = queries @ vectors.T
        take = min(k, len(rows))
        top = np.argsort(-sims, axis=1)[:, :take]
        scores = np.take_along_axis(sims, top, axis=1)
        out_scores, out_rows = _empty(len(queries), k)
        out_scores[:, :take] = scores
        out_rows[:, :take] = rows[top]
        return out_scores, out_rows


def _empty(queries: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full((queries, k), -np.inf, np.float32), np.full((queries, k), -1, np.int64)


def _sample(vectors: np.ndarray, size: int) -> np.ndarray:
    """A fixed-seed sample of ``vectors`` to train IVF on (training on all is slow)."""
    if len(vectors) <= size:
        return np.ascontiguousarray(vectors, dtype=np.float32)
    picked = np.random.default_rng(0).choice(len(vectors), size, replace=False)
    return np.ascontiguousarray(vectors[np.sort(picked)], dtype=np.float32)
