"""Shopify's product CSV export, read as canonical catalog rows.

Shopify writes one row per variant: the first row of a product (its ``Handle``)
carries title, body, vendor and the option names; the following rows carry only
the handle, option values, SKU, price and stock, and rows with only an image add
a picture. This module renames those columns to the catalog's field names
(``id``, ``title``, ``colour``, ``size``, ``stock``, ...) so the grouping in
:mod:`catalog.importers` turns them into one product with its variants.

Example:
    >>> import_products("products_export.csv", "shopify").products[0].sizes  # doctest: +SKIP
    ('S', 'M', 'L')
"""

from __future__ import annotations

import csv
import html
import logging
import re
from collections.abc import Iterator
from pathlib import Path

from catalog.errors import ProductFileError

__all__ = ["SHOPIFY_COLUMNS", "shopify_rows"]

logger = logging.getLogger(__name__)

SHOPIFY_COLUMNS = {
    "id": "Handle",
    "title": "Title",
    "description": "Body (HTML)",
    "brand": "Vendor",
    "category": "Product Category",
    "sku": "Variant SKU",
    "price": "Variant Price",
    "stock": "Variant Inventory Qty",
    "image_url": "Image Src",
}
"""Catalog field -> Shopify column; ``--map`` overrides entries (e.g. ``category=Type``)."""

REQUIRED_COLUMNS = ("Handle", "Title")
COLOUR_OPTIONS = {"color", "colour"}
SIZE_OPTIONS = {"size"}
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def shopify_rows(
    path: Path, reader: csv.DictReader[str], mapping: dict[str, str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yields ``(line, row)`` with catalog field names for each data row of the export.

    Raises:
        ProductFileError: The header lacks ``Handle`` or ``Title``: it is not a Shopify export.
    """
    header = reader.fieldnames or []
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ProductFileError(
            f"{path}: not a Shopify product export (no column {', '.join(missing)}): "
            "export it from Shopify admin > Products > Export, or use --format csv with --map"
        )
    columns = {**SHOPIFY_COLUMNS, **mapping}
    options: dict[str, dict[int, str]] = {}
    for row in reader:
        yield reader.line_num, _canonical(row, columns, options)


def _canonical(
    row: dict[str, str], columns: dict[str, str], options: dict[str, dict[int, str]]
) -> dict[str, str]:
    """Renames one Shopify row; option names seen on a product's first row apply to the rest."""
    out = {
        target: value.strip()
        for target, column in columns.items()
        if (value := row.get(column) or "").strip()
    }
    if "category" not in out and (row.get("Type") or "").strip():
        out["category"] = row["Type"].strip()
    if "description" in out:
        out["description"] = _plain_text(out["description"])
    handle = out.get("id", "")
    names = options.setdefault(handle, {})
    for number in (1, 2, 3):
        name = (row.get(f"Option{number} Name") or "").strip().lower()
        if name:
            names[number] = name
        value = (row.get(f"Option{number} Value") or "").strip()
        if not value or value == "Default Title":
            continue
        option = names.get(number, "")
        if option in COLOUR_OPTIONS:
            out["colour"] = value
        elif option in SIZE_OPTIONS:
            out["size"] = value
    return out


def _plain_text(body: str) -> str:
    """Turns a Shopify HTML body into plain text for embedding and display."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", body))).strip()
