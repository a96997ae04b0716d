"""A labelled shopper query set, generated deterministically from the demo catalog.

Queries are built from the demo shop's category archetypes (nouns, uses,
features: aisle/demo/vocabulary.py) and worded as shoppers write: lower case,
vague openers ("looking for", "need"), constraints (price, colour, brand,
size), and a typo in about a third of them. Each query is labelled against every
product of the export by rule:

- 0: other kind of product, or a hard constraint (price, colour, brand, size in
  stock) not met;
- 1: a neighbouring category (same parent, e.g. another jacket);
- 2: the product kind asked for;
- 3: the kind asked for with every wanted feature / use in its text.

A vague query ("something waterproof for hiking") names no kind: every kind
made for that use with that feature (by the archetypes) is graded 2, or 3 with
both words in its text.

    .venv/bin/python bench/query_set.py --products var/demo/products.jsonl --out var/bench
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aisle.demo.vocabulary import ARCHETYPES, Archetype

OPENERS = ("", "", "looking for ", "need ", "i want ", "any good ", "show me ", "something like ")
TEMPLATES = ("feature_use", "vague_use", "price", "colour", "brand", "size")


@dataclass
class Query:
    """One labelled query: its text, the category asked for and the constraints."""

    query_id: str
    text: str
    category: str
    wanted_words: tuple[str, ...] = ()
    max_price: float | None = None
    colour: str | None = None
    brand: str | None = None
    size: str | None = None
    categories: frozenset[str] = frozenset()
    labels: dict[str, int] = field(default_factory=dict)
    typo: bool = False
    template: str = ""


def typo(word: str, rng: random.Random) -> str:
    """Returns ``word`` with one deletion, swap or doubled letter (words of 5+ letters)."""
    if len(word) < 5 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("delete", "swap", "double"))
    if kind == "delete":
        return word[:i] + word[i + 1 :]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + word[i] + word[i:]


def with_typo(text: str, rng: random.Random) -> str:
    """Puts a typo into one longer word of ``text``."""
    words = text.split()
    candidates = [i for i, word in enumerate(words) if len(word) >= 5 and word.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    words[i] = typo(words[i], rng)
    return " ".join(words)


def make_queries(products: list[dict[str, Any]], seed: int = 7) -> list[Query]:
    """Builds five or six queries per archetype and labels them against ``products``."""
    rng = random.Random(seed)
    by_category: dict[str, list[dict[str, Any]]] = {}
    for product in products:
        by_category.setdefault(product["category"], []).append(product)
    queries = []
    for archetype in ARCHETYPES:
        members = by_category.get(archetype.category, [])
        if not members:
            continue
        for template in TEMPLATES:
            query = _query(archetype, template, members, rng, f"q{len(queries) + 1:03d}")
            if query is None:
                continue
            query.template = template
            if rng.random() < 0.35:
                typed = with_typo(query.text, rng)
                query.typo = typed != query.text
                query.text = typed
            query.labels = {p["id"]: grade(query, p) for p in products if grade(query, p) > 0}
            queries.append(query)
    return queries


def _query(
    archetype: Archetype,
    template: str,
    members: list[dict[str, Any]],
    rng: random.Random,
    query_id: str,
) -> Query | None:
    noun = rng.choice(archetype.nouns).lower()
    use = rng.choice(archetype.uses)
    features = archetype.required + archetype.optional
    feature = rng.choice(features) if features else ""
    opener = rng.choice(OPENERS)
    example = rng.choice(members)
    if template == "feature_use":
        feature = "" if feature in noun else feature
        text = f"{opener}{feature} {noun} for {use}".replace("  ", " ")
        words = tuple(filter(None, (feature, use)))
        return Query(query_id, text.strip(), archetype.category, words)
    if template == "vague_use":
        if not feature:
            return None
        opener = opener.replace("something like ", "")
        text = f"{opener}something {feature} for {use}"
        fitting = frozenset(
            other.category
            for other in ARCHETYPES
            if use in other.uses and feature in other.required + other.optional
        )
        return Query(query_id, text.strip(), archetype.category, (feature, use), categories=fitting)
    if template == "price":
        prices = sorted(p["price"] for p in members)
        limit = float(round(prices[len(prices) // 2], -1) or prices[-1])
        text = f"{opener}{noun} under ${limit:.0f}"
        return Query(query_id, text.strip(), archetype.category, max_price=limit)
    if template == "colour":
        colour = rng.choice(example["colours"])
        return Query(
            query_id, f"{opener}{colour} {noun}".strip(), archetype.category, colour=colour
        )
    if template == "brand":
        brand = example["brand"]
        text = f"{noun} by {brand}" if rng.random() < 0.5 else f"{brand.lower()} {noun}"
        return Query(query_id, text, archetype.category, brand=brand)
    sizes = example["sizes"]
    if not sizes or sizes == ["One size"] or not re.fullmatch(r"[A-Z]{1,3}|\d+(\.5)?", sizes[0]):
        return None
    size = rng.choice(sizes)
    return Query(query_id, f"{opener}{noun} size {size}".strip(), archetype.category, size=size)


def grade(query: Query, product: dict[str, Any]) -> int:
    """Labels ``product`` for ``query`` by the rules in the module docstring."""
    if not _meets_constraints(query, product):
        return 0
    category = product["category"]
    text = f"{product['title']} {product['description']}".lower()
    if query.categories:  # a vague query: every kind made for that use with that feature
        if category not in query.categories:
            return 0
        return 3 if all(word.lower() in text for word in query.wanted_words) else 2
    if category != query.category:
        return 1 if _parent(category) == _parent(query.category) else 0
    return 3 if all(word.lower() in text for word in query.wanted_words) else 2


def _meets_constraints(query: Query, product: dict[str, Any]) -> bool:
    if query.max_price is not None and product["price"] > query.max_price:
        return False
    if query.colour and query.colour not in product["colours"]:
        return False
    if query.brand and product["brand"] != query.brand:
        return False
    if query.size:
        return any(v["size"] == query.size and v["stock"] > 0 for v in product["variants"])
    return True


def _parent(category: str) -> str:
    return " > ".join(category.split(" > ")[:-1]) or category


def read_products(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write(queries: list[Query], out: Path) -> None:
    """Writes ``queries.tsv`` (query_id, query: the CLI's batch input) and ``qrels.tsv``."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "queries.tsv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["query_id", "query"])
        writer.writerows((q.query_id, q.text) for q in queries)
    with (out / "qrels.tsv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["query_id", "product_id", "grade"])
        writer.writerows(_qrel_rows(queries))


def _qrel_rows(queries: list[Query]) -> Iterator[tuple[str, str, int]]:
    for query in queries:
        for product_id, label in sorted(query.labels.items()):
            yield query.query_id, product_id, label


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=Path, default=Path("var/demo/products.jsonl"))
    parser.add_argument("--out", type=Path, default=Path("var/bench"))
    args = parser.parse_args()
    queries = make_queries(read_products(args.products))
    write(queries, args.out)
    print(f"wrote {len(queries)} queries to {args.out}/queries.tsv and labels to qrels.tsv")


if __name__ == "__main__":
    main()
