"""The product index: dense vectors and BM25, fused by score, searched inside filters.

A query is parsed for filters (:mod:`catalog.filters`), typo-corrected against
the catalog's words (:mod:`catalog.lexical`), then ranked twice over the rows
the filters allow: by cosine similarity of all-MiniLM-L6-v2 embeddings in FAISS
(:mod:`catalog.dense`) and by BM25; a weighted sum of the two scores
(:mod:`catalog.fusion`) merges them. Row ``i`` of the FAISS index is product ``ids[i]``.

A saved index is a folder of four files:

- ``index.faiss``: the serialised FAISS index (flat, or IVF for large catalogs);
- ``ids.json``: the product ids, in row order;
- ``products.jsonl``: the products (attributes for filters, text for BM25), in row order;
- ``meta.json``: model name, dimension, count, index kind, build time, format version, the
  word pieces each product was embedded at and what embedded it (:mod:`catalog.embedding`);
- ``encoder.onnx``: the build's model exported to ONNX (:mod:`catalog.onnx_encoder`), the
  graph (int8 by default) that embedded the products and with which serving encodes queries
  without torch. It is optional: an index without it still searches, through torch, and says
  so in the log.

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
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import faiss
import numpy as np
from pydantic import ValidationError

from catalog.attributes import AttributeTable
from catalog.dense import DenseIndex
from catalog.embedding import (
    DOCUMENT_PRECISION,
    TORCH_EMBEDDER,
    DocumentPrecision,
    embed_products,
)
from catalog.encoder import (
    DOCUMENT_TOKENS,
    LEGACY_DOCUMENT_TOKENS,
    MODEL_NAME,
    embedding_dimension,
    encode,
    load_encoder,
    product_text,
)
from catalog.errors import (
    CatalogError,
    IndexMismatchError,
    IndexNotFoundError,
    UnknownProductError,
)
from catalog.filters import ParsedQuery, SearchFilters, Vocabulary, parse_query
from catalog.fusion import convex_fusion
from catalog.lexical import LexicalIndex
from catalog.onnx_encoder import ONNX_FILE, OnnxEncoder, export_onnx
from catalog.products import CatalogProduct

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    QueryEncoder = SentenceTransformer | OnnxEncoder

__all__ = [
    "FORMAT_VERSION",
    "CatalogIndex",
    "IndexMeta",
    "SearchHit",
    "SearchMode",
    "SearchOptions",
]

logger = logging.getLogger(__name__)
# faiss logs each CPU-specific build it tries and cannot load (AVX512, AVX2) as an
# error-looking line at INFO; they are expected, so only warnings are let through.
logging.getLogger("faiss.loader").setLevel(logging.WARNING)

FORMAT_VERSION = 2
"""Layout version of a saved index; bump it when the files change meaning."""

INDEX_FILE = "index.faiss"
IDS_FILE = "ids.json"
META_FILE = "meta.json"
PRODUCTS_FILE = "products.jsonl"
_FILES = (INDEX_FILE, IDS_FILE, PRODUCTS_FILE, META_FILE)

CANDIDATES = 100
"""Rows each ranker contributes to the fusion (at least ``k``)."""

DENSE_SHARE = 0.5
"""Weight of the cosine in the fusion, BM25 getting the rest: chosen on the tuning split of
the labelled queries by ``bench/search_quality.py --sets`` (0.5 and 0.6 tie there)."""

SearchMode = Literal["hybrid", "dense", "lexical"]


@dataclass(frozen=True)
class SearchHit:
    """One search result: a product id, its score and its 1-based rank.

    The score is the fused score (0 to 1) in hybrid mode, the cosine similarity in
    dense mode and the BM25 score in lexical mode: compare scores within one list.
    """

    product_id: str
    score: float
    rank: int


@dataclass(frozen=True)
class IndexMeta:
    """What ``meta.json`` records about a build.

    ``max_seq_length`` (word pieces per product) and ``embedder`` came after format 2's
    first files: a ``meta.json`` without them was built by sentence-transformers at 256
    pieces, and loads as such; products upserted into it are embedded at its own length.
    """

    model_name: str
    dimension: int
    count: int
    built_at: str
    kind: str = "flat"
    format_version: int = FORMAT_VERSION
    max_seq_length: int = DOCUMENT_TOKENS
    embedder: str = TORCH_EMBEDDER


class CatalogIndex:
    """Hybrid product search: dense + BM25 fused by rank, inside the shopper's filters.

    Build one with :meth:`build` or :meth:`load`. Products can then be added,
    changed or removed (:meth:`upsert`, :meth:`delete`) and prices and stock
    changed (:meth:`set_price`, :meth:`set_stock`) without a rebuild; the next
    search sees every change.
    """

    def __init__(
        self,
        dense: DenseIndex,
        products: Sequence[CatalogProduct],
        meta: IndexMeta,
        *,
        encoder: QueryEncoder | None = None,
        onnx_path: Path | None = None,
    ) -> None:
        """Wraps a dense index whose row ``i`` is ``products[i]``.

        Raises:
            ValueError: The row count, product count and dimension disagree, or ids repeat.
        """
        if len(dense) != len(products):
            raise ValueError(f"{len(dense)} vectors but {len(products)} products")
        if dense.dimension != meta.dimension:
            raise ValueError(f"index dimension {dense.dimension} but meta says {meta.dimension}")
        ids = [product.id for product in products]
        if len(set(ids)) != len(ids):
            raise ValueError("product ids repeat")
        self._dense = dense
        self._rows: list[str | None] = list(ids)
        self._row_of = {product_id: row for row, product_id in enumerate(ids)}
        self._products = {product.id: product for product in products}
        self._table = AttributeTable()
        self._table.extend(list(products))
        self._lexical = LexicalIndex.build([product_text(product) for product in products])
        self._vocabulary: Vocabulary | None = None
        self._meta = meta
        self._encoder: QueryEncoder | None = None
        self._onnx_path = onnx_path
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
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
        kind: str | None = None,
        precision: DocumentPrecision = DOCUMENT_PRECISION,
    ) -> CatalogIndex:
        """Embeds ``products`` and indexes them.

        The model is exported to ONNX first and the products are embedded with that graph
        on onnxruntime, falling back to sentence-transformers with a logged reason
        (:func:`catalog.embedding.embed_products`); :meth:`save` writes the export as the
        index's query encoder.

        Args:
            products: Products with unique ids.
            encoder: Model to embed with; the shared CPU encoder when omitted.
            batch_size: Products per forward pass.
            show_progress: Draw a progress bar on stderr while embedding.
            model_name: Name recorded in ``meta.json``; pass it with a non-default encoder.
            kind: ``"flat"`` or ``"ivf"``; by default chosen by size (:func:`index_kind`).
            precision: Weights the products are embedded with; :meth:`save` writes
                the same graph as the query encoder.

        Raises:
            CatalogError: ``products`` is empty or repeats an id.
        """
        if not products:
            raise CatalogError("no products to index: the product list is empty")
        _require_unique([product.id for product in products])
        model = encoder if encoder is not None else load_encoder()
        started = time.perf_counter()
        workdir = tempfile.TemporaryDirectory(prefix="aisle-index-")
        embedded = embed_products(
            model,
            [product_text(product) for product in products],
            Path(workdir.name),
            batch_size=batch_size,
            show_progress=show_progress,
            precision=precision,
        )
        dense = DenseIndex.build(embedded.vectors, kind)
        meta = IndexMeta(
            model_name=model_name,
            dimension=int(embedded.vectors.shape[1]),
            count=len(products),
            built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            kind=dense.kind,
            max_seq_length=DOCUMENT_TOKENS,
            embedder=embedded.embedder,
        )
        # Queries go through what embedded the products, as after save() and load().
        onnx_embedded = embedded.onnx_path is not None and embedded.embedder != TORCH_EMBEDDER
        query_encoder = None if onnx_embedded else model
        index = cls(dense, products, meta, encoder=query_encoder, onnx_path=embedded.onnx_path)
        index._workdir = workdir  # holds the export until save() copies it
        logger.info("indexed %d products in %.1fs", len(index), time.perf_counter() - started)
        return index

    @property
    def ids(self) -> tuple[str, ...]:
        """Ids of the indexed products, in row order."""
        return tuple(product_id for product_id in self._rows if product_id is not None)

    @property
    def meta(self) -> IndexMeta:
        """What this index was built with."""
        return self._meta

    @property
    def encoder(self) -> QueryEncoder:
        """The query encoder, loaded on first use so a loaded index opens fast.

        A loaded index encodes with its ``encoder.onnx`` (no torch); without that
        file it falls back to the torch model and logs why.
        """
        if self._encoder is None:
            encoder: QueryEncoder
            if self._onnx_path is not None and self._onnx_path.is_file():
                encoder = OnnxEncoder(self._onnx_path)
            else:
                logger.warning(
                    "no %s next to the catalog index: encoding queries with torch "
                    "(slower, more memory); rebuild the index to export it",
                    ONNX_FILE,
                )
                encoder = load_encoder()
            self._check_encoder(encoder)
            self._encoder = encoder
        return self._encoder

    @property
    def vocabulary(self) -> Vocabulary:
        """Colours, brands and categories the filters recognise in a query."""
        if self._vocabulary is None:
            self._vocabulary = self._table.vocabulary()
        return self._vocabulary

    def __len__(self) -> int:
        """Returns the number of indexed products."""
        return len(self._products)

    def __repr__(self) -> str:
        return f"CatalogIndex(count={len(self)}, model={self._meta.model_name!r})"

    def product(self, product_id: str) -> CatalogProduct | None:
        """Returns the indexed product ``product_id`` (as last upserted), or None."""
        return self._products.get(product_id)

    def parse(self, query: str, *, typo_tolerant: bool = True) -> ParsedQuery:
        """Reads the filters in ``query`` the way :meth:`search` does (typos corrected first).

        A conversation keeps the filters as slots and changes one at a time ("cheaper",
        "in blue"), so it needs them apart from the search itself.
        """
        text = self._lexical.correct(query) if typo_tolerant else query
        return parse_query(text, self.vocabulary)

    def count(self, filters: SearchFilters) -> int:
        """Returns how many products meet ``filters``: the measure of how strict each one is."""
        return int(self._table.mask(filters).sum())

    # --- search ---------------------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        filters: SearchFilters | None = None,
        mode: SearchMode = "hybrid",
        parse: bool = True,
        typo_tolerant: bool = True,
    ) -> list[SearchHit]:
        """Returns the ``k`` best products for ``query``, best first.

        Args:
            query: The shopper's words; price, size, colour, brand, category and
                stock phrases in it become filters unless ``parse`` is False.
            k: Results wanted.
            filters: Constraints from elsewhere (slots); they override parsed ones.
            mode: ``"hybrid"`` (dense + BM25 fused), ``"dense"`` or ``"lexical"``.
            parse: Read filters from the query text.
            typo_tolerant: Correct words the catalog never uses before searching.
        """
        options = _Options(filters, mode, parse, typo_tolerant)
        return self.search_many([query], k, options=options)[0]

    def search_many(
        self,
        queries: Sequence[str],
        k: int = 10,
        *,
        options: _Options | None = None,
    ) -> list[list[SearchHit]]:
        """Searches several queries; one hit list per query, each as :meth:`search` gives it.

        Queries are encoded one per forward pass: the int8 graph quantizes its activations
        per batch, so in a batch a query's vector (and its results) would depend on the
        queries next to it. One short query costs ~1.7 ms, so batching would save little.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        if not queries:
            return []
        options = options or _Options()
        plans = [self._plan(query, options, k) for query in queries]
        vectors: np.ndarray | None = None
        if options.mode != "lexical":
            texts = [plan.text for plan in plans]
            vectors = encode(texts, batch_size=1, encoder=self.encoder)
        return [
            self._search_one(plan, None if vectors is None else vectors[i], k, options.mode)
            for i, plan in enumerate(plans)
        ]

    def _plan(self, query: str, options: _Options, k: int) -> _Plan:
        """Parses filters out of ``query``, corrects typos and builds the row mask."""
        text = self._lexical.correct(query) if options.typo_tolerant else query
        parsed = (
            parse_query(text, self.vocabulary)
            if options.parse
            else ParsedQuery(text, SearchFilters())
        )
        filters = parsed.filters.merged(options.filters) if options.filters else parsed.filters
        text = parsed.text
        has_dead = len(self._products) < len(self._rows)
        mask = self._table.mask(filters) if filters or has_dead else None
        explicit = options.filters.categories if options.filters else frozenset()
        if mask is not None and parsed.filters.categories and not explicit:
            mask = self._relax_category(filters, mask, k)
        return _Plan(text or query, mask)

    def _relax_category(self, filters: SearchFilters, mask: np.ndarray, k: int) -> np.ndarray:
        """Drops a category read from the words when it leaves fewer than ``k`` products.

        "mat for yoga" names the category Mats, but a shopper asking for ten
        results wants the nearest other products too; prices, sizes and brands
        stay hard limits.
        """
        if int(mask.sum()) >= k:
            return mask
        return self._table.mask(replace(filters, categories=frozenset()))

    def _search_one(
        self, plan: _Plan, vector: np.ndarray | None, k: int, mode: SearchMode
    ) -> list[SearchHit]:
        candidates = max(CANDIDATES, k)
        rankings: list[list[tuple[int, float]]] = []
        if vector is not None:
            scores, rows = self._dense.search(vector, candidates, plan.mask)
            pairs = zip(rows[0].tolist(), scores[0].tolist(), strict=True)
            rankings.append([(row, score) for row, score in pairs if row >= 0])
        if mode != "dense":
            rankings.append(self._lexical_ranking(plan, candidates))
        if mode == "hybrid" and vector is not None:
            fused = self._fuse(vector, rankings[0], rankings[1], k)
        else:
            fused = rankings[0][:k]
        return [
            SearchHit(product_id=str(self._rows[row]), score=score, rank=rank)
            for rank, (row, score) in enumerate(fused, start=1)
        ]

    def _fuse(
        self,
        vector: np.ndarray,
        dense: list[tuple[int, float]],
        lexical: list[tuple[int, float]],
        k: int,
    ) -> list[tuple[int, float]]:
        """Fuses the two lists; lexical hits the dense top list missed get their real cosine."""
        cosines = dict(dense)
        missing = [row for row, _ in lexical if row not in cosines]
        if missing:
            cosines.update(zip(missing, self._dense.similarities(vector, missing), strict=True))
        return convex_fusion(cosines, lexical, DENSE_SHARE, k)

    def _lexical_ranking(self, plan: _Plan, candidates: int) -> list[tuple[int, float]]:
        """The best BM25 rows among the allowed ones; rows matching no term are left out.

        Only the rows matching a term are masked and ranked (ties: lower row first).
        """
        rows, scores = self._lexical.matches(plan.text, typo_tolerant=False)
        if plan.mask is not None:
            allowed = plan.mask[rows]
            rows, scores = rows[allowed], scores[allowed]
        take = min(candidates, len(rows))
        if take == 0:
            return []
        top = np.argpartition(-scores, take - 1)[:take] if take < len(rows) else np.arange(take)
        top = top[np.lexsort((rows[top], -scores[top]))]
        return list(zip(rows[top].tolist(), scores[top].tolist(), strict=True))

    # --- neighbours -----------------------------------------------------------------------

    def similar(
        self,
        product_id: str,
        k: int = 10,
        *,
        exclude: Collection[str] = (),
        in_stock: bool = True,
    ) -> list[SearchHit]:
        """Returns the ``k`` products nearest to ``product_id`` by embedding, best first.

        The score is the cosine of the two products' embeddings. The product itself
        is never in the list, nor are deleted products, the ``exclude`` ones and,
        with ``in_stock``, products without a variant in stock now (the stock
        :meth:`set_stock` last set, as the ``in stock`` search filter sees it).

        Raises:
            UnknownProductError: ``product_id`` is not indexed.
            ValueError: ``k`` is below 1.
        """
        return self.similar_to_many([product_id], k, exclude=exclude, in_stock=in_stock)

    def similar_to_many(
        self,
        product_ids: Sequence[str],
        k: int = 10,
        *,
        exclude: Collection[str] = (),
        in_stock: bool = True,
        weights: Sequence[float] | None = None,
    ) -> list[SearchHit]:
        """Returns the ``k`` products nearest to the weighted mean of several products' vectors.

        Ranking by the cosine to the mean vector is ranking by the weighted sum of
        the cosines to each product (the mean's length is the same for every
        candidate), so a product near several of them beats one near only one.
        Ids the index does not hold are skipped: a product bought long ago may have
        left the catalog since. The given products are never returned; otherwise
        the same rows are left out as in :meth:`similar`.

        Args:
            product_ids: The products to find neighbours of.
            k: Results wanted.
            exclude: Products never to return.
            in_stock: Leave out products without a variant in stock now.
            weights: One weight (0 or more) per id, e.g. more for recent purchases;
                equal weights when omitted.

        Raises:
            UnknownProductError: None of ``product_ids`` is indexed.
            ValueError: ``k`` is below 1, ``product_ids`` is empty, or ``weights``
                does not give one weight of 0 or more per id, not all 0.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        centre = self._centre(product_ids, weights)
        mask = self._table.mask(SearchFilters(in_stock=in_stock))
        for product_id in (*product_ids, *exclude):
            row = self._row_of.get(product_id)
            if row is not None:
                mask[row] = False
        scores, rows = self._dense.search(centre, k, mask)
        pairs = zip(rows[0].tolist(), scores[0].tolist(), strict=True)
        found = [(row, score) for row, score in pairs if row >= 0]
        return [
            SearchHit(product_id=str(self._rows[row]), score=score, rank=rank)
            for rank, (row, score) in enumerate(found, start=1)
        ]

    def _centre(self, product_ids: Sequence[str], weights: Sequence[float] | None) -> np.ndarray:
        """The unit-length weighted mean of the indexed products' vectors."""
        if not product_ids:
            raise ValueError("product_ids is empty: name at least one product")
        given = [1.0] * len(product_ids) if weights is None else [float(w) for w in weights]
        if len(given) != len(product_ids) or min(given) < 0 or max(given) <= 0:
            raise ValueError(
                f"weights must be one number of 0 or more per product id, not all 0: got {given}"
            )
        known = [
            (self._row_of[product_id], weight)
            for product_id, weight in zip(product_ids, given, strict=True)
            if product_id in self._row_of and weight > 0
        ]
        if not known:
            if len(product_ids) == 1:
                raise UnknownProductError(f"product {product_ids[0]!r} is not in the catalog index")
            named = ", ".join(repr(product_id) for product_id in product_ids[:5])
            raise UnknownProductError(f"none of the products {named} is in the catalog index")
        vectors = self._dense.vectors([row for row, _ in known])
        centre = np.average(vectors, axis=0, weights=[weight for _, weight in known])
        length = float(np.linalg.norm(centre))
        return (centre / length if length > 0 else centre).astype(np.float32)

    def available_ids(self) -> frozenset[str]:
        """Ids of the indexed products with a variant in stock now.

        Recommendations made from order history (:mod:`catalog.recommend`) pass it
        as ``available`` so that no sold-out or delisted product is offered.
        """
        mask = self._table.mask(SearchFilters(in_stock=True))
        return frozenset(str(self._rows[row]) for row in np.flatnonzero(mask).tolist())

    # --- changes --------------------------------------------------------------------------

    def upsert(self, products: Sequence[CatalogProduct], *, batch_size: int = 64) -> None:
        """Adds new products and replaces changed ones; only changed texts are re-embedded.

        A product whose embedded text is unchanged (a new price, stock or image)
        keeps its vector; the others are embedded in one batch.
        """
        _require_unique([product.id for product in products])
        texts = [product_text(product) for product in products]
        fresh = [
            i
            for i, product in enumerate(products)
            if product.id not in self._products
            or product_text(self._products[product.id]) != texts[i]
        ]
        vectors = np.empty((len(products), self._meta.dimension), np.float32)
        if fresh:
            encoded = [texts[i] for i in fresh]
            vectors[fresh] = encode(
                encoded,
                batch_size=batch_size,
                encoder=self.encoder,
                max_tokens=self._meta.max_seq_length,
            )
        for i, product in enumerate(products):
            if i not in set(fresh):
                vectors[i] = self._dense.reconstruct(self._row_of[product.id])
        self.delete([p.id for p in products if p.id in self._products])
        self._append(products, vectors, texts)
        logger.info("upserted %d products (%d embedded)", len(products), len(fresh))

    def _append(
        self, products: Sequence[CatalogProduct], vectors: np.ndarray, texts: Sequence[str]
    ) -> None:
        first = len(self._rows)
        self._dense.add(vectors)
        self._table.extend(list(products))
        for offset, (product, text) in enumerate(zip(products, texts, strict=True)):
            row = first + offset
            self._rows.append(product.id)
            self._row_of[product.id] = row
            self._products[product.id] = product
            self._lexical.set_row(row, text)
        self._vocabulary = None

    def delete(self, product_ids: Sequence[str]) -> int:
        """Removes products from search at once; returns how many were indexed."""
        removed = 0
        for product_id in product_ids:
            row = self._row_of.pop(product_id, None)
            if row is None:
                continue
            self._table.kill(row)
            self._rows[row] = None
            del self._products[product_id]
            removed += 1
        return removed

    def set_price(self, product_id: str, price: float | None) -> None:
        """Changes a product's price; price filters use it from the next search.

        Raises:
            KeyError: ``product_id`` is not indexed.
        """
        row = self._row_of[product_id]
        self._table.set_price(row, price)
        product = self._products[product_id]
        self._products[product_id] = product.model_copy(update={"price": price})

    def set_stock(self, sku: str, stock: int) -> bool:
        """Changes a variant's stock (size / in-stock filters); False for an unknown SKU."""
        return self._table.set_stock(sku, stock)

    def _check_encoder(self, encoder: QueryEncoder) -> None:
        """Refuses an encoder whose vectors would not fit this index."""
        dimension = embedding_dimension(encoder)
        if dimension != self._meta.dimension:
            raise IndexMismatchError(
                f"the encoder makes {dimension}-dimensional vectors but the index holds "
                f"{self._meta.dimension}-dimensional ones: rebuild the index with this encoder"
            )

    # --- files ----------------------------------------------------------------------------

    def save(self, directory: str | Path) -> Path:
        """Writes the index to ``directory``, creating it if needed.

        Deleted rows are dropped first (the vectors of the others are kept, not
        re-embedded). Each file replaces its old version atomically; ``meta.json``
        goes last, so its count tells a reader whether the others belong with it.

        Returns:
            The directory written.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        live = [row for row, product_id in enumerate(self._rows) if product_id is not None]
        dense = self._dense if len(live) == len(self._rows) else self._dense.subset(live)
        products = [self._products[str(self._rows[row])] for row in live]
        meta = replace(self._meta, count=len(products), kind=dense.kind)
        _atomic_write(directory / INDEX_FILE, faiss.serialize_index(dense.faiss_index).tobytes())
        _atomic_write(directory / IDS_FILE, _json_bytes([p.id for p in products]))
        _atomic_write(directory / PRODUCTS_FILE, _products_bytes(products))
        self._save_onnx(directory / ONNX_FILE)
        _atomic_write(directory / META_FILE, _json_bytes(asdict(meta)))
        logger.info("saved %d products to %s", len(products), directory)
        return directory

    def _save_onnx(self, target: Path) -> None:
        """Writes the query encoder: copied from the build's export or the folder this index
        was loaded from, kept when that is ``target``, else exported from the torch model."""
        source = self._onnx_path
        if source is not None and source.is_file():
            if source.resolve() != target.resolve():
                _atomic_write(target, source.read_bytes())
        else:
            built_with = self._encoder
            if built_with is None or isinstance(built_with, OnnxEncoder):
                built_with = load_encoder()
            export_onnx(built_with, target)
        self._onnx_path = target
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    @classmethod
    def load(
        cls,
        directory: str | Path,
        encoder: QueryEncoder | None = None,
        *,
        model_name: str = MODEL_NAME,
    ) -> CatalogIndex:
        """Reads an index written by :meth:`save`.

        Args:
            directory: The folder holding the index files.
            encoder: Query encoder; when omitted, the folder's ``encoder.onnx`` (or,
                without it, the shared torch encoder), loaded at the first search.
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
        products = _read_products(directory)
        if (
            not index.ntotal == len(ids) == len(products) == meta.count
            or index.d != meta.dimension
            or ids != [product.id for product in products]
        ):
            raise IndexMismatchError(
                f"catalog index in {directory} is inconsistent ({index.ntotal} vectors of "
                f"dimension {index.d}, {len(ids)} ids, {len(products)} products, meta says "
                f"{meta.count} of dimension {meta.dimension}): rebuild it with "
                f"{_build_command(directory)}"
            )
        return cls(
            DenseIndex(index), products, meta, encoder=encoder, onnx_path=directory / ONNX_FILE
        )


@dataclass(frozen=True)
class _Options:
    """How :meth:`CatalogIndex.search_many` searches (see :meth:`CatalogIndex.search`)."""

    filters: SearchFilters | None = None
    mode: SearchMode = "hybrid"
    parse: bool = True
    typo_tolerant: bool = True


SearchOptions = _Options


@dataclass(frozen=True)
class _Plan:
    """One query ready to search: corrected text and the allowed rows (None: all)."""

    text: str
    mask: np.ndarray | None


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
            kind=str(raw.get("kind", "flat")),
            format_version=version,
            max_seq_length=int(raw.get("max_seq_length", LEGACY_DOCUMENT_TOKENS)),
            embedder=str(raw.get("embedder", TORCH_EMBEDDER)),
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


def _read_products(directory: Path) -> list[CatalogProduct]:
    """Reads ``products.jsonl`` as written by :meth:`CatalogIndex.save`."""
    path = directory / PRODUCTS_FILE
    try:
        with path.open(encoding="utf-8") as handle:
            return [CatalogProduct.model_validate_json(line) for line in handle if line.strip()]
    except (OSError, UnicodeDecodeError, ValidationError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        raise IndexMismatchError(
            f"catalog index in {directory} has an unreadable {PRODUCTS_FILE} ({first_line}): "
            f"rebuild it with {_build_command(directory)}"
        ) from None


def _products_bytes(products: Sequence[CatalogProduct]) -> bytes:
    """Serialises products as JSON Lines, one per row."""
    return "".join(product.model_dump_json() + "\n" for product in products).encode("utf-8")


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
