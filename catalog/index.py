"""The semantic product index: FAISS vectors plus the map back to product ids.

Vectors are unit length, so the exact inner-product index (``IndexFlatIP``)
ranks by cosine similarity. Row ``i`` of the FAISS index is product ``ids[i]``.

A saved index is a folder of three files:

- ``index.faiss``: the serialised FAISS index;
- ``ids.json``: the product ids, in row order;
- ``meta.json``: model name, dimension, count, build time and format version.

Each file is written to a temporary name and renamed into place, ``meta.json``
last, and loading cross-checks the three, so a reader never silently mixes two
builds.

Example:
    >>> index = CatalogIndex.build(read_products_jsonl("products.jsonl"))  # doctest: +SKIP
    >>> index.search("waterproof jacket for rain", k=3)[0].product_id  # doctest: +SKIP
    'rain-jacket-01'
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import faiss
import numpy as np

from catalog.encoder import MODEL_NAME, embedding_dimension, encode, load_encoder, product_text
from catalog.errors import CatalogError, IndexMismatchError, IndexNotFoundError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from catalog.products import CatalogProduct

__all__ = [
    "FORMAT_VERSION",
    "CatalogIndex",
    "IndexMeta",
    "SearchHit",
]

logger = logging.getLogger(__name__)
# faiss logs each CPU-specific build it tries and cannot load (AVX512, AVX2) as an
# error-looking line at INFO; they are expected, so only warnings are let through.
logging.getLogger("faiss.loader").setLevel(logging.WARNING)

FORMAT_VERSION = 1
"""Layout version of a saved index; bump it when the files change meaning."""

INDEX_FILE = "index.faiss"
IDS_FILE = "ids.json"
META_FILE = "meta.json"
_FILES = (INDEX_FILE, IDS_FILE, META_FILE)


@dataclass(frozen=True)
class SearchHit:
    """One search result: a product id, its cosine score and its 1-based rank."""

    product_id: str
    score: float
    rank: int


@dataclass(frozen=True)
class IndexMeta:
    """What ``meta.json`` records about a build."""

    model_name: str
    dimension: int
    count: int
    built_at: str
    format_version: int = FORMAT_VERSION


class CatalogIndex:
    """Exact cosine search over product embeddings.

    Build one with :meth:`build` or :meth:`load`; the constructor wraps parts
    that are already consistent.
    """

    def __init__(
        self,
        index: faiss.Index,
        ids: Sequence[str],
        meta: IndexMeta,
        *,
        encoder: SentenceTransformer | None = None,
    ) -> None:
        """Wraps a FAISS index whose row ``i`` is product ``ids[i]``.

        Raises:
            ValueError: The row count, id count and dimension disagree, or ids repeat.
        """
        if index.ntotal != len(ids):
            raise ValueError(f"{index.ntotal} vectors but {len(ids)} ids")
        if index.d != meta.dimension:
            raise ValueError(f"index dimension {index.d} but meta says {meta.dimension}")
        if len(set(ids)) != len(ids):
            raise ValueError("product ids repeat")
        self._index = index
        self._ids: tuple[str, ...] = tuple(ids)
        self._meta = meta
        self._encoder: SentenceTransformer | None = None
        if encoder is not None:
            self._check_encoder(encoder)
            self._encoder = encoder

    @classmethod
    def build(
        cls,
        products: Sequence[CatalogProduct],
        encoder: SentenceTransformer | None = None,
        *,
        batch_size: int = 64,
        show_progress: bool = True,
        model_name: str = MODEL_NAME,
    ) -> CatalogIndex:
        """Embeds ``products`` and indexes them.

        Args:
            products: Products with unique ids.
            encoder: Model to embed with; the shared CPU encoder when omitted.
            batch_size: Products per forward pass.
            show_progress: Draw a progress bar on stderr while embedding.
            model_name: Name recorded in ``meta.json``; pass it with a non-default encoder.

        Raises:
            CatalogError: ``products`` is empty or repeats an id.
        """
        if not products:
            raise CatalogError("no products to index: the product list is empty")
        ids = [product.id for product in products]
        _require_unique(ids)
        model = encoder if encoder is not None else load_encoder()
        started = time.perf_counter()
        vectors = encode(
            [product_text(product) for product in products],
            batch_size=batch_size,
            show_progress=show_progress,
            encoder=model,
        )
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        meta = IndexMeta(
            model_name=model_name,
            dimension=int(vectors.shape[1]),
            count=len(ids),
            built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        logger.info("indexed %d products in %.1fs", len(ids), time.perf_counter() - started)
        return cls(index, ids, meta, encoder=model)

    @property
    def ids(self) -> tuple[str, ...]:
        """Product ids in FAISS row order."""
        return self._ids

    @property
    def meta(self) -> IndexMeta:
        """What this index was built with."""
        return self._meta

    @property
    def encoder(self) -> SentenceTransformer:
        """The query encoder, loaded on first use so a loaded index opens fast."""
        if self._encoder is None:
            encoder = load_encoder()
            self._check_encoder(encoder)
            self._encoder = encoder
        return self._encoder

    def __len__(self) -> int:
        """Returns the number of indexed products."""
        return len(self._ids)

    def __repr__(self) -> str:
        return f"CatalogIndex(count={len(self)}, model={self._meta.model_name!r})"

    def search(self, query: str, k: int = 10) -> list[SearchHit]:
        """Returns the ``k`` products most similar to ``query``, best first."""
        return self.search_many([query], k)[0]

    def search_many(
        self, queries: Sequence[str], k: int = 10, *, batch_size: int = 64
    ) -> list[list[SearchHit]]:
        """Searches several queries with one batched encode; one hit list per query."""
        if not queries:
            return []
        vectors = encode(list(queries), batch_size=batch_size, encoder=self.encoder)
        return self.search_vectors(vectors, k)

    def search_vectors(self, vectors: np.ndarray, k: int = 10) -> list[list[SearchHit]]:
        """Searches with query vectors that are already unit length.

        This is the seam for callers that embed queries themselves (a hybrid
        ranker that reuses one query vector for several indexes).
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        queries = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
        if len(self) == 0:
            return [[] for _ in range(len(queries))]
        scores, rows = self._index.search(queries, min(k, len(self)))
        return [
            self._hits(row_scores, row_ids)
            for row_scores, row_ids in zip(scores, rows, strict=True)
        ]

    def _hits(self, scores: np.ndarray, rows: np.ndarray) -> list[SearchHit]:
        """Turns one FAISS result row into hits, dropping its ``-1`` padding."""
        found = [
            (float(score), int(row)) for score, row in zip(scores, rows, strict=True) if row >= 0
        ]
        return [
            SearchHit(product_id=self._ids[row], score=score, rank=rank)
            for rank, (score, row) in enumerate(found, start=1)
        ]

    def _check_encoder(self, encoder: SentenceTransformer) -> None:
        """Refuses an encoder whose vectors would not fit this index."""
        dimension = embedding_dimension(encoder)
        if dimension != self._meta.dimension:
            raise IndexMismatchError(
                f"the encoder makes {dimension}-dimensional vectors but the index holds "
                f"{self._meta.dimension}-dimensional ones: rebuild the index with this encoder"
            )

    def save(self, directory: str | Path) -> Path:
        """Writes the index to ``directory``, creating it if needed.

        Each file replaces its old version atomically; ``meta.json`` goes last,
        so its count tells a reader whether the other two belong with it.

        Returns:
            The directory written.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        _atomic_write(directory / INDEX_FILE, faiss.serialize_index(self._index).tobytes())
        _atomic_write(directory / IDS_FILE, _json_bytes(list(self._ids)))
        _atomic_write(directory / META_FILE, _json_bytes(asdict(self._meta)))
        logger.info("saved %d products to %s", len(self), directory)
        return directory

    @classmethod
    def load(
        cls,
        directory: str | Path,
        encoder: SentenceTransformer | None = None,
        *,
        model_name: str = MODEL_NAME,
    ) -> CatalogIndex:
        """Reads an index written by :meth:`save`.

        Args:
            directory: The folder holding the index files.
            encoder: Query encoder; when omitted, the shared CPU encoder, loaded at the
                first search.
            model_name: The model the index must have been built with.

        Raises:
            IndexNotFoundError: The folder or some of its files are missing.
            IndexMismatchError: The files are unreadable, disagree with each other,
                or were built with another model, dimension or format.
        """
        directory = Path(directory)
        _require_files(directory)
        meta = _read_meta(directory)
        if meta.model_name != model_name:
            raise IndexMismatchError(
                f"catalog index in {directory} was built with {meta.model_name}, not "
                f"{model_name}: rebuild it with {_build_command(directory)}"
            )
        index = _read_faiss(directory)
        ids = _read_ids(directory)
        if not index.ntotal == len(ids) == meta.count or index.d != meta.dimension:
            raise IndexMismatchError(
                f"catalog index in {directory} is inconsistent ({index.ntotal} vectors of "
                f"dimension {index.d}, {len(ids)} ids, meta says {meta.count} of dimension "
                f"{meta.dimension}): rebuild it with {_build_command(directory)}"
            )
        return cls(index, ids, meta, encoder=encoder)


def _require_unique(ids: Sequence[str]) -> None:
    """Raises naming the first id that repeats."""
    seen: set[str] = set()
    for product_id in ids:
        if product_id in seen:
            raise CatalogError(
                f"duplicate product id {product_id!r}: give each product a unique id"
            )
        seen.add(product_id)


def _build_command(directory: Path) -> str:
    """Returns the command that (re)builds the index in ``directory``."""
    return f"`python -m catalog build --products FILE --out {directory}`"


def _require_files(directory: Path) -> None:
    """Raises naming the fix when the index folder or some of its files are missing."""
    missing = [name for name in _FILES if not (directory / name).is_file()]
    if len(missing) == len(_FILES):
        raise IndexNotFoundError(
            f"catalog index not found in {directory}: build it with {_build_command(directory)}"
        )
    if missing:
        raise IndexNotFoundError(
            f"catalog index in {directory} is incomplete (missing {', '.join(missing)}): "
            f"rebuild it with {_build_command(directory)}"
        )


def _read_meta(directory: Path) -> IndexMeta:
    """Reads ``meta.json``, refusing a format this code does not know."""
    raw = _read_json(directory, META_FILE)
    version = raw.get("format_version") if isinstance(raw, dict) else None
    if version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"catalog index in {directory} has format version {version}, this code reads "
            f"{FORMAT_VERSION}: rebuild it with {_build_command(directory)}"
        )
    try:
        return IndexMeta(
            model_name=str(raw["model_name"]),
            dimension=int(raw["dimension"]),
            count=int(raw["count"]),
            built_at=str(raw["built_at"]),
            format_version=version,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexMismatchError(
            f"catalog index in {directory} has a bad {META_FILE} ({exc!r}): "
            f"rebuild it with {_build_command(directory)}"
        ) from None


def _read_ids(directory: Path) -> list[str]:
    """Reads ``ids.json``, which must be a list of strings."""
    ids = _read_json(directory, IDS_FILE)
    if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
        raise IndexMismatchError(
            f"catalog index in {directory} has a bad {IDS_FILE} (expected a list of ids): "
            f"rebuild it with {_build_command(directory)}"
        )
    return ids


def _read_json(directory: Path, name: str) -> Any:
    """Parses one JSON file of the index, naming the fix when it is corrupt."""
    try:
        return json.loads((directory / name).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexMismatchError(
            f"catalog index in {directory} has an unreadable {name} ({exc}): "
            f"rebuild it with {_build_command(directory)}"
        ) from None


def _read_faiss(directory: Path) -> faiss.Index:
    """Reads ``index.faiss``, naming the fix when FAISS cannot parse it."""
    try:
        return faiss.read_index(str(directory / INDEX_FILE))
    except RuntimeError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        raise IndexMismatchError(
            f"catalog index in {directory} has an unreadable {INDEX_FILE} ({first_line}): "
            f"rebuild it with {_build_command(directory)}"
        ) from None


def _json_bytes(value: Any) -> bytes:
    """Serialises ``value`` as UTF-8 JSON with a trailing newline."""
    return (json.dumps(value, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _current_umask() -> int:
    """Returns the process umask; reading it means setting it, so do it once at import."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_current_umask()
"""Mode of saved files: what ``open()`` would give, not the private 0600 of a temp file."""


def _atomic_write(path: Path, data: bytes) -> None:
    """Writes ``data`` to a temporary file beside ``path``, then renames it over ``path``.

    A crash leaves either the old file or the new one, never half of either.
    """
    with tempfile.NamedTemporaryFile(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    ) as handle:
        temp_path = Path(handle.name)
        try:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), _FILE_MODE)
            os.fsync(handle.fileno())
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise
    try:
        os.replace(temp_path, path)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
