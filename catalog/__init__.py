"""Semantic product search for Aisle.

Products are read from a shop export (:mod:`catalog.products`), embedded with
a packaged sentence model (:mod:`catalog.encoder`) and searched by cosine
similarity in a FAISS index (:mod:`catalog.index`). ``python -m catalog``
builds and queries an index from the command line (:mod:`catalog.cli`).

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
)
from catalog.index import FORMAT_VERSION, CatalogIndex, IndexMeta, SearchHit
from catalog.products import (
    PRODUCT_FORMATS,
    CatalogProduct,
    Variant,
    read_products,
    read_products_jsonl,
)

__all__ = [
    "EMBEDDING_DIM",
    "FORMAT_VERSION",
    "MODEL_NAME",
    "PRODUCT_FORMATS",
    "CatalogError",
    "CatalogIndex",
    "CatalogIndexError",
    "CatalogProduct",
    "IndexMeta",
    "IndexMismatchError",
    "IndexNotFoundError",
    "ProductFileError",
    "SearchHit",
    "Variant",
    "embedding_dimension",
    "encode",
    "load_encoder",
    "product_text",
    "read_products",
    "read_products_jsonl",
]
