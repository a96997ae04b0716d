"""Catalog products as the index sees them, whatever export they came from.

Only ``id`` and ``title`` are required; every other field may be missing or
null. The readers that build these from a shop's export live in
:mod:`catalog.importers`.

Example:
    >>> product = CatalogProduct(id="P1", title="Rain jacket", category="Outdoor > Jackets")
    >>> product.category_path
    ('Outdoor', 'Jackets')
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = ["CatalogProduct", "Variant", "describe_validation_error"]

logger = logging.getLogger(__name__)

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
    price: float | None = Field(default=None, ge=0, allow_inf_nan=False)
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


def describe_validation_error(error: ValidationError) -> str:
    """Condenses a pydantic error into ``field: problem; field: problem``."""
    parts = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "row"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)
