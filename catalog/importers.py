"""Readers that turn a shop's product export into :class:`CatalogProduct` objects.

Formats (``--format`` of ``python -m catalog build``):

- ``jsonl``: one product object per line (the demo export, :mod:`aisle.demo.export`);
- ``csv`` / ``tsv``: one row per product, or one row per variant when the rows carry
  ``sku``, ``colour`` or ``size`` (rows with the same id are grouped);
- ``shopify``: Shopify's product CSV export, whose rows are grouped by ``Handle``.

Column names are matched to product fields by name; ``--map field=column,...`` names
the column of each field when the export spells them differently. A bad row (broken
JSON, a bad price, text that is not UTF-8) is reported with its file and line and
skipped, so one broken record does not stop a nightly rebuild; a missing column or a
duplicate id stops the import, because every row would be wrong.

Example:
    >>> result = import_products("export.csv", "csv", parse_mapping("title=name"))  # doctest: +SKIP
    >>> len(result.products), [str(problem) for problem in result.problems]  # doctest: +SKIP
    (1204, ['export.csv:17: price 'abc' is not a number: write it like 12.50'])
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from catalog.errors import ProductFileError
from catalog.products import CatalogProduct, describe_validation_error
from catalog.shopify import shopify_rows

__all__ = [
    "PRODUCT_FORMATS",
    "ROW_FIELDS",
    "ImportResult",
    "RowProblem",
    "import_products",
    "parse_mapping",
    "read_products",
    "read_products_jsonl",
]

logger = logging.getLogger(__name__)

PRODUCT_FIELDS = (
    "id",
    "title",
    "description",
    "brand",
    "category",
    "price",
    "currency",
    "rating",
    "rating_count",
    "image_url",
    "colours",
    "sizes",
    "in_stock",
)
VARIANT_FIELDS = ("sku", "colour", "size", "stock")
ROW_FIELDS = PRODUCT_FIELDS + VARIANT_FIELDS
"""Fields a column can be mapped to with ``--map field=column``."""

REQUIRED_FIELDS = ("id", "title")
_LIST_SPLIT = re.compile(r"\s*[|;,]\s*")
_PRICE = re.compile(r"^[$€£¥]?\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*(?:[A-Z]{3})?$")
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}


@dataclass(frozen=True)
class RowProblem:
    """One skipped row: where it is and why it was skipped."""

    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


@dataclass
class ImportResult:
    """The products read from an export and the rows that had to be skipped."""

    products: list[CatalogProduct] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


class _BadRow(ValueError):
    """One row of an export is unusable; the message says why and how to fix it."""


def parse_mapping(text: str | None) -> dict[str, str]:
    """Parses ``--map id=product_id,title=product_name`` into ``{field: column}``.

    Raises:
        ProductFileError: An entry is not ``field=column`` or names an unknown field.
    """
    mapping: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in (text or "").split(","))):
        target, sep, column = (part.strip() for part in entry.partition("="))
        if not sep or not target or not column:
            raise ProductFileError(f"--map entry {entry!r} is not field=column: write e.g. id=sku")
        if target not in ROW_FIELDS:
            raise ProductFileError(
                f"--map names unknown field {target!r}: use one of {', '.join(ROW_FIELDS)}"
            )
        mapping[target] = column
    return mapping


def import_products(
    path: str | Path,
    format_name: str = "jsonl",
    mapping: Mapping[str, str] | None = None,
    *,
    strict: bool = False,
) -> ImportResult:
    """Reads an export in one of :data:`PRODUCT_FORMATS`, logging each skipped row.

    Args:
        path: The export file.
        format_name: ``jsonl``, ``csv``, ``tsv`` or ``shopify``.
        mapping: ``{field: column}`` for columns not named like the fields.
        strict: Raise on the first bad row instead of skipping it.

    Raises:
        ProductFileError: Unknown format, unreadable file, missing column, duplicate id,
            or (``strict``) a bad row.
    """
    try:
        reader = PRODUCT_FORMATS[format_name]
    except KeyError:
        known = ", ".join(sorted(PRODUCT_FORMATS))
        raise ProductFileError(
            f"unknown product format {format_name!r}: use one of {known}"
        ) from None
    path = Path(path)
    result = reader(path, dict(mapping or {}), strict)
    for problem in result.problems:
        logger.warning("%s; row skipped", problem)
    logger.info(
        "read %d products from %s (%d rows skipped)",
        len(result.products),
        path,
        len(result.problems),
    )
    return result


def read_products(
    path: str | Path, format_name: str = "jsonl", mapping: Mapping[str, str] | None = None
) -> list[CatalogProduct]:
    """Returns the valid products of an export; see :func:`import_products`."""
    return import_products(path, format_name, mapping).products


def read_products_jsonl(path: str | Path, *, strict: bool = False) -> list[CatalogProduct]:
    """Reads a JSON Lines export with fields named as in :class:`CatalogProduct`."""
    return import_products(path, "jsonl", strict=strict).products


# --- JSON Lines ---------------------------------------------------------------------------


def _import_jsonl(path: Path, mapping: dict[str, str], strict: bool) -> ImportResult:
    """Reads one product object per line; ``mapping`` renames keys before validation."""
    collector = _Collector(path, strict)
    for line_no, text in _numbered_lines(path, collector):
        try:
            product = _parse_json_row(text, mapping)
        except _BadRow as exc:
            collector.skip(line_no, str(exc))
            continue
        collector.add(product, line_no)
    return collector.result


def _parse_json_row(text: str, mapping: dict[str, str]) -> CatalogProduct:
    """Parses and validates one JSON line."""
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _BadRow(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(record, dict):
        raise _BadRow(f"expected a JSON object, got {type(record).__name__}")
    if mapping:
        record = {**record, **{f: record[c] for f, c in mapping.items() if c in record}}
    missing = [key for key in REQUIRED_FIELDS if key not in record]
    if missing:
        raise _BadRow("missing required key " + ", ".join(repr(key) for key in missing))
    return _validate(record)


def _numbered_lines(path: Path, collector: _Collector) -> Iterator[tuple[int, str]]:
    """Yields ``(line number, text)`` per non-blank line; a non-UTF-8 line is a bad row."""
    with _open_binary(path) as handle:
        for line_no, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                collector.skip(line_no, f"not UTF-8 ({exc.reason}): re-save the file as UTF-8")
                continue
            if text.strip():
                yield line_no, text


def _open_binary(path: Path) -> Any:
    """Opens ``path`` for reading bytes, naming the fix when it cannot be opened."""
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise ProductFileError(
            f"products file not found: {path}: pass an existing export with --products"
        ) from None
    except OSError as exc:
        raise ProductFileError(f"cannot read products file {path}: {exc.strerror}") from None


# --- CSV, TSV and Shopify ------------------------------------------------------------------


def _import_csv(path: Path, mapping: dict[str, str], strict: bool) -> ImportResult:
    return _import_table(path, mapping, strict, delimiter=",")


def _import_tsv(path: Path, mapping: dict[str, str], strict: bool) -> ImportResult:
    return _import_table(path, mapping, strict, delimiter="\t")


def _import_shopify(path: Path, mapping: dict[str, str], strict: bool) -> ImportResult:
    """Reads Shopify's product CSV: one row per variant (or extra image), grouped by Handle."""
    collector = _Collector(path, strict)
    with _open_text(path) as handle:
        reader = csv.DictReader(handle)
        rows = shopify_rows(path, reader, mapping)
        _group_rows(rows, collector)
    return collector.result


def _import_table(
    path: Path, mapping: dict[str, str], strict: bool, delimiter: str
) -> ImportResult:
    """Reads a delimited file whose header names the columns."""
    collector = _Collector(path, strict)
    with _open_text(path) as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        columns = _resolve_columns(path, reader.fieldnames or [], mapping)
        rows = ((reader.line_num, _pick(row, columns)) for row in reader)
        _group_rows(rows, collector)
    return collector.result


def _open_text(path: Path) -> Any:
    """Opens a text export; undecodable bytes become surrogates so their rows can be reported."""
    _open_binary(path).close()
    return path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")


def _resolve_columns(path: Path, header: Sequence[str], mapping: dict[str, str]) -> dict[str, str]:
    """Returns ``{field: column}``: mapped columns plus columns named like a field.

    Raises:
        ProductFileError: A mapped column or a required field is missing from the header.
    """
    by_lower = {name.strip().lower(): name for name in header}
    columns: dict[str, str] = {}
    for target in ROW_FIELDS:
        wanted = mapping.get(target, target)
        if wanted.strip().lower() in by_lower:
            columns[target] = by_lower[wanted.strip().lower()]
        elif target in mapping:
            raise ProductFileError(
                f"{path}: column {wanted!r} (mapped to {target}) is not in the header "
                f"{header!r}: fix --map"
            )
    missing = [target for target in REQUIRED_FIELDS if target not in columns]
    if missing:
        hint = ",".join(f"{target}=COLUMN" for target in missing)
        raise ProductFileError(
            f"{path}: no column for required field(s) {', '.join(missing)} in the header "
            f"{header!r}: name the columns with --map {hint}"
        )
    return columns


def _pick(row: dict[str | Any, Any], columns: dict[str, str]) -> dict[str, str]:
    """Returns the row's cells by field name, blank cells left out."""
    picked = {}
    for target, column in columns.items():
        value = row.get(column)
        if isinstance(value, str) and value.strip():
            picked[target] = value.strip()
    return picked


def _group_rows(rows: Iterator[tuple[int, dict[str, str]]], collector: _Collector) -> None:
    """Turns canonical rows into products; rows with variant cells and the same id group."""
    groups: dict[str, _Group] = {}
    for line_no, row in rows:
        try:
            _check_row(row)
            _place_row(groups, row, line_no)
        except _BadRow as exc:
            collector.skip(line_no, str(exc))
        except _DuplicateId as exc:
            collector.duplicate(str(exc), line_no, exc.first_line)
    for group in groups.values():
        try:
            collector.add(group.product(), group.first_line)
        except _BadRow as exc:
            collector.skip(group.first_line, str(exc))


class _DuplicateId(Exception):
    """A product row repeats the id of an earlier product row."""

    def __init__(self, product_id: str, first_line: int) -> None:
        super().__init__(product_id)
        self.first_line = first_line


def _check_row(row: dict[str, str]) -> None:
    """Rejects a row with undecodable text or without an id."""
    for target, value in row.items():
        if any("\udc80" <= char <= "\udcff" for char in value):
            raise _BadRow(f"{target} is not UTF-8 text: re-save the file as UTF-8")
    if "id" not in row:
        raise _BadRow("missing id: every row needs one")


def _place_row(groups: dict[str, _Group], row: dict[str, str], line_no: int) -> None:
    """Starts a product for a new id or adds the row to its product as a variant."""
    group = groups.get(row["id"])
    if group is None:
        if "title" not in row:
            raise _BadRow("missing title: the first row of a product needs one")
        groups[row["id"]] = _Group(line_no, row)
        return
    if "title" in row and not _has_variant(row):
        raise _DuplicateId(row["id"], group.first_line)
    group.add(row)


def _has_variant(row: Mapping[str, str]) -> bool:
    return any(key in row for key in ("sku", "colour", "size"))


class _Group:
    """The rows of one product: the first gives its fields, each row may add a variant."""

    def __init__(self, first_line: int, row: dict[str, str]) -> None:
        self.first_line = first_line
        self.record: dict[str, Any] = {k: v for k, v in row.items() if k in PRODUCT_FIELDS}
        self.prices: list[float] = []
        self.variants: list[dict[str, Any]] = []
        self.stock_total: int | None = None
        self.add(row)

    def add(self, row: dict[str, str]) -> None:
        """Reads the row's price, stock and variant; raises ``_BadRow`` on a bad cell."""
        price = parse_price(row["price"]) if "price" in row else None
        stock = _parse_int(row["stock"], "stock") if "stock" in row else None
        if price is not None:
            self.prices.append(price)
        if stock is not None:
            self.stock_total = (self.stock_total or 0) + stock
        if "image_url" in row and "image_url" not in self.record:
            self.record["image_url"] = row["image_url"]
        if _has_variant(row):
            sku = row.get("sku") or f"{row['id']}-{len(self.variants) + 1}"
            variant = {"sku": sku, "colour": row.get("colour"), "size": row.get("size")}
            self.variants.append({**variant, "stock": stock})

    def product(self) -> CatalogProduct:
        """Validates the grouped record."""
        record = dict(self.record)
        record["price"] = min(self.prices) if self.prices else None
        for key in ("colours", "sizes"):
            if key in record:
                record[key] = [part for part in _LIST_SPLIT.split(record[key]) if part]
        if "in_stock" in record:
            record["in_stock"] = _parse_bool(record["in_stock"])
        elif self.stock_total is not None:
            record["in_stock"] = self.stock_total > 0
        if self.variants:
            record["variants"] = self.variants
            record.setdefault("colours", _distinct(v["colour"] for v in self.variants))
            record.setdefault("sizes", _distinct(v["size"] for v in self.variants))
        return _validate(record)


def _distinct(values: Iterator[str | None]) -> list[str]:
    """Returns the non-empty values, each once, in first-seen order."""
    return list(dict.fromkeys(value for value in values if value))


def parse_price(text: str) -> float:
    """Parses ``12.50``, ``$1,299.00`` or ``12.50 USD``; raises ``_BadRow`` naming the fix."""
    match = _PRICE.match(text.strip())
    if not match and _PRICE.match(text.strip().lstrip("-")):
        raise _BadRow(f"price {text!r} is negative: a price must be 0 or more")
    if not match:
        raise _BadRow(f"price {text!r} is not a number: write it like 12.50")
    return float(match.group(1).replace(",", "") + (match.group(2) or ""))


def _parse_int(text: str, name: str) -> int:
    try:
        return int(float(text))
    except ValueError:
        raise _BadRow(f"{name} {text!r} is not a whole number: write it like 12") from None


def _parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _BadRow(f"in_stock {text!r} is not yes/no: write true or false")


def _validate(record: dict[str, Any]) -> CatalogProduct:
    try:
        return CatalogProduct.model_validate(record)
    except ValidationError as exc:
        raise _BadRow(f"invalid product ({describe_validation_error(exc)})") from None


class _Collector:
    """Accumulates products and skipped rows; raises on duplicates and in strict mode."""

    def __init__(self, path: Path, strict: bool) -> None:
        self.path = path
        self.strict = strict
        self.result = ImportResult()
        self.first_line_of: dict[str, int] = {}

    def skip(self, line_no: int, message: str) -> None:
        if self.strict:
            raise ProductFileError(f"{self.path}:{line_no}: {message}: fix or remove the row")
        self.result.problems.append(RowProblem(str(self.path), line_no, message))

    def duplicate(self, product_id: str, line_no: int, first_line: int) -> None:
        raise ProductFileError(
            f"{self.path}:{line_no}: duplicate product id {product_id!r} (first on line "
            f"{first_line}): give each product a unique id"
        )

    def add(self, product: CatalogProduct, line_no: int) -> None:
        if product.id in self.first_line_of:
            self.duplicate(product.id, line_no, self.first_line_of[product.id])
        self.first_line_of[product.id] = line_no
        self.result.products.append(product)


_Reader = Callable[[Path, dict[str, str], bool], ImportResult]

PRODUCT_FORMATS: dict[str, _Reader] = {
    "jsonl": _import_jsonl,
    "csv": _import_csv,
    "tsv": _import_tsv,
    "shopify": _import_shopify,
}
"""Importers by ``--format`` name."""
