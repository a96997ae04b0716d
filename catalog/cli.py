"""Command line for building and querying the catalog index.

The commands and their flags are a stable contract (scripts and the evaluation
harness call them)::

    python -m catalog build --products FILE --out DIR [--format csv|tsv|jsonl|shopify]
                            [--map field=column,...] [--batch-size 64]
    python -m catalog search --index DIR --query "..." [-k 10] [--json] [--mode hybrid]
    python -m catalog search --index DIR --queries FILE [-k 10] [--json] [--mode hybrid]

Results go to stdout; progress bars, warnings and errors go to stderr. A
problem the user can fix exits with code 2 and one line naming the fix.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from catalog.errors import CatalogError
from catalog.importers import PRODUCT_FORMATS, import_products, parse_mapping
from catalog.index import CatalogIndex, SearchHit, SearchOptions

__all__ = ["build_parser", "main"]

logger = logging.getLogger(__name__)

USER_ERROR = 2
QUERY_CHUNK = 256
"""Queries encoded per batch in ``--queries`` mode, so output streams as it goes."""


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the CLI and returns its exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        args.run(args)
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USER_ERROR
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away; stop quietly like other Unix tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Returns the parser for ``python -m catalog``."""
    parser = argparse.ArgumentParser(
        prog="python -m catalog", description="Build and search Aisle's semantic product index."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="embed a product export and save the index")
    build.add_argument("--products", required=True, type=Path, metavar="FILE")
    build.add_argument("--out", required=True, type=Path, metavar="DIR")
    build.add_argument("--format", default="jsonl", choices=sorted(PRODUCT_FORMATS))
    build.add_argument(
        "--map",
        default="",
        metavar="FIELD=COLUMN,...",
        help="export columns of the product fields, e.g. id=product_id,title=product_name",
    )
    build.add_argument("--batch-size", default=64, type=_positive_int, metavar="N")
    build.set_defaults(run=_run_build)

    search = commands.add_parser("search", help="search a saved index")
    search.add_argument("--index", required=True, type=Path, metavar="DIR")
    source = search.add_mutually_exclusive_group(required=True)
    source.add_argument("--query", help="one query")
    source.add_argument(
        "--queries", type=Path, metavar="FILE", help="TSV with header columns query_id and query"
    )
    search.add_argument("-k", "--k", default=10, type=_positive_int, help="results per query")
    search.add_argument("--json", action="store_true", help="print JSON instead of a table")
    search.add_argument(
        "--mode",
        default="hybrid",
        choices=["hybrid", "dense", "lexical"],
        help="rankers to use (default: dense + BM25 fused)",
    )
    search.set_defaults(run=_run_search)
    return parser


def _positive_int(text: str) -> int:
    """Parses an argparse value that must be a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _run_build(args: argparse.Namespace) -> None:
    """Reads the export, embeds it and saves the index, then prints count and time."""
    started = time.perf_counter()
    result = import_products(args.products, args.format, parse_mapping(args.map))
    products = result.products
    if not products:
        raise CatalogError(
            f"no valid products in {args.products}: fix the rows reported above and rerun"
        )
    index = CatalogIndex.build(products, batch_size=args.batch_size, show_progress=True)
    try:
        index.save(args.out)
    except OSError as exc:
        raise CatalogError(
            f"cannot write the index to {args.out} ({exc.strerror}): pass a writable --out folder"
        ) from None
    elapsed = time.perf_counter() - started
    skipped = f" ({len(result.problems)} bad rows skipped, listed above)" if result.problems else ""
    print(f"indexed {len(index)} products into {args.out} in {elapsed:.1f}s{skipped}")


def _run_search(args: argparse.Namespace) -> None:
    """Searches one query or a TSV of queries and prints the results."""
    index = CatalogIndex.load(args.index)
    if args.query is not None:
        hits = index.search(args.query, k=args.k, mode=args.mode)
        print(_single_json(args.query, hits) if args.json else _table(hits))
        return
    queries = _read_queries(args.queries)
    if not args.json:
        print("query_id\trank\tproduct_id\tscore")
    for chunk in _chunks(queries, QUERY_CHUNK):
        options = SearchOptions(mode=args.mode)
        results = index.search_many([text for _, text in chunk], k=args.k, options=options)
        for (query_id, _), hits in zip(chunk, results, strict=True):
            print(_batch_json(query_id, hits) if args.json else _batch_rows(query_id, hits))
        sys.stdout.flush()


def _single_json(query: str, hits: list[SearchHit]) -> str:
    """Formats ``{"query", "product_ids", "scores"}`` for one ``--query``."""
    return json.dumps(
        {
            "query": query,
            "product_ids": [hit.product_id for hit in hits],
            "scores": [round(hit.score, 6) for hit in hits],
        },
        ensure_ascii=False,
    )


def _batch_json(query_id: str, hits: list[SearchHit]) -> str:
    """Formats one ``{"query_id", "product_ids"}`` line of ``--queries --json``."""
    return json.dumps(
        {"query_id": query_id, "product_ids": [hit.product_id for hit in hits]},
        ensure_ascii=False,
    )


def _batch_rows(query_id: str, hits: list[SearchHit]) -> str:
    """Formats one query's hits as TSV rows ``query_id rank product_id score``."""
    return "\n".join(f"{query_id}\t{hit.rank}\t{hit.product_id}\t{hit.score:.4f}" for hit in hits)


def _table(hits: list[SearchHit]) -> str:
    """Formats hits as a ranked, aligned table."""
    if not hits:
        return "no results"
    lines = [f"{'rank':>4}  {'score':>6}  product_id"]
    lines += [f"{hit.rank:>4}  {hit.score:>6.3f}  {hit.product_id}" for hit in hits]
    return "\n".join(lines)


def _read_queries(path: Path) -> list[tuple[str, str]]:
    """Reads ``(query_id, query)`` pairs from a TSV whose header names both columns."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return _parse_queries(path, handle)
    except FileNotFoundError:
        raise CatalogError(
            f"queries file not found: {path}: pass a TSV with columns query_id and query"
        ) from None
    except UnicodeDecodeError:
        raise CatalogError(f"queries file {path} is not UTF-8: save it as UTF-8") from None


def _parse_queries(path: Path, lines: Iterator[str]) -> list[tuple[str, str]]:
    """Parses the TSV body; quotes are literal text, since queries may contain them."""
    reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader, [])
    if "query_id" not in header or "query" not in header:
        raise CatalogError(
            f"{path}: header must name the columns query_id and query (tab-separated), "
            f"got {header!r}"
        )
    id_col, query_col = header.index("query_id"), header.index("query")
    queries = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(id_col, query_col):
            raise CatalogError(
                f"{path}:{reader.line_num}: expected {len(header)} tab-separated columns, "
                f"got {len(row)}: fix the row"
            )
        queries.append((row[id_col], row[query_col]))
    return queries


def _chunks(items: list[tuple[str, str]], size: int) -> Iterator[list[tuple[str, str]]]:
    """Yields consecutive slices of ``items`` of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
