"""Catalog products and the readers that load them from a shop's export.

A product export is JSON Lines: one JSON object per line. Only ``id`` and
``title`` are required; every other field may be missing or null. A bad row
(invalid JSON, a missing required key, a value of the wrong type) is logged as a
warning naming the file and line and skipped, so one broken record does not
stop a nightly rebuild. Duplicate ids are always an error, because the index
could not tell the two products apart.

Example:
    >>> products = read_products_jsonl("var/demo/products.jsonl")  # doctest: +SKIP
    >>> products[0].category_path  # doctest: +SKIP
    ('Outdoor', 'Jackets', 'Rain jackets')
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from catalog.errors import ProductFileError

__all__ = [
    "PRODUCT_FORMATS",
    "REQUIRED_KEYS",
    "CatalogProduct",
    "Variant",
    "read_products",
    "read_products_jsonl",
]

logger = logging.getLogger(__name__)

REQUIRED_KEYS: tuple[str, ...] = ("id", "title")

_MODEL_CONFIG = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)


class Variant(BaseModel):
    """One purchasable variant (colour and size) of a product."""

    model_config = _MODEL_CONFIG

    sku: str
    colour: str | None = None
    size: str | None = None
    stock: int | None = None


class CatalogProduct(BaseModel):
    """A product as the catalog sees it; immutable so it can be shared freely.

    Numeric ids and sizes in the export are read as strings, so ``42`` and
    ``"42"`` name the same product.
    """

    model_config = _MODEL_CONFIG

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    description: str | None = None
    brand: str | None = None
    category: str | None = None
    price: float | None = None
    currency: str | None = None
    rating: float | None = None
    rating_count: int | None = None
    image_url: str | None = None
    colours: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    in_stock: bool | None = None
    variants: tuple[Variant, ...] = ()

    @field_validator("id", "title", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        """Strips surrounding blanks so ``" "`` counts as a missing id or title."""
        return value.strip() if isinstance(value, str) else value

    @field_validator("colours", "sizes", "variants", mode="before")
    @classmethod
    def _null_as_empty(cls, value: Any) -> Any:
        """Reads a null list as an empty one; exports often write null for 'none'."""
        return () if value is None else value

    @property
    def category_path(self) -> tuple[str, ...]:
        """Returns the category split on ``>``, e.g. ``("Outdoor", "Jackets")``."""
        if not self.category:
            return ()
        return tuple(part.strip() for part in self.category.split(">") if part.strip())


def read_products_jsonl(path: str | Path, *, strict: bool = False) -> list[CatalogProduct]:
    """Reads a JSON Lines product export.

    Args:
        path: The ``.jsonl`` file, one product object per line; blank lines are ignored.
        strict: Raise on the first bad row instead of logging a warning and skipping it.

    Returns:
        The valid products, in file order.

    Raises:
        ProductFileError: The file cannot be read, two rows share an id, or
            ``strict`` is set and a row is bad.
    """
    path = Path(path)
    products: list[CatalogProduct] = []
    first_line_of: dict[str, int] = {}
    for line_no, text in _numbered_lines(path):
        try:
            product = _parse_row(text)
        except _BadRow as exc:
            message = f"{path}:{line_no}: {exc}"
            if strict:
                raise ProductFileError(f"{message}: fix or remove the row") from None
            logger.warning("%s; row skipped", message)
            continue
        if product.id in first_line_of:
            raise ProductFileError(
                f"{path}:{line_no}: duplicate product id {product.id!r} (first on line "
                f"{first_line_of[product.id]}): give each product a unique id"
            )
        first_line_of[product.id] = line_no
        products.append(product)
    logger.info("read %d products from %s", len(products), path)
    return products


PRODUCT_FORMATS: dict[str, Callable[[Path], list[CatalogProduct]]] = {
    "jsonl": read_products_jsonl,
}


def read_products(path: str | Path, format_name: str = "jsonl") -> list[CatalogProduct]:
    """Reads a product export in one of :data:`PRODUCT_FORMATS`.

    This is the seam for further importers (CSV, a shop platform's API): add a
    reader to ``PRODUCT_FORMATS`` and the CLI's ``--format`` picks it up.

    Raises:
        ProductFileError: The format is unknown or the file cannot be read.
    """
    try:
        reader = PRODUCT_FORMATS[format_name]
    except KeyError:
        known = ", ".join(sorted(PRODUCT_FORMATS))
        raise ProductFileError(
            f"unknown product format {format_name!r}: use one of {known}"
        ) from None
    return reader(Path(path))


class _BadRow(ValueError):
    """One row of an export is unusable; the message says why."""


def _numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yields ``(line number, text)`` for each non-blank line, decoding line by line.

    Decoding per line lets a stray non-UTF-8 byte spoil one row, not the file.
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise ProductFileError(
            f"products file not found: {path}: pass an existing export with --products"
        ) from None
    except OSError as exc:
        raise ProductFileError(f"cannot read products file {path}: {exc.strerror}") from None
    with handle:
        for line_no, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                logger.warning("%s:%d: not UTF-8 (%s); row skipped", path, line_no, exc.reason)
                continue
            if text.strip():
                yield line_no, text


def _parse_row(text: str) -> CatalogProduct:
    """Parses and validates one JSON line.

    Raises:
        _BadRow: The line is not a JSON object or not a valid product.
    """
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _BadRow(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict):
        raise _BadRow(f"expected a JSON object, got {type(record).__name__}")
    missing = [key for key in REQUIRED_KEYS if key not in record]
    if missing:
        raise _BadRow("missing required key " + ", ".join(repr(key) for key in missing))
    try:
        return CatalogProduct.model_validate(record)
    except ValidationError as exc:
        raise _BadRow(f"invalid product ({_describe(exc)})") from None


def _describe(error: ValidationError) -> str:
    """Condenses a pydantic error into ``field: problem; field: problem``."""
    parts = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "row"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)
