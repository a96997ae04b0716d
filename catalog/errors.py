"""Errors the catalog raises for problems a user can fix.

Every message names what is wrong and how to fix it, so the CLI can print it on
one line and exit with code 2 instead of showing a traceback.
"""

from __future__ import annotations

__all__ = [
    "CatalogError",
    "CatalogIndexError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "ProductFileError",
    "UnknownProductError",
]


class CatalogError(Exception):
    """Base class of the catalog's user-facing errors."""


class ProductFileError(CatalogError):
    """A product export cannot be read (missing file, duplicate ids, no valid rows)."""


class CatalogIndexError(CatalogError):
    """A saved catalog index cannot be used; catch this around ``load`` and ``search``."""


class IndexNotFoundError(CatalogIndexError):
    """A saved catalog index is missing some of its files."""


class IndexMismatchError(CatalogIndexError):
    """A saved catalog index does not fit this code (model, dimension, format)."""


class UnknownProductError(CatalogError):
    """A product id the index does not hold (never indexed, or deleted since)."""
