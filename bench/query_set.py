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


# --- paraphrased queries --------------------------------------------------------------------

PARAPHRASES: tuple[tuple[str, tuple[str, ...], tuple[str, ...], float | None], ...] = (
    # (query, kinds asked for (category leaves), the catalog's words for what is described,
    #  price bound). The queries avoid the catalog's nouns and attribute words on purpose.
    (
        "something to keep my feet dry on a rainy walk",
        ("Rain boots", "Hiking boots", "Winter boots", "Hiking shoes"),
        ("waterproof",),
        None,
    ),
    (
        "present for a runner",
        ("Road running shoes", "Trail running shoes", "Leggings & tights", "Shorts", "Socks"),
        (),
        None,
    ),
    (
        "coat that keeps me toasty when it snows in town",
        ("Winter parkas", "Insulated jackets"),
        ("insulated",),
        None,
    ),
    ("top layer for a drizzly bike ride to work", ("Rain jackets",), (), None),
    ("what do i wear under my clothes on the slopes so i stay warm", ("Base layers",), (), None),
    ("cosy thing to put on my feet around the house", ("Slippers",), (), None),
    ("footwear for splashing through streams in summer", ("Sandals",), ("quick-dry",), None),
    ("somewhere to sleep on a mountain trip for two nights", ("Tents", "Sleeping bags"), (), None),
    ("bag to carry my laptop and lunch to the office", ("Daypacks",), (), None),
    ("big pack for a week on the appalachian trail", ("Backpacking packs",), (), None),
    (
        "stay warm at night when camping in the cold",
        ("Sleeping bags", "Sleeping pads"),
        ("insulated",),
        None,
    ),
    ("keep me off the cold ground in the tent", ("Sleeping pads",), (), None),
    ("make hot water in the wilderness", ("Stoves",), (), None),
    ("keeps my drinks cold all day on the trail", ("Water bottles",), ("insulated",), None),
    ("see where i'm going on a night hike hands free", ("Headlamps",), (), None),
    ("sticks to take the strain off my knees going downhill", ("Trekking poles",), (), None),
    ("somewhere to sit by the campfire", ("Camp furniture",), (), None),
    ("something to cook a ribeye on the hob", ("Cookware",), (), None),
    (
        "heavy cast vessel for slow-cooked casseroles in the oven",
        ("Pots & Dutch ovens",),
        ("oven-safe",),
        None,
    ),
    ("blade for chopping onions", ("Knives",), (), None),
    ("gift for someone who can't start the day without their brew", ("Coffee & tea",), (), None),
    (
        "fluffy thing for the bed in the winter",
        ("Duvets & comforters", "Blankets & throws"),
        (),
        None,
    ),
    ("bedding for someone who gets too hot at night", ("Sheets",), ("breathable",), None),
    ("snuggle under it on the couch watching films", ("Blankets & throws",), ("soft",), None),
    ("dry off after a swim", ("Towels",), (), None),
    ("make my sofa look nicer", ("Cushions", "Blankets & throws"), (), None),
    ("cover for the hallway floor", ("Rugs",), (), None),
    ("a glow by my bed for a book before sleep", ("Lamps",), (), None),
    ("put the kids' toys away tidily", ("Baskets",), (), None),
    ("keep my fingers toasty on the slopes", ("Gloves",), ("insulated",), None),
    ("keep my ears warm on cold mornings", ("Hats & beanies",), (), None),
    ("shade my face at the beach", ("Hats & beanies",), ("UPF 50",), None),
    ("stop blisters on long walks", ("Socks",), ("cushioned",), None),
    ("trousers that dry fast on a trek", ("Hiking pants",), ("quick-dry",), None),
    ("something for my legs on a soggy walk with the dog", ("Rain pants",), (), None),
    ("something comfy to wear for yoga class", ("Leggings & tights",), ("stretchy",), None),
    ("smart trousers for the office", ("Jeans & chinos",), (), None),
    ("casual everyday shoes for walking around the city", ("Sneakers",), (), None),
    ("smart ankle footwear to go with a suit", ("Chelsea boots",), (), None),
    ("something for my feet for muddy forest jogs", ("Trail running shoes",), ("grippy",), None),
    (
        "what to wear on my feet for my first 26-mile race",
        ("Road running shoes",),
        ("cushioned",),
        None,
    ),
    ("sturdy ankle support for rocky mountain trails", ("Hiking boots",), ("supportive",), None),
    ("don't slip on icy pavements", ("Winter boots",), ("slip-resistant",), None),
    ("wellies for the garden", ("Rain boots",), (), None),
    ("top for sweaty workouts", ("T-shirts",), ("moisture-wicking",), None),
    ("warm pullover for chilly evenings", ("Sweaters & hoodies", "Fleece jackets"), (), None),
    ("sun protective top for a day casting on the river", ("Shirts",), ("UPF 50",), None),
    ("layer to wear under my shell when it's chilly", ("Fleece jackets", "Base layers"), (), None),
    (
        "flexible top layer for bouldering days that stops gusts",
        ("Softshell jackets",),
        ("windproof",),
        None,
    ),
    ("light puffy coat that squashes into a bag", ("Insulated jackets",), ("packable",), None),
    ("outerwear for a week on a board in the alps", ("Ski jackets",), (), None),
    ("cheap coat for the downpours", ("Rain jackets",), (), 100.0),
    ("inexpensive shelter for a music festival", ("Tents",), (), 200.0),
    ("affordable present for a keen cook", ("Cookware", "Knives", "Pots & Dutch ovens"), (), 60.0),
    ("shorts for hot days on the trail", ("Shorts",), ("lightweight",), None),
    (
        "something to keep my tea hot on the commute",
        ("Coffee & tea", "Water bottles"),
        ("insulated",),
        None,
    ),
    (
        "get ready for a first camping weekend in the car",
        ("Tents", "Sleeping bags", "Sleeping pads", "Camp furniture", "Stoves"),
        (),
        None,
    ),
    (
        "gift for a hiker who has everything",
        ("Trekking poles", "Headlamps", "Socks", "Water bottles"),
        (),
        None,
    ),
    ("use my phone without taking my gloves off", ("Gloves",), ("touchscreen-compatible",), None),
    (
        "stay visible when jogging after dark",
        ("Leggings & tights", "Road running shoes", "Headlamps"),
        ("reflective",),
        None,
    ),
    ("lamp for the patio that needs no cable", ("Lamps",), ("rechargeable",), None),
    ("soft floor covering for the bedroom", ("Rugs",), (), None),
    ("pillow covers I can throw in the wash", ("Cushions",), ("machine-washable",), None),
    ("towel that packs small for travel", ("Towels",), ("quick-dry",), None),
)
"""Queries worded as shoppers talk, without the catalog's own words (use-cases, synonyms,
gifts), written by hand and labelled by rule against the demo catalog's real attributes:

- 0: not a kind asked for nor a sibling of one, or above the price bound;
- 1: a sibling category of a kind asked for (same parent, e.g. another jacket);
- 2: a kind asked for;
- 3: a kind asked for whose title + description holds every catalog word listed for
  what the shopper described (e.g. "waterproof" for "keep my feet dry"); with no word
  listed, every product of the kind is a 3.

Category, price, title and description are the product's own fields in the export."""


def make_paraphrases(products: list[dict[str, Any]]) -> list[Query]:
    """Labels :data:`PARAPHRASES` against ``products`` (ids p001...; template "paraphrase")."""
    by_leaf = {archetype.category.split(" > ")[-1]: archetype.category for archetype in ARCHETYPES}
    queries = []
    for number, (text, kinds, words, max_price) in enumerate(PARAPHRASES, start=1):
        wanted = frozenset(by_leaf[kind] for kind in kinds)
        query = Query(
            f"p{number:03d}",
            text,
            min(wanted),
            words,
            max_price=max_price,
            categories=wanted,
            template="paraphrase",
        )
        query.labels = {p["id"]: grade_paraphrase(query, p) for p in products}
        query.labels = {pid: label for pid, label in query.labels.items() if label > 0}
        queries.append(query)
    return queries


def grade_paraphrase(query: Query, product: dict[str, Any]) -> int:
    """Labels ``product`` for a paraphrased query by the rules of :data:`PARAPHRASES`."""
    if not _meets_constraints(query, product):
        return 0
    category = product["category"]
    if category not in query.categories:
        parents = {_parent(kind) for kind in query.categories}
        return 1 if _parent(category) in parents else 0
    text = f"{product['title']} {product['description']}".lower()
    return 3 if all(word.lower() in text for word in query.wanted_words) else 2


def split(queries: list[Query]) -> tuple[list[Query], list[Query]]:
    """A fixed tuning / held-out split: every third query (by position) is tuning."""
    return [q for i, q in enumerate(queries) if i % 3 == 0], [
        q for i, q in enumerate(queries) if i % 3
    ]
