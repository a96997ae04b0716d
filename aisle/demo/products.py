"""Products and their variants for the demo catalog.

Each product is drawn from one ``Archetype`` of the vocabulary, so its title,
description, price band, sizes and colours agree with each other: a rain jacket
is always waterproof and said to be, a parka is very warm and said to be. That
agreement is what makes the catalog's semantic search worth evaluating.
"""

from __future__ import annotations

import itertools
import logging
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from tqdm import tqdm

from aisle.demo import vocabulary as vocab
from aisle.demo.drafts import ProductDraft, VariantDraft
from aisle.demo.timeline import Timeline
from aisle.demo.vocabulary import Archetype

logger = logging.getLogger(__name__)

WARMTH_LEVELS = ("none", "light", "medium", "warm", "very warm")
COLOUR_COUNT_WEIGHTS = {1: 30, 2: 35, 3: 25, 4: 10}
SOLD_OUT_SHARE = 0.03
"""Share of products with no stock at all, so "is it in stock?" can be no."""
DETAIL_SHARE = 0.85
TITLE_ADJECTIVE_SHARE = 0.7


@dataclass
class Catalog:
    """The generated products, kept in memory for the order generator."""

    products: list[ProductDraft]
    _popularity: list[float] = field(default_factory=list, repr=False)
    _by_id: dict[str, ProductDraft] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {product.id: product for product in self.products}

    @property
    def variant_count(self) -> int:
        return sum(len(product.variants) for product in self.products)

    def product(self, product_id: str) -> ProductDraft:
        """Returns the product with ``product_id``."""
        return self._by_id[product_id]

    def in_category(self, category: str) -> list[ProductDraft]:
        """Products whose category is ``category`` or lies below it."""
        return [
            product
            for product in self.products
            if product.category == category or product.category.startswith(category + " > ")
        ]

    def pick_variant(self, rng: random.Random, product: ProductDraft | None = None) -> VariantDraft:
        """A variant of ``product``, or of a product picked by popularity.

        Popular products (many ratings) appear in more orders, as in a real shop.
        """
        if product is None:
            if not self._popularity:
                weights = (1.0 + p.rating_count**0.5 for p in self.products)
                self._popularity = list(itertools.accumulate(weights))
            product = rng.choices(self.products, cum_weights=self._popularity)[0]
        return rng.choice(product.variants)


def build_catalog(rng: random.Random, timeline: Timeline, n_products: int) -> Catalog:
    """Generates ``n_products`` products, ids ``P00001`` on, with their variants."""
    plan = _allocate(rng, n_products)
    titles: set[str] = set()
    products = [
        _make_product(rng, timeline, f"P{index + 1:05d}", archetype, titles)
        for index, archetype in enumerate(tqdm(plan, desc="products", disable=None, leave=False))
    ]
    catalog = Catalog(products)
    logger.info("Generated %d products with %d variants", len(products), catalog.variant_count)
    return catalog


def size_sort_key(size: str) -> tuple[int, str]:
    """Sorts sizes small to large ("XS" before "XXL", "9.5" before "10"), unknown ones last."""
    return (_SIZE_RANK.get(size, len(_SIZE_RANK)), size)


_SIZE_RANK = {size: vocab.SIZE_ORDER.index(size) for size in vocab.SIZE_ORDER}


def sku_for(product_id: str, colour: str, size: str) -> str:
    """The variant's SKU, e.g. ``P00012-NAVY-XL`` or ``P00040-BLACK-10_5``."""
    return "-".join(_sku_part(part) for part in (product_id, colour, size))


def _sku_part(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


def _allocate(rng: random.Random, n_products: int) -> list[Archetype]:
    """Which archetype each product is, by weight, shuffled so ids mix categories."""
    total = sum(archetype.weight for archetype in vocab.ARCHETYPES)
    exact = [n_products * archetype.weight / total for archetype in vocab.ARCHETYPES]
    counts = [int(share) for share in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: n_products - sum(counts)]:
        counts[i] += 1
    plan = [a for a, count in zip(vocab.ARCHETYPES, counts, strict=True) for _ in range(count)]
    rng.shuffle(plan)
    return plan


def _make_product(
    rng: random.Random, timeline: Timeline, product_id: str, archetype: Archetype, titles: set[str]
) -> ProductDraft:
    warmth = rng.choice(archetype.warmth) if archetype.warmth else None
    features = _pick_features(rng, archetype, warmth)
    noun = rng.choice(archetype.nouns)
    spec = rng.choice(archetype.specs) if archetype.specs else ""
    brand = rng.choice(vocab.BRANDS[archetype.department])
    return ProductDraft(
        id=product_id,
        title=_unique_title(rng, brand, features, spec, noun, titles),
        description=_describe(rng, archetype, noun, spec, features, warmth),
        brand=brand,
        category=archetype.category,
        price=_price(rng, *archetype.price),
        currency="USD",
        rating=round(rng.triangular(2.5, 5.0, 4.5), 1),
        rating_count=min(5000, int(rng.lognormvariate(3.5, 1.3)) + 1),
        image_url=f"/demo/images/{product_id}.svg",
        created_at=timeline.ago(rng.uniform(190, 900)),
        variants=_make_variants(rng, product_id, archetype),
    )


def _pick_features(rng: random.Random, archetype: Archetype, warmth: str | None) -> list[str]:
    """Required features plus up to two optional ones that don't contradict them."""
    features = list(archetype.required)
    optional = [f for f in archetype.optional if f not in features]
    if warmth in ("none", "light"):
        optional = [f for f in optional if f != "insulated"]
    for feature in rng.sample(optional, k=min(len(optional), rng.randint(1, 2))):
        if len(features) >= 3 or _contradicts(feature, features):
            continue
        features.append(feature)
    return features


def _contradicts(feature: str, features: Sequence[str]) -> bool:
    exclusive = {"waterproof", "water-resistant"}
    return feature in exclusive and any(f in exclusive for f in features)


def _unique_title(
    rng: random.Random, brand: str, features: Sequence[str], spec: str, noun: str, titles: set[str]
) -> str:
    """``Brand Line [Adjective] [Spec] Noun``, e.g. "Northpeak Stormline Waterproof Rain Jacket"."""
    title = ""
    for _ in range(20):
        title = " ".join(
            part
            for part in (brand, _line_name(rng), _adjective(rng, features, noun), spec, noun)
            if part
        )
        if title not in titles:
            break
    titles.add(title)
    return title


def _line_name(rng: random.Random) -> str:
    return rng.choice(vocab.LINE_PREFIXES) + rng.choice(vocab.LINE_SUFFIXES)


def _adjective(rng: random.Random, features: Sequence[str], noun: str) -> str:
    """One feature for the title, unless the noun already says it."""
    if not features or rng.random() > TITLE_ADJECTIVE_SHARE:
        return ""
    feature = features[0] if rng.random() < 0.6 else rng.choice(features)
    if feature.split("-")[0].lower() in noun.lower():
        return ""
    return " ".join(
        "-".join(part[:1].upper() + part[1:] for part in word.split("-"))
        for word in feature.split()
    )


def _describe(
    rng: random.Random,
    archetype: Archetype,
    noun: str,
    spec: str,
    features: Sequence[str],
    warmth: str | None,
) -> str:
    """Two to four sentences: what it is and is made of, its uses, a detail, its warmth."""
    sentences = [_what_it_is(rng, archetype, noun, spec, features), _uses(rng, archetype)]
    if archetype.details and rng.random() < DETAIL_SHARE:
        sentences.append(rng.choice(archetype.details))
    if warmth is not None:
        sentences.append(rng.choice(vocab.WARMTH_SENTENCES[archetype.department][warmth]))
    return " ".join(sentences)


def _what_it_is(
    rng: random.Random, archetype: Archetype, noun: str, spec: str, features: Sequence[str]
) -> str:
    """The first sentence: "A waterproof rain jacket made from ...", "Boots built from ..."."""
    spec_text = spec.lower() if "Person" in spec else spec
    adjectives = ", ".join(f for f in features if f.lower() not in noun.lower())
    phrase = " ".join(part for part in (adjectives, spec_text, _sentence_case(noun)) if part)
    verb = rng.choice(vocab.FIRST_SENTENCE_VERBS[archetype.department])
    material = rng.choice(archetype.materials)
    if _is_plural(noun):
        return f"{phrase[:1].upper()}{phrase[1:]} {verb} {material}."
    return f"{_article(phrase)} {phrase} {verb} {material}."


def _is_plural(noun: str) -> bool:
    """Whether the noun is plural: "Hiking Boots", "Trekking Pants" (not "Dress")."""
    return noun.endswith("s") and not noun.endswith("ss")


def _uses(rng: random.Random, archetype: Archetype) -> str:
    uses = rng.sample(archetype.uses, k=min(len(archetype.uses), rng.randint(2, 3)))
    listed = uses[0] if len(uses) == 1 else ", ".join(uses[:-1]) + " and " + uses[-1]
    return rng.choice(vocab.USE_SENTENCES).format(uses=listed)


def _sentence_case(noun: str) -> str:
    return " ".join(
        word if word in vocab.KEEP_CASE_WORDS else word.lower() for word in noun.split()
    )


def _article(phrase: str) -> str:
    """The article by the sound of the first word: "an 18L daypack", "a UPF 50 shirt"."""
    first = phrase.split()[0]
    if first.startswith(("8", "11", "18")):
        return "An"
    if first.isupper() or first[:1].isdigit():
        return "A"
    return "An" if first[:1].lower() in "aeiou" else "A"


def _price(rng: random.Random, low: int, high: int) -> Decimal:
    """A shelf price in the band, ending in .99 or .00 ($129.99, $85.00)."""
    dollars = rng.randint(low, high)
    if dollars >= 100:
        dollars = max(low, 5 * round(dollars / 5))
    if rng.random() < 0.7:
        return Decimal(f"{dollars - 1}.99")
    return Decimal(f"{dollars}.00")


def _make_variants(rng: random.Random, product_id: str, archetype: Archetype) -> list[VariantDraft]:
    """Colours x sizes; some variants and a few whole products out of stock."""
    sizes = rng.choice(archetype.size_scales)
    colours = _pick_colours(rng, archetype.colours)
    sold_out = rng.random() < SOLD_OUT_SHARE
    return [
        VariantDraft(
            sku=sku_for(product_id, colour, size),
            product_id=product_id,
            colour=colour,
            size=size,
            stock=0 if sold_out else _stock(rng),
        )
        for colour in colours
        for size in sizes
    ]


def _pick_colours(rng: random.Random, palette: Sequence[str]) -> list[str]:
    """One to four distinct colours, neutrals more likely, in palette order."""
    count = rng.choices(list(COLOUR_COUNT_WEIGHTS), weights=list(COLOUR_COUNT_WEIGHTS.values()))[0]
    remaining = list(palette)
    chosen: list[str] = []
    while remaining and len(chosen) < count:
        colour = rng.choices(remaining, weights=[vocab.COLOUR_WEIGHTS[c] for c in remaining])[0]
        remaining.remove(colour)
        chosen.append(colour)
    return sorted(chosen, key=vocab.PALETTE.index)


def _stock(rng: random.Random) -> int:
    """Units on hand: about one variant in seven is out, one in five runs low."""
    roll = rng.random()
    if roll < 0.14:
        return 0
    if roll < 0.35:
        return rng.randint(1, 5)
    return rng.randint(6, 40)
