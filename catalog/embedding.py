"""Embedding a catalog for an index build: the exported ONNX graph first, torch as the fallback.

Embedding every product is most of a build. Through sentence-transformers (torch fp32,
256 word pieces) it ran at ~53 products/s on this 2-core machine; the build now

1. exports the model to ONNX (:func:`catalog.onnx_encoder.export_onnx`) and quantizes it
   to int8 (:data:`DOCUMENT_PRECISION`); the index folder keeps that graph to encode queries,
2. embeds the products with it on onnxruntime (:data:`~catalog.onnx_encoder.BUILD_THREADS`
   intra-op threads), at the model's trained length :data:`~catalog.encoder.DOCUMENT_TOKENS`,
   texts batched by length so a batch pads only to its own longest text,
3. checks a few of those vectors against sentence-transformers' own encode (cosine
   >= :data:`~catalog.onnx_encoder.MIN_COSINE`), so a graph or tokenizer that does not match
   the model is never used silently.

When any step fails (no onnxruntime, an export error, vectors that stray) the products are
embedded by sentence-transformers' encode instead, at the same length, and the reason is
logged. ``bench/search_latency.py`` measures the build; ``bench/search_quality.py --builds``
compares the search quality of both paths.

Example:
    >>> embedded = embed_products(load_encoder(), texts, Path(tmp))  # doctest: +SKIP
    >>> embedded.embedder, embedded.vectors.shape  # doctest: +SKIP
    ('onnxruntime fp32', (2200, 384))
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from catalog.encoder import DOCUMENT_TOKENS, encode
from catalog.onnx_encoder import (
    BUILD_THREADS,
    MIN_COSINE,
    ONNX_FILE,
    OnnxEncoder,
    export_onnx,
    quantize_int8,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = [
    "DOCUMENT_PRECISION",
    "TORCH_EMBEDDER",
    "DocumentPrecision",
    "Embedded",
    "embed_products",
    "onnx_embedder",
]

logger = logging.getLogger(__name__)

DocumentPrecision = Literal["fp32", "int8"]

DOCUMENT_PRECISION: DocumentPrecision = "int8"
"""Weights the products are embedded with, and the queries too (the graph is saved as the index's
query encoder, so both sides of a cosine come from the same weights). int8 (dynamic,
per channel, signed weights) embedded the 2,200 demo products ~3x faster than fp32 on
onnxruntime, at cosine 0.985 (worst) / 0.994 (mean) to sentence-transformers' fp32 vectors;
dense and hybrid NDCG@10 equal or higher on both query sets, recall@50 within 0.002
(``bench/search_quality.py --builds``, README). Queries encoded by the int8 graph: 1.7 ms
instead of 4.1 ms (fp32) per query, held-out hybrid NDCG@10 and recall@50 unchanged (0.808 /
0.786 on both sets), cosine 0.980 (worst) / 0.993 (mean) to torch on the 277 generated
queries (``bench/search_quality.py --sets``, README)."""

MIN_DOCUMENT_COSINE: dict[DocumentPrecision, float] = {"fp32": MIN_COSINE, "int8": 0.98}
"""Lowest cosine to sentence-transformers' vector a checked product may have, per precision
(int8: below the worst of the 2,200 demo products, 0.985)."""

TORCH_EMBEDDER = "sentence-transformers torch"
"""``meta.json``'s ``embedder`` for products embedded by sentence-transformers (and for
indexes from before the field, which were all built that way)."""

CHECKED_TEXTS = 8
"""Products also embedded by sentence-transformers to check the graph's vectors against."""


class EmbeddingMismatchError(RuntimeError):
    """The exported graph's vectors are not the model's (wrong tokenizer, broken export)."""


@dataclass(frozen=True)
class Embedded:
    """A build's product vectors, what made them, and the graph that made them.

    ``onnx_path`` is the graph the products were embedded with (int8 or fp32), None when
    the export failed; the index saves it as its query encoder.
    """

    vectors: np.ndarray
    embedder: str
    onnx_path: Path | None


def embed_products(
    model: SentenceTransformer,
    texts: Sequence[str],
    folder: Path,
    *,
    batch_size: int = 64,
    show_progress: bool = True,
    precision: DocumentPrecision = DOCUMENT_PRECISION,
) -> Embedded:
    """Exports ``model`` into ``folder``, then embeds ``texts`` with the export (or torch).

    Args:
        model: The sentence-transformers model the index is built with.
        texts: Product texts (:func:`catalog.encoder.product_text`), embedded at
            :data:`~catalog.encoder.DOCUMENT_TOKENS` word pieces.
        folder: Where the exported :data:`~catalog.onnx_encoder.ONNX_FILE` is written.
        batch_size: Texts per forward pass.
        show_progress: Draw a progress bar on stderr.
        precision: ``"int8"`` embeds with a dynamically quantized copy of the export
            (which then encodes the queries too).

    Returns:
        Unit-length float32 rows in ``texts`` order, the embedder's name and the exported
        file (None when the export failed).
    """
    started = time.perf_counter()
    query_graph: Path | None = None
    try:
        query_graph = export_onnx(model, folder / ONNX_FILE)
        graph = query_graph
        if precision == "int8":
            graph = quantize_int8(query_graph, folder / "int8.onnx", signed=True)
        vectors = _embed_onnx(graph, texts, batch_size, show_progress)
        _check_against(model, texts, vectors, MIN_DOCUMENT_COSINE[precision])
        embedder = onnx_embedder(precision)
        query_graph = graph
    except Exception as error:  # any failure of the fast path leaves the reference path
        logger.warning(
            "embedding the catalog with sentence-transformers (torch) instead of "
            "onnxruntime: %s: %s",
            type(error).__name__,
            error,
        )
        vectors = encode(
            texts, batch_size, show_progress, encoder=model, max_tokens=DOCUMENT_TOKENS
        )
        embedder = TORCH_EMBEDDER
    elapsed = time.perf_counter() - started
    logger.info(
        "embedded %d products with %s in %.1fs, export included (%.0f products/s)",
        len(texts),
        embedder,
        elapsed,
        len(texts) / elapsed,
    )
    return Embedded(vectors, embedder, query_graph)


def _embed_onnx(
    path: Path,
    texts: Sequence[str],
    batch_size: int,
    show_progress: bool,
) -> np.ndarray:
    """Embeds ``texts`` with the graph at ``path`` on :data:`BUILD_THREADS` threads."""
    encoder = OnnxEncoder(path, threads=BUILD_THREADS, max_tokens=DOCUMENT_TOKENS)
    logger.info(
        "embedding %d products with onnxruntime (%d threads, %d word pieces)",
        len(texts),
        BUILD_THREADS,
        DOCUMENT_TOKENS,
    )
    return encoder.encode(texts, batch_size, show_progress_bar=show_progress)


def onnx_embedder(precision: DocumentPrecision) -> str:
    """``meta.json``'s ``embedder`` for products embedded by the exported graph."""
    return f"onnxruntime {precision}"


def _check_against(
    model: SentenceTransformer, texts: Sequence[str], vectors: np.ndarray, minimum: float
) -> None:
    """Raises when sampled rows differ from sentence-transformers' vectors of the same texts."""
    rows = sorted({int(i) for i in np.linspace(0, len(texts) - 1, min(len(texts), CHECKED_TEXTS))})
    expected = encode([texts[i] for i in rows], encoder=model, max_tokens=DOCUMENT_TOKENS)
    cosines = (expected * vectors[rows]).sum(axis=1)
    worst = float(cosines.min())
    if worst < minimum:
        raise EmbeddingMismatchError(
            f"the exported graph's vector of product {rows[int(cosines.argmin())]} has cosine "
            f"{worst:.4f} to sentence-transformers' (< {minimum})"
        )
    logger.debug("ONNX vs torch on %d products: worst cosine %.5f", len(rows), worst)
