"""Errors the catalog raises for problems a user can fix.

Every message names what is wrong and how to fix it, so the CLI can print it on
one line and exit with code 2 instead of showing a traceback.
"""

from __future__ import annotations

__all__ = [
    "CatalogError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "ProductFileError",
]


class CatalogError(Exception):
    """Base class of the catalog's user-facing errors."""


class ProductFileError(CatalogError):
    """A product export cannot be read (missing file, duplicate ids, no valid rows)."""


class IndexNotFoundError(CatalogError):
    """A saved catalog index is missing some of its files."""


class IndexMismatchError(CatalogError):
    """A saved catalog index does not fit this code (model, dimension, format)."""
