"""Semantic product search for Aisle.

Products are read from a shop export (:mod:`catalog.importers`: JSONL, CSV,
TSV, Shopify CSV), embedded with a packaged sentence model
(:mod:`catalog.encoder`) and searched two ways, by cosine similarity in FAISS
(:mod:`catalog.dense`) and by BM25 with typo correction (:mod:`catalog.lexical`),
fused by score (:mod:`catalog.fusion`) inside the filters read from the
shopper's words (:mod:`catalog.filters`, :mod:`catalog.attributes`);
:mod:`catalog.index` ties them together. ``python -m catalog`` builds and
queries an index from the command line (:mod:`catalog.cli`).

Example:
    >>> from catalog import CatalogIndex, read_products_jsonl
    >>> index = CatalogIndex.build(read_products_jsonl("products.jsonl"))  # doctest: +SKIP
    >>> index.save("var/index")  # doctest: +SKIP
    >>> CatalogIndex.load("var/index").search("pan for cooking", k=3)  # doctest: +SKIP
"""

from __future__ import annotations

from catalog.encoder import (
    EMBEDDING_DIM,
    MODEL_NAME,
    embedding_dimension,
    encode,
    load_encoder,
    product_text,
)
from catalog.errors import (
    CatalogError,
    CatalogIndexError,
    IndexMismatchError,
    IndexNotFoundError,
    ProductFileError,
    UnknownProductError,
)
from catalog.filters import SearchFilters
from catalog.importers import (
    PRODUCT_FORMATS,
    ImportResult,
    RowProblem,
    import_products,
    parse_mapping,
    read_products,
    read_products_jsonl,
)
from catalog.index import FORMAT_VERSION, CatalogIndex, IndexMeta, SearchHit, SearchMode
from catalog.products import CatalogProduct, Variant

__all__ = [
    "EMBEDDING_DIM",
    "FORMAT_VERSION",
    "MODEL_NAME",
    "PRODUCT_FORMATS",
    "CatalogError",
    "CatalogIndex",
    "CatalogIndexError",
    "CatalogProduct",
    "ImportResult",
    "IndexMeta",
    "IndexMismatchError",
    "IndexNotFoundError",
    "ProductFileError",
    "RowProblem",
    "SearchFilters",
    "SearchHit",
    "SearchMode",
    "UnknownProductError",
    "Variant",
    "embedding_dimension",
    "encode",
    "import_products",
    "load_encoder",
    "parse_mapping",
    "product_text",
    "read_products",
    "read_products_jsonl",
]
