"""Words the demo shop is made of: brands, category archetypes, people and places.

Plain data, kept apart from the generators so the content can be tuned (a new
category, a warmer description, another city) without touching any logic. The
catalog words matter most: the catalog's semantic search is evaluated on these
descriptions, so every archetype states material, features, use and, where it
applies, warmth in words a shopper would type ("warm waterproof jacket for
hiking").

All names of brands, people and streets are invented; emails use the reserved
``example.*`` domains only.
"""

from __future__ import annotations

from dataclasses import dataclass

DEPARTMENTS = ("Apparel", "Footwear", "Outdoor", "Home")

PALETTE = (
    "black",
    "navy",
    "blue",
    "red",
    "green",
    "olive",
    "grey",
    "white",
    "beige",
    "brown",
    "orange",
    "yellow",
    "pink",
    "purple",
)
"""Every colour a variant can have; stored lower-case, upper-cased in SKUs."""

COLOUR_WEIGHTS = {
    "black": 14,
    "navy": 9,
    "grey": 9,
    "blue": 7,
    "green": 6,
    "olive": 6,
    "white": 6,
    "red": 6,
    "beige": 5,
    "brown": 5,
    "orange": 3,
    "yellow": 3,
    "pink": 3,
    "purple": 3,
}
"""Neutrals sell more, so most products come in them."""

# --- Sizes -------------------------------------------------------------------

APPAREL_SIZES = ("XS", "S", "M", "L", "XL", "XXL")
APPAREL_CORE_SIZES = ("S", "M", "L", "XL")
APPAREL_EXTENDED_SIZES = ("S", "M", "L", "XL", "XXL")
ACCESSORY_SIZES = ("S/M", "L/XL")
SOCK_SIZES = ("S", "M", "L", "XL")
ONE_SIZE = ("One size",)
SHOE_SIZES = tuple(str(size) for size in range(6, 14))
SHOE_HALF_SIZES = tuple(
    f"{whole}{half}" for whole in range(6, 14) for half in ("", ".5") if (whole, half) != (13, ".5")
)
PACK_SIZES = ("S/M", "M/L")
SLEEPING_BAG_SIZES = ("Regular", "Long")
SLEEPING_PAD_SIZES = ("Regular", "Long", "Long Wide")
BOTTLE_SIZES = ("500 ml", "750 ml", "1 L")
SKILLET_SIZES = ("8 in", "10 in", "12 in")
POT_SIZES = ("2 qt", "3 qt", "5.5 qt", "7 qt")
KNIFE_SIZES = ("6 in", "8 in")
DUVET_SIZES = ("Twin", "Full/Queen", "King")
SHEET_SIZES = ("Twin", "Full", "Queen", "King")
THROW_SIZES = ("50 x 60 in", "60 x 80 in")
CUSHION_SIZES = ("18 x 18 in", "20 x 20 in", "22 x 22 in")
RUG_SIZES = ("2 x 3 ft", "5 x 8 ft", "8 x 10 ft")
TOWEL_SIZES = ("Hand towel", "Bath towel", "Bath sheet")
BASKET_SIZES = ("S", "M", "L")

SIZE_ORDER: tuple[str, ...] = (
    "XS",
    "S",
    "S/M",
    "M",
    "M/L",
    "L",
    "L/XL",
    "XL",
    "XXL",
    *SHOE_HALF_SIZES,
    "Regular",
    "Long",
    "Long Wide",
    *BOTTLE_SIZES,
    "6 in",
    *SKILLET_SIZES,
    *POT_SIZES,
    "Twin",
    "Full",
    "Full/Queen",
    "Queen",
    "King",
    *THROW_SIZES,
    *CUSHION_SIZES,
    *RUG_SIZES,
    *TOWEL_SIZES,
    "One size",
)
"""One master order of all sizes; every size scale above is a sub-sequence of
it, so a product's sizes can be put back in generated order from the sizes
alone (the export relies on this; a test checks it)."""

# --- Brands ------------------------------------------------------------------

BRANDS: dict[str, tuple[str, ...]] = {
    "Apparel": (
        "Northpeak",
        "Harbor & Pine",
        "Fieldcraft",
        "Alder Supply Co.",
        "Loom & Lark",
        "Tidewater",
        "Kestrel Outdoor",
        "Greyfell",
    ),
    "Footwear": (
        "Trailforge",
        "Stridewell",
        "Granite Step",
        "Northpeak",
        "Pathwise",
        "Cobble & Co.",
    ),
    "Outdoor": (
        "Summitline",
        "Basecamp Works",
        "Cairn Gear",
        "Northpeak",
        "Wildgrove",
        "Lumenfield",
    ),
    "Home": (
        "Hearth & Hollow",
        "Copperleaf",
        "Linden Home",
        "Maple Row",
        "Oakhaven Kitchen",
    ),
}

LINE_PREFIXES = (
    "Storm", "Ridge", "Summit", "Alpen", "Cascade", "Trail", "Granite", "Cedar", "Drift",
    "Ember", "Glacier", "Harbor", "Juniper", "Kestrel", "Lumen", "Nimbus", "Orbit", "Pinnacle",
    "Rover", "Sierra", "Timber", "Vista", "Zephyr", "Aspen", "Basalt", "Canyon", "Dune", "Echo",
    "Fjord", "Halo", "Iron", "Larch", "Mesa", "North", "Onyx", "Pika", "Rime", "Tundra",
    "Upland", "Willow", "Bluff", "Cirrus",
)  # fmt: skip
LINE_SUFFIXES = (
    "line", "crest", "run", "peak", "light", "field", "wood", "stone", "shell", "pass", "trek",
    "ward", "haven", "loft", "form", "glen", "side", "fall",
)  # fmt: skip

# --- Category archetypes -----------------------------------------------------


@dataclass(frozen=True)
class Archetype:
    """One kind of product: where it sits, what it is made of, what it is for.

    ``required`` features every product of the kind has (a rain jacket is
    always waterproof); ``optional`` ones some have. ``warmth`` lists the
    warmth levels the kind can have (see ``WARMTH_SENTENCES``); ``specs`` are
    title prefixes such as ``"2-Person"``. ``weight`` is the kind's share of the
    catalog.
    """

    category: str
    nouns: tuple[str, ...]
    price: tuple[int, int]
    size_scales: tuple[tuple[str, ...], ...]
    materials: tuple[str, ...]
    uses: tuple[str, ...]
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    details: tuple[str, ...] = ()
    warmth: tuple[str, ...] = ()
    specs: tuple[str, ...] = ()
    weight: int = 10
    colours: tuple[str, ...] = PALETTE

    @property
    def department(self) -> str:
        return self.category.split(" > ")[0]


NEUTRALS = ("black", "navy", "grey", "white", "beige", "brown", "olive")
KITCHEN_COLOURS = ("black", "red", "blue", "green", "white", "grey", "beige", "yellow")

ARCHETYPES: tuple[Archetype, ...] = (
    # Apparel: jackets
    Archetype(
        category="Apparel > Jackets > Rain jackets",
        nouns=("Rain Jacket", "Rain Shell", "Shell Jacket"),
        price=(79, 329),
        size_scales=(APPAREL_SIZES, APPAREL_CORE_SIZES),
        materials=(
            "2.5-layer recycled nylon with a waterproof-breathable membrane",
            "3-layer nylon ripstop with a waterproof-breathable membrane",
            "lightweight recycled polyester with a PFC-free water-repellent finish",
        ),
        uses=("hiking", "commuting", "travel", "backpacking", "rainy city days", "trail running"),
        required=("waterproof",),
        optional=("breathable", "lightweight", "packable", "windproof"),
        details=(
            "Fully taped seams and an adjustable storm hood keep the rain out.",
            "Pit zips dump heat on steep climbs, and it packs into its own pocket.",
            "Water-resistant zips and a stiffened brim keep downpours off your face.",
            "A longer cut covers your hips, and the hood fits over a helmet.",
        ),
        warmth=("none", "light"),
        weight=40,
    ),
    Archetype(
        category="Apparel > Jackets > Insulated jackets",
        nouns=("Down Jacket", "Puffer Jacket", "Insulated Jacket", "Hooded Down Jacket"),
        price=(99, 399),
        size_scales=(APPAREL_SIZES, APPAREL_EXTENDED_SIZES),
        materials=(
            "a recycled nylon shell filled with 650-fill responsibly sourced down",
            "ripstop nylon filled with 800-fill goose down",
            "water-resistant polyester with recycled synthetic insulation",
            "a waterproof nylon shell with synthetic insulation that stays warm when wet",
        ),
        uses=("hiking", "backpacking", "winter camping", "skiing", "everyday wear", "travel"),
        required=("insulated",),
        optional=("waterproof", "water-resistant", "lightweight", "packable", "windproof"),
        details=(
            "Baffled construction keeps the insulation evenly spread, "
            "and it stuffs into its own pocket.",
            "An insulated hood and zippered hand-warmer pockets seal in the heat.",
            "Elastic cuffs and a drawcord hem lock out wind on exposed ridges.",
        ),
        warmth=("medium", "warm", "very warm"),
        weight=45,
    ),
    Archetype(
        category="Apparel > Jackets > Winter parkas",
        nouns=("Parka", "Winter Parka", "Down Parka"),
        price=(179, 499),
        size_scales=(APPAREL_SIZES, APPAREL_EXTENDED_SIZES),
        materials=(
            "a waterproof two-layer nylon shell with 700-fill down",
            "heavy-duty recycled polyester with thick synthetic insulation",
            "a waterproof-breathable shell with 600-fill down",
        ),
        uses=("city winters", "commuting", "winter hiking", "snowy days", "winter travel"),
        required=("waterproof", "insulated"),
        optional=("windproof", "breathable"),
        details=(
            "A thigh-length cut, a removable faux-fur ruff and fleece-lined pockets "
            "make it a deep-winter staple.",
            "A two-way zip, storm flap and adjustable hood block blowing snow.",
        ),
        warmth=("very warm",),
        weight=25,
        colours=(*NEUTRALS, "red", "green"),
    ),
    Archetype(
        category="Apparel > Jackets > Ski jackets",
        nouns=("Ski Jacket", "Snow Jacket", "Insulated Ski Shell"),
        price=(169, 449),
        size_scales=(APPAREL_SIZES,),
        materials=(
            "a 3-layer waterproof-breathable nylon shell with synthetic insulation",
            "stretch polyester with a waterproof membrane and light insulation",
        ),
        uses=("skiing", "snowboarding", "winter hiking", "snowshoeing"),
        required=("waterproof", "insulated"),
        optional=("breathable", "windproof"),
        details=(
            "A powder skirt, helmet-compatible hood and pass pocket on the sleeve "
            "are built for resort days.",
            "Underarm vents release heat on the climb and seal up for the descent.",
        ),
        warmth=("warm", "very warm"),
        weight=20,
    ),
    Archetype(
        category="Apparel > Jackets > Softshell jackets",
        nouns=("Softshell Jacket", "Hybrid Jacket"),
        price=(89, 229),
        size_scales=(APPAREL_SIZES, APPAREL_CORE_SIZES),
        materials=(
            "double-weave stretch nylon with a brushed fleece back",
            "recycled polyester softshell with a water-repellent finish",
        ),
        uses=("climbing", "hiking", "trail running", "cycling", "everyday wear"),
        required=("windproof",),
        optional=("water-resistant", "breathable", "stretchy", "lightweight"),
        details=(
            "Four-way stretch moves with you on scrambles, "
            "and a harness-friendly pocket layout keeps gear reachable.",
            "It sheds light showers and blocks wind without the rustle of a hard shell.",
        ),
        warmth=("light", "medium"),
        weight=20,
    ),
    Archetype(
        category="Apparel > Jackets > Fleece jackets",
        nouns=("Fleece Jacket", "Fleece Pullover", "Sherpa Fleece"),
        price=(49, 149),
        size_scales=(APPAREL_SIZES, APPAREL_EXTENDED_SIZES),
        materials=(
            "recycled polyester fleece",
            "high-pile sherpa fleece",
            "grid-back polyester fleece",
        ),
        uses=("hiking", "camping", "layering under a shell", "everyday wear", "cool evenings"),
        optional=("breathable", "lightweight", "quick-dry"),
        details=(
            "Zippered hand pockets and a stand-up collar keep the chill out.",
            "Wear it alone on cool days or as a warm mid-layer under a rain shell.",
        ),
        warmth=("medium", "warm"),
        weight=25,
    ),
    # Apparel: tops
    Archetype(
        category="Apparel > Tops > T-shirts",
        nouns=("T-Shirt", "Tee", "Performance Tee"),
        price=(19, 69),
        size_scales=(APPAREL_SIZES, APPAREL_EXTENDED_SIZES),
        materials=(
            "organic cotton jersey",
            "merino wool",
            "recycled polyester mesh",
            "a cotton and hemp blend",
        ),
        uses=("running", "hiking", "the gym", "everyday wear", "travel"),
        optional=("moisture-wicking", "quick-dry", "breathable", "odor-resistant", "lightweight"),
        details=(
            "Flatlock seams prevent chafing on long days.",
            "A relaxed fit and soft hand feel make it an easy everyday layer.",
            "Reflective details add visibility on early-morning runs.",
        ),
        weight=35,
    ),
    Archetype(
        category="Apparel > Tops > Base layers",
        nouns=("Base Layer Top", "Thermal Crew", "Merino Base Layer"),
        price=(39, 119),
        size_scales=(APPAREL_SIZES,),
        materials=(
            "200-weight merino wool",
            "a merino and nylon blend",
            "grid-knit recycled polyester",
        ),
        uses=("skiing", "winter hiking", "backpacking", "cold-weather running", "layering"),
        required=("moisture-wicking",),
        optional=("odor-resistant", "breathable", "quick-dry"),
        details=(
            "A close, stretchy fit layers smoothly under a shell or puffer.",
            "Thumb loops and a longer back hem keep drafts out.",
        ),
        warmth=("light", "medium", "warm"),
        weight=20,
    ),
    Archetype(
        category="Apparel > Tops > Sweaters & hoodies",
        nouns=("Hoodie", "Crewneck Sweater", "Quarter-Zip Sweater", "Wool Sweater"),
        price=(45, 159),
        size_scales=(APPAREL_SIZES, APPAREL_EXTENDED_SIZES),
        materials=(
            "brushed organic cotton",
            "lambswool",
            "a recycled wool blend",
            "heavyweight French terry",
        ),
        uses=("everyday wear", "cool evenings", "travel", "lounging", "campfire nights"),
        optional=("soft", "breathable"),
        details=(
            "Ribbed cuffs and hem hold their shape wash after wash.",
            "A kangaroo pocket and lined hood make it an easy weekend layer.",
        ),
        warmth=("medium", "warm"),
        weight=25,
    ),
    Archetype(
        category="Apparel > Tops > Shirts",
        nouns=("Flannel Shirt", "Hiking Shirt", "Button-Down Shirt", "Sun Shirt"),
        price=(35, 99),
        size_scales=(APPAREL_SIZES, APPAREL_CORE_SIZES),
        materials=(
            "brushed cotton flannel",
            "nylon ripstop",
            "organic cotton oxford cloth",
            "a lightweight polyester weave",
        ),
        uses=("hiking", "travel", "fishing", "everyday wear", "camping"),
        optional=("UPF 50", "quick-dry", "breathable", "moisture-wicking"),
        details=(
            "Roll-up sleeve tabs and a vented back keep you cool in the sun.",
            "Chest pockets with snaps hold a phone or map.",
        ),
        weight=20,
    ),
    # Apparel: bottoms
    Archetype(
        category="Apparel > Bottoms > Hiking pants",
        nouns=("Hiking Pants", "Trekking Pants", "Convertible Pants"),
        price=(59, 149),
        size_scales=(APPAREL_SIZES, APPAREL_CORE_SIZES),
        materials=(
            "stretch nylon",
            "a durable nylon and elastane blend",
            "recycled polyester canvas",
        ),
        uses=("hiking", "backpacking", "climbing", "travel"),
        optional=("quick-dry", "water-resistant", "stretchy", "UPF 50", "lightweight"),
        details=(
            "A gusseted crotch and articulated knees move freely on scrambles.",
            "Zip-off legs turn them into shorts when the afternoon heats up.",
            "Zippered thigh pockets keep your phone secure on the trail.",
        ),
        weight=25,
    ),
    Archetype(
        category="Apparel > Bottoms > Rain pants",
        nouns=("Rain Pants", "Waterproof Overtrousers"),
        price=(59, 189),
        size_scales=(APPAREL_SIZES,),
        materials=("2.5-layer recycled nylon", "3-layer waterproof-breathable nylon"),
        uses=("hiking", "commuting by bike", "backpacking", "fishing"),
        required=("waterproof",),
        optional=("breathable", "packable", "lightweight"),
        details=(
            "Full-length side zips let you pull them on over boots.",
            "Taped seams and an elastic waist make them a quick layer when the sky opens.",
        ),
        weight=12,
    ),
    Archetype(
        category="Apparel > Bottoms > Shorts",
        nouns=("Running Shorts", "Hiking Shorts", "Trail Shorts"),
        price=(25, 79),
        size_scales=(APPAREL_SIZES, APPAREL_CORE_SIZES),
        materials=("lightweight recycled polyester", "stretch nylon", "organic cotton twill"),
        uses=("running", "hiking", "the gym", "summer travel"),
        optional=("quick-dry", "moisture-wicking", "lightweight", "stretchy"),
        details=(
            "A built-in liner and zip pocket carry keys and gels.",
            "A 7-inch inseam gives room to stride without bunching.",
        ),
        weight=18,
    ),
    Archetype(
        category="Apparel > Bottoms > Leggings & tights",
        nouns=("Leggings", "Running Tights", "Thermal Tights"),
        price=(39, 109),
        size_scales=(APPAREL_SIZES,),
        materials=("brushed stretch polyester", "a nylon and elastane blend", "merino wool jersey"),
        uses=("running", "yoga", "the gym", "winter running", "hiking"),
        optional=("moisture-wicking", "stretchy", "quick-dry", "reflective"),
        details=(
            "A high-rise waistband with a phone pocket stays put on the move.",
            "Reflective ankle details keep you visible on dark evening runs.",
        ),
        warmth=("light", "medium", "warm"),
        weight=15,
    ),
    Archetype(
        category="Apparel > Bottoms > Jeans & chinos",
        nouns=("Slim Jeans", "Straight Jeans", "Chinos", "Work Pants"),
        price=(49, 139),
        size_scales=(APPAREL_CORE_SIZES, APPAREL_EXTENDED_SIZES),
        materials=("stretch selvedge denim", "organic cotton twill", "heavyweight duck canvas"),
        uses=("everyday wear", "the office", "weekend errands", "travel"),
        optional=("stretchy", "durable"),
        details=(
            "A touch of stretch keeps them comfortable all day.",
            "Triple-stitched seams and a gusseted crotch hold up to hard wear.",
        ),
        weight=15,
        colours=("black", "navy", "blue", "grey", "beige", "brown", "olive"),
    ),
    # Apparel: accessories
    Archetype(
        category="Apparel > Accessories > Hats & beanies",
        nouns=("Beanie", "Sun Hat", "Trucker Cap", "Bucket Hat"),
        price=(19, 49),
        size_scales=(ONE_SIZE, ACCESSORY_SIZES),
        materials=(
            "merino wool rib knit",
            "recycled polyester",
            "organic cotton canvas",
            "a wool and cashmere blend",
        ),
        uses=("hiking", "skiing", "everyday wear", "sunny days at the beach", "running"),
        optional=("UPF 50", "breathable", "quick-dry"),
        details=(
            "A fold-over cuff covers your ears on windy days.",
            "A wide brim and chin cord stay put in the wind.",
        ),
        warmth=("light", "warm"),
        weight=15,
    ),
    Archetype(
        category="Apparel > Accessories > Gloves",
        nouns=("Gloves", "Mittens", "Liner Gloves", "Ski Gloves"),
        price=(19, 119),
        size_scales=(APPAREL_CORE_SIZES, ACCESSORY_SIZES),
        materials=(
            "goat leather with synthetic insulation",
            "merino wool",
            "stretch fleece",
            "a waterproof nylon shell",
        ),
        uses=("skiing", "winter hiking", "cycling", "commuting", "running"),
        optional=("waterproof", "insulated", "touchscreen-compatible", "windproof"),
        details=(
            "Touchscreen fingertips mean you can use your phone without taking them off.",
            "Long gauntlet cuffs seal out snow.",
        ),
        warmth=("light", "warm", "very warm"),
        weight=12,
        colours=(*NEUTRALS, "red", "blue"),
    ),
    Archetype(
        category="Apparel > Accessories > Socks",
        nouns=("Hiking Socks", "Running Socks", "Ski Socks", "Crew Socks"),
        price=(14, 32),
        size_scales=(SOCK_SIZES,),
        materials=(
            "merino wool",
            "a merino and nylon blend",
            "recycled polyester",
            "organic cotton",
        ),
        uses=("hiking", "running", "skiing", "everyday wear", "backpacking"),
        required=("cushioned",),
        optional=("moisture-wicking", "odor-resistant", "breathable"),
        details=(
            "A seamless toe and arch support prevent blisters on long days.",
            "Backed by a lifetime guarantee against holes.",
        ),
        warmth=("light", "medium", "warm"),
        weight=15,
    ),
    # Footwear
    Archetype(
        category="Footwear > Boots > Hiking boots",
        nouns=("Hiking Boots", "Mid Hiking Boots", "Backpacking Boots"),
        price=(119, 279),
        size_scales=(SHOE_HALF_SIZES, SHOE_SIZES),
        materials=(
            "full-grain leather",
            "nubuck leather and abrasion-resistant mesh",
            "recycled synthetic uppers",
        ),
        uses=("hiking", "backpacking", "rocky trails", "day hikes"),
        required=("waterproof",),
        optional=("breathable", "lightweight", "supportive", "insulated"),
        details=(
            "A lugged rubber outsole grips wet rock, and a padded collar supports your ankles.",
            "A waterproof membrane keeps feet dry through streams and snowmelt.",
            "A stiff shank and toe cap protect your feet under a heavy pack.",
        ),
        weight=30,
        colours=("brown", "grey", "black", "olive", "beige", "blue", "orange"),
    ),
    Archetype(
        category="Footwear > Boots > Winter boots",
        nouns=("Winter Boots", "Snow Boots", "Insulated Boots"),
        price=(99, 259),
        size_scales=(SHOE_SIZES, SHOE_HALF_SIZES),
        materials=(
            "waterproof leather with 200g synthetic insulation",
            "a nylon upper and rubber shell with 400g insulation",
            "suede with a shearling-style lining",
        ),
        uses=("snowy commutes", "winter walks", "shoveling snow", "winter hiking"),
        required=("waterproof", "insulated"),
        optional=("slip-resistant", "lightweight"),
        details=(
            "A grippy rubber outsole holds on ice and packed snow.",
            "A gusseted tongue and snow collar keep powder out.",
        ),
        warmth=("warm", "very warm"),
        weight=20,
        colours=("black", "brown", "grey", "beige", "navy", "olive"),
    ),
    Archetype(
        category="Footwear > Boots > Rain boots",
        nouns=("Rain Boots", "Chelsea Rain Boots", "Tall Rain Boots"),
        price=(49, 149),
        size_scales=(SHOE_SIZES,),
        materials=("natural rubber", "recycled rubber with a cotton lining"),
        uses=("rainy commutes", "gardening", "muddy dog walks", "festivals"),
        required=("waterproof",),
        optional=("lightweight", "slip-resistant"),
        details=(
            "Pull tabs make them easy to slip on, and the treaded sole grips wet pavement.",
            "A cushioned footbed keeps them comfortable for all-day wear.",
        ),
        weight=12,
    ),
    Archetype(
        category="Footwear > Boots > Chelsea boots",
        nouns=("Chelsea Boots", "Leather Chelsea Boots"),
        price=(119, 249),
        size_scales=(SHOE_HALF_SIZES, SHOE_SIZES),
        materials=("full-grain leather", "water-resistant suede"),
        uses=("the office", "everyday wear", "city walks", "evenings out"),
        optional=("water-resistant", "durable"),
        details=(
            "Elastic side panels and a pull tab make them easy to slip on.",
            "A resoleable welted construction lasts for years.",
        ),
        weight=10,
        colours=("black", "brown", "beige", "grey"),
    ),
    Archetype(
        category="Footwear > Shoes > Trail running shoes",
        nouns=("Trail Running Shoes", "Trail Runners"),
        price=(99, 189),
        size_scales=(SHOE_HALF_SIZES,),
        materials=("an engineered mesh upper", "a ripstop upper with a protective toe bumper"),
        uses=("trail running", "fastpacking", "day hikes", "ultramarathons"),
        required=("cushioned",),
        optional=("waterproof", "breathable", "lightweight", "grippy"),
        details=(
            "Aggressive 5 mm lugs bite into mud and loose dirt.",
            "A rock plate shields your feet on technical descents.",
        ),
        weight=22,
    ),
    Archetype(
        category="Footwear > Shoes > Road running shoes",
        nouns=("Running Shoes", "Road Running Shoes", "Daily Trainers"),
        price=(89, 179),
        size_scales=(SHOE_HALF_SIZES,),
        materials=("an engineered knit upper", "a breathable mesh upper"),
        uses=("road running", "marathon training", "the gym", "daily jogs"),
        required=("cushioned",),
        optional=("breathable", "lightweight", "reflective"),
        details=(
            "A responsive foam midsole returns energy with every stride.",
            "A wide toe box lets your feet splay naturally on long runs.",
        ),
        weight=20,
    ),
    Archetype(
        category="Footwear > Shoes > Hiking shoes",
        nouns=("Hiking Shoes", "Approach Shoes", "Low Hikers"),
        price=(89, 169),
        size_scales=(SHOE_HALF_SIZES, SHOE_SIZES),
        materials=("suede and mesh", "a recycled synthetic upper"),
        uses=("day hikes", "travel", "scrambling", "walking"),
        optional=("waterproof", "breathable", "lightweight", "grippy"),
        details=(
            "A sticky rubber outsole grips slabs and wet boardwalks.",
            "Low-cut and flexible, they feel broken in from the first mile.",
        ),
        weight=16,
        colours=("brown", "grey", "black", "olive", "blue", "beige"),
    ),
    Archetype(
        category="Footwear > Shoes > Sneakers",
        nouns=("Sneakers", "Canvas Sneakers", "Leather Sneakers"),
        price=(59, 139),
        size_scales=(SHOE_HALF_SIZES, SHOE_SIZES),
        materials=("organic cotton canvas", "full-grain leather", "a recycled knit upper"),
        uses=("everyday wear", "travel", "city walks", "casual Fridays"),
        optional=("lightweight", "breathable", "cushioned"),
        details=(
            "A vulcanized rubber sole and cushioned insole make them an easy all-day shoe.",
            "Minimal styling goes with jeans or chinos.",
        ),
        weight=18,
    ),
    Archetype(
        category="Footwear > Sandals",
        nouns=("Hiking Sandals", "Sport Sandals", "Slides"),
        price=(35, 119),
        size_scales=(SHOE_SIZES,),
        materials=(
            "recycled polyester webbing",
            "a contoured cork footbed with leather straps",
            "soft EVA foam",
        ),
        uses=("river crossings", "summer hikes", "the beach", "camp shoes", "travel"),
        optional=("quick-dry", "lightweight", "cushioned", "grippy"),
        details=(
            "Adjustable straps lock your heel in place on uneven ground.",
            "A grippy outsole holds on wet rock and dock boards.",
        ),
        weight=12,
    ),
    Archetype(
        category="Footwear > Slippers",
        nouns=("Slippers", "Moccasin Slippers", "Slipper Booties"),
        price=(35, 99),
        size_scales=(SHOE_SIZES,),
        materials=("wool felt", "suede with a shearling lining", "recycled fleece"),
        uses=("lounging at home", "cold mornings", "cabin weekends"),
        optional=("cushioned", "lightweight"),
        details=(
            "A rubber sole means you can step out to grab the mail.",
            "A memory-foam footbed moulds to your feet.",
        ),
        warmth=("warm",),
        weight=8,
    ),
    # Outdoor
    Archetype(
        category="Outdoor > Tents",
        nouns=("Backpacking Tent", "Camping Tent", "Ultralight Tent", "Dome Tent"),
        price=(149, 599),
        size_scales=(ONE_SIZE,),
        materials=(
            "20D ripstop nylon with aluminum poles",
            "polyester taffeta with a bathtub floor",
            "silicone-coated ripstop nylon",
        ),
        uses=("backpacking", "car camping", "festivals", "bikepacking", "family camping"),
        optional=("waterproof", "lightweight", "freestanding", "packable"),
        details=(
            "Two doors and two vestibules mean nobody climbs over anyone at night.",
            "Fully taped seams and a full-coverage rainfly keep storms out.",
            "Color-coded clips make setup quick, even in the dark.",
        ),
        specs=("1-Person", "2-Person", "3-Person", "4-Person", "6-Person"),
        weight=30,
        colours=("green", "orange", "grey", "yellow", "blue", "olive"),
    ),
    Archetype(
        category="Outdoor > Backpacks > Daypacks",
        nouns=("Daypack", "Hiking Daypack", "Commuter Backpack"),
        price=(49, 169),
        size_scales=(ONE_SIZE, PACK_SIZES),
        materials=(
            "recycled ripstop nylon",
            "water-resistant coated polyester",
            "waxed cotton canvas",
        ),
        uses=("day hikes", "commuting", "travel", "school", "climbing approaches"),
        optional=("water-resistant", "lightweight", "hydration-compatible"),
        details=(
            "A padded laptop sleeve and quick-grab top pocket keep essentials organized.",
            "A ventilated back panel and hip belt carry loads comfortably.",
        ),
        specs=("18L", "22L", "28L", "32L"),
        weight=22,
    ),
    Archetype(
        category="Outdoor > Backpacks > Backpacking packs",
        nouns=("Backpacking Pack", "Trekking Pack", "Ultralight Pack"),
        price=(149, 349),
        size_scales=(PACK_SIZES,),
        materials=(
            "robic nylon with an aluminum frame",
            "recycled ripstop nylon with a frame sheet",
        ),
        uses=("backpacking", "thru-hiking", "multi-day treks"),
        optional=("lightweight", "water-resistant", "hydration-compatible"),
        details=(
            "An adjustable torso length and load lifters dial in the fit.",
            "A floating lid, hip-belt pockets and a stretch front pocket keep gear to hand.",
        ),
        specs=("45L", "55L", "65L", "70L"),
        weight=18,
    ),
    Archetype(
        category="Outdoor > Sleeping bags",
        nouns=("Sleeping Bag", "Down Sleeping Bag", "Mummy Sleeping Bag", "Camp Quilt"),
        price=(89, 449),
        size_scales=(SLEEPING_BAG_SIZES,),
        materials=(
            "650-fill duck down in a ripstop shell",
            "850-fill goose down",
            "recycled synthetic insulation",
        ),
        uses=("backpacking", "car camping", "winter camping", "thru-hiking"),
        required=("insulated",),
        optional=("lightweight", "packable", "water-resistant"),
        details=(
            "A draft collar and contoured hood seal in heat on cold nights.",
            "It compresses into the included stuff sack.",
        ),
        warmth=("light", "medium", "warm", "very warm"),
        weight=18,
        colours=("blue", "green", "orange", "red", "grey", "navy"),
    ),
    Archetype(
        category="Outdoor > Sleeping pads",
        nouns=("Sleeping Pad", "Inflatable Sleeping Pad", "Foam Sleeping Pad"),
        price=(39, 229),
        size_scales=(SLEEPING_PAD_SIZES,),
        materials=(
            "ripstop nylon with reflective baffles",
            "closed-cell foam",
            "recycled polyester with open-cell foam",
        ),
        uses=("backpacking", "car camping", "winter camping"),
        optional=("lightweight", "insulated", "packable"),
        details=(
            "A high R-value insulates you from the cold ground.",
            "A one-way valve inflates it in a dozen breaths.",
        ),
        weight=12,
        colours=("orange", "blue", "green", "yellow", "grey"),
    ),
    Archetype(
        category="Outdoor > Camp kitchen > Stoves",
        nouns=("Backpacking Stove", "Two-Burner Camp Stove", "Canister Stove"),
        price=(39, 199),
        size_scales=(ONE_SIZE,),
        materials=("stainless steel and aluminum", "titanium"),
        uses=("backpacking", "car camping", "emergency kits", "boiling water fast"),
        optional=("lightweight", "packable", "windproof"),
        details=(
            "Push-button ignition lights it without matches.",
            "It boils a liter of water in about three minutes.",
        ),
        weight=10,
        colours=("black", "grey", "orange", "green"),
    ),
    Archetype(
        category="Outdoor > Camp kitchen > Water bottles",
        nouns=("Water Bottle", "Insulated Bottle", "Filter Bottle"),
        price=(19, 59),
        size_scales=(BOTTLE_SIZES,),
        materials=(
            "double-wall stainless steel",
            "BPA-free Tritan plastic",
            "lightweight aluminum",
        ),
        uses=("hiking", "the gym", "commuting", "travel", "cycling"),
        optional=("insulated", "leakproof", "dishwasher-safe"),
        details=(
            "Vacuum insulation keeps drinks cold for 24 hours or hot for 12.",
            "A leakproof lid means it can ride in your bag.",
        ),
        weight=14,
    ),
    Archetype(
        category="Outdoor > Lighting > Headlamps",
        nouns=("Headlamp", "Rechargeable Headlamp", "Running Headlamp"),
        price=(24, 99),
        size_scales=(ONE_SIZE,),
        materials=("impact-resistant polycarbonate", "lightweight aluminum"),
        uses=("camping", "night hikes", "trail running", "power outages"),
        optional=("rechargeable", "waterproof", "lightweight"),
        details=(
            "A 400-lumen beam with a red night-vision mode.",
            "USB-C charging and a lockout switch prevent dead batteries in your pack.",
        ),
        weight=10,
        colours=("black", "orange", "blue", "green", "yellow"),
    ),
    Archetype(
        category="Outdoor > Trekking poles",
        nouns=("Trekking Poles", "Folding Trekking Poles"),
        price=(49, 179),
        size_scales=(ONE_SIZE,),
        materials=("carbon fiber", "aluminum"),
        uses=("hiking", "backpacking", "snowshoeing", "steep descents"),
        optional=("lightweight", "adjustable", "packable"),
        details=(
            "Cork grips wick sweat, and lever locks adjust the length in seconds.",
            "They fold small enough to strap to a running vest.",
        ),
        weight=8,
        colours=("black", "blue", "red", "green", "grey"),
    ),
    Archetype(
        category="Outdoor > Camp furniture",
        nouns=("Camp Chair", "Folding Camp Table", "Camping Hammock"),
        price=(29, 179),
        size_scales=(ONE_SIZE,),
        materials=(
            "an aluminum frame with ripstop polyester",
            "powder-coated steel with canvas",
            "parachute nylon",
        ),
        uses=("car camping", "the beach", "backyard evenings", "festivals", "tailgating"),
        optional=("lightweight", "packable", "durable"),
        details=(
            "It sets up in seconds and packs into a carry bag.",
            "A cup holder and side pocket keep drinks and a phone close.",
        ),
        weight=12,
    ),
    # Home
    Archetype(
        category="Home > Kitchen > Cookware",
        nouns=("Skillet", "Frying Pan", "Saute Pan"),
        price=(29, 199),
        size_scales=(SKILLET_SIZES,),
        materials=(
            "pre-seasoned cast iron",
            "tri-ply stainless steel",
            "hard-anodized aluminum",
            "carbon steel",
        ),
        uses=("searing steaks", "everyday cooking", "camp cooking", "baking cornbread"),
        optional=("nonstick", "oven-safe", "induction-ready", "dishwasher-safe"),
        details=(
            "It goes from stovetop to oven up to 500°F.",
            "Even heating means no hot spots under your eggs.",
        ),
        weight=18,
        colours=KITCHEN_COLOURS,
    ),
    Archetype(
        category="Home > Kitchen > Pots & Dutch ovens",
        nouns=("Dutch Oven", "Stockpot", "Saucepan", "Braiser"),
        price=(39, 349),
        size_scales=(POT_SIZES,),
        materials=("enameled cast iron", "tri-ply stainless steel", "hard-anodized aluminum"),
        uses=("braising", "soups and stews", "baking bread", "everyday cooking"),
        optional=("oven-safe", "induction-ready", "dishwasher-safe"),
        details=(
            "A tight-fitting lid locks in moisture for slow cooking.",
            "Wide loop handles make it easy to lift, even with oven mitts.",
        ),
        weight=14,
        colours=KITCHEN_COLOURS,
    ),
    Archetype(
        category="Home > Kitchen > Knives",
        nouns=("Chef's Knife", "Santoku Knife", "Bread Knife"),
        price=(39, 229),
        size_scales=(KNIFE_SIZES, ONE_SIZE),
        materials=(
            "high-carbon German stainless steel",
            "Japanese VG-10 steel with a Damascus finish",
        ),
        uses=("everyday prep", "slicing bread", "dicing vegetables"),
        optional=("full-tang", "hand-forged"),
        details=(
            "A full tang and balanced handle give precise control.",
            "It comes razor-sharp and holds its edge for months.",
        ),
        weight=8,
        colours=("black", "brown", "beige", "grey"),
    ),
    Archetype(
        category="Home > Kitchen > Coffee & tea",
        nouns=("French Press", "Pour-Over Kettle", "Travel Mug", "Tea Kettle"),
        price=(19, 129),
        size_scales=(ONE_SIZE,),
        materials=("double-wall stainless steel", "borosilicate glass", "stoneware"),
        uses=("slow mornings", "camping trips", "the office", "brewing loose-leaf tea"),
        optional=("insulated", "dishwasher-safe", "leakproof"),
        details=(
            "A gooseneck spout gives precise control for pour-over coffee.",
            "Double walls keep coffee hot for hours.",
        ),
        weight=12,
        colours=KITCHEN_COLOURS,
    ),
    Archetype(
        category="Home > Bedding > Duvets & comforters",
        nouns=("Down Comforter", "Duvet Insert", "Down-Alternative Comforter"),
        price=(99, 399),
        size_scales=(DUVET_SIZES,),
        materials=(
            "responsibly sourced white goose down in cotton sateen",
            "recycled polyester fill in a percale shell",
        ),
        uses=("year-round sleep", "cold winter nights", "guest rooms"),
        optional=("hypoallergenic", "breathable", "machine-washable"),
        details=(
            "Box-stitched baffles keep the fill from shifting.",
            "Corner loops hold it in place inside your duvet cover.",
        ),
        warmth=("light", "medium", "warm"),
        weight=12,
        colours=("white", "beige", "grey"),
    ),
    Archetype(
        category="Home > Bedding > Sheets",
        nouns=("Sheet Set", "Percale Sheet Set", "Flannel Sheet Set", "Linen Sheet Set"),
        price=(59, 249),
        size_scales=(SHEET_SIZES,),
        materials=(
            "organic cotton percale",
            "stonewashed European flax linen",
            "brushed cotton flannel",
            "cotton sateen",
        ),
        uses=("hot sleepers", "cozy winter nights", "everyday comfort"),
        optional=("breathable", "machine-washable", "soft"),
        details=(
            "Deep pockets fit mattresses up to 16 inches.",
            "They get softer with every wash.",
        ),
        weight=14,
        colours=("white", "beige", "grey", "navy", "blue", "green", "pink"),
    ),
    Archetype(
        category="Home > Bedding > Blankets & throws",
        nouns=("Throw Blanket", "Wool Blanket", "Knit Throw"),
        price=(39, 199),
        size_scales=(THROW_SIZES,),
        materials=(
            "merino wool",
            "chunky cotton knit",
            "recycled fleece",
            "a wool and alpaca blend",
        ),
        uses=("movie nights", "the sofa", "picnics", "cabin weekends"),
        optional=("soft", "machine-washable"),
        details=("Fringed edges and a heavy drape make it a living-room favorite.",),
        warmth=("medium", "warm"),
        weight=12,
    ),
    Archetype(
        category="Home > Bath > Towels",
        nouns=("Bath Towel Set", "Turkish Towel", "Waffle Towel"),
        price=(19, 89),
        size_scales=(TOWEL_SIZES,),
        materials=(
            "long-staple Turkish cotton",
            "organic cotton waffle weave",
            "a cotton and linen blend",
        ),
        uses=("everyday use", "the beach", "guest bathrooms", "the gym"),
        optional=("quick-dry", "absorbent", "soft"),
        details=("Plush loops soak up water and stay soft wash after wash.",),
        weight=10,
        colours=("white", "grey", "beige", "navy", "blue", "green", "pink"),
    ),
    Archetype(
        category="Home > Living > Cushions",
        nouns=("Throw Pillow", "Cushion Cover", "Linen Cushion"),
        price=(19, 79),
        size_scales=(CUSHION_SIZES,),
        materials=("washed linen", "cotton velvet", "wool boucle", "recycled canvas"),
        uses=("the sofa", "reading nooks", "bedrooms"),
        optional=("machine-washable", "soft"),
        details=("A hidden zip lets you remove the cover for washing.",),
        weight=10,
    ),
    Archetype(
        category="Home > Living > Rugs",
        nouns=("Area Rug", "Wool Rug", "Flatweave Rug"),
        price=(49, 599),
        size_scales=(RUG_SIZES,),
        materials=("hand-tufted New Zealand wool", "a jute and cotton blend", "recycled PET yarn"),
        uses=("living rooms", "bedrooms", "entryways", "covered patios"),
        optional=("durable", "stain-resistant", "indoor/outdoor"),
        details=(
            "A low pile slides easily under doors.",
            "It stands up to muddy boots and wagging tails.",
        ),
        weight=10,
        colours=("beige", "grey", "navy", "blue", "green", "brown", "white"),
    ),
    Archetype(
        category="Home > Lighting > Lamps",
        nouns=("Table Lamp", "Floor Lamp", "Lantern"),
        price=(39, 249),
        size_scales=(ONE_SIZE,),
        materials=(
            "brushed brass with a linen shade",
            "ceramic",
            "powder-coated steel",
            "oak wood",
        ),
        uses=("reading", "bedside tables", "patios", "home offices"),
        optional=("dimmable", "rechargeable"),
        details=(
            "A warm 2700K bulb is included.",
            "A touch dimmer lets you set the mood.",
        ),
        weight=8,
        colours=("black", "white", "beige", "green", "blue", "brown"),
    ),
    Archetype(
        category="Home > Storage > Baskets",
        nouns=("Storage Basket", "Woven Basket", "Laundry Basket"),
        price=(19, 89),
        size_scales=(BASKET_SIZES,),
        materials=("hand-woven seagrass", "cotton rope", "recycled felt", "rattan"),
        uses=("blankets and toys", "laundry", "entryway clutter", "shelves"),
        optional=("durable", "collapsible"),
        details=("Sturdy handles make it easy to carry from room to room.",),
        weight=8,
        colours=("beige", "brown", "grey", "white", "black"),
    ),
)

WARMTH_SENTENCES: dict[str, dict[str, tuple[str, ...]]] = {
    "Apparel": {
        "none": (
            "Uninsulated, so layer it over a fleece or puffer when it turns cold.",
            "A shell with no insulation: cool enough for summer storms.",
        ),
        "light": (
            "Lightweight warmth for cool days around 50°F.",
            "A light layer of warmth for spring and autumn.",
        ),
        "medium": (
            "Mid-weight warmth for chilly days between 30 and 50°F.",
            "Warm enough for crisp autumn mornings without overheating.",
        ),
        "warm": (
            "Warm and cozy down to about 20°F.",
            "Seriously warm for cold winter days.",
        ),
        "very warm": (
            "Our warmest level: built for deep cold down to -10°F.",
            "Extremely warm, rated for bitter winter cold below 0°F.",
        ),
    },
    "Footwear": {
        "warm": (
            "Warm enough for winter days down to -10°F.",
            "Keeps feet warm down to about 0°F.",
        ),
        "very warm": ("Rated for deep cold down to -25°F.", "Our warmest boots, rated to -40°F."),
    },
    "Outdoor": {
        "light": ("A summer bag rated to 40°F.",),
        "medium": ("A three-season bag rated to 30°F.",),
        "warm": ("Warm enough for shoulder seasons, rated to 20°F.",),
        "very warm": ("A winter bag rated to 0°F for snow camping.",),
    },
    "Home": {
        "light": ("Lightweight warmth for hot sleepers and summer nights.",),
        "medium": ("All-season warmth that suits most bedrooms year-round.",),
        "warm": ("Extra warm for cold bedrooms and winter nights.",),
    },
}

FIRST_SENTENCE_VERBS: dict[str, tuple[str, ...]] = {
    "Apparel": ("made from", "crafted from", "cut from"),
    "Footwear": ("made from", "crafted from", "built from"),
    "Outdoor": ("made from", "built from"),
    "Home": ("made from", "crafted from"),
}
USE_SENTENCES = (
    "Built for {uses}.",
    "Designed for {uses}.",
    "A reliable pick for {uses}.",
    "Made for {uses}.",
    "Ideal for {uses}.",
)

KEEP_CASE_WORDS = frozenset({"Dutch", "French", "Chelsea", "Turkish", "Chef's"})
"""Words of product nouns that stay capitalised inside a sentence."""

# --- People and places -------------------------------------------------------

FIRST_NAMES = (
    "Maria", "James", "Aisha", "Wei", "Olivia", "Diego", "Priya", "Noah", "Fatima", "Liam",
    "Sofia", "Ethan", "Chloé", "Mateo", "Hannah", "Kenji", "Amara", "Lucas", "Zoe", "Omar",
    "Emma", "Daniel", "Mei", "Isaac", "Grace", "Andrés", "Leila", "Samuel", "Nora", "Ravi",
    "Elena", "Jonah", "Camila", "Tyler", "Yuki", "Marcus", "Ingrid", "Hugo", "Ana", "Caleb",
    "Julia", "Kwame", "Sara", "Felix", "Lucía", "Owen", "Nadia", "Theo", "Rosa", "Malik", "Ava",
    "Ben", "Chen", "Dana", "Eli", "Fiona", "Gabriel", "Hye-jin", "Ivan", "Jasmine", "Kai",
    "Lena", "Miguel", "Nina", "Oscar", "Paula", "Quinn", "Rachel", "Sean", "Tara",
)  # fmt: skip
LAST_NAMES = (
    "Lopez", "Smith", "Khan", "Zhang", "Johnson", "García", "Patel", "Williams", "Ali", "Brown",
    "Rossi", "Miller", "Nguyen", "Hernández", "Davis", "Tanaka", "Okafor", "Wilson", "Kim",
    "Haddad", "Taylor", "Anderson", "Chen", "Thomas", "Moore", "Martínez", "Jackson", "Singh",
    "White", "Harris", "Sánchez", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen",
    "Wright", "Scott", "Torres", "Hill", "Green", "Adams", "Baker", "Nelson", "Carter",
    "Mitchell", "Pérez", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans",
    "Edwards", "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Peterson",
    "Cooper", "Reed", "Bailey", "Bell", "Gómez", "Kelly", "Howard", "Ward", "Cox", "Díaz",
    "Richardson", "Wood", "Watson", "Brooks", "Bennett", "Gray", "Lindqvist",
)  # fmt: skip

EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

CITIES: tuple[tuple[str, str, str], ...] = (
    # (city, state, first three digits of its ZIP codes)
    ("San Francisco", "CA", "941"),
    ("Los Angeles", "CA", "900"),
    ("San Diego", "CA", "921"),
    ("Sacramento", "CA", "958"),
    ("Portland", "OR", "972"),
    ("Bend", "OR", "977"),
    ("Seattle", "WA", "981"),
    ("Spokane", "WA", "992"),
    ("Boise", "ID", "837"),
    ("Salt Lake City", "UT", "841"),
    ("Denver", "CO", "802"),
    ("Boulder", "CO", "803"),
    ("Phoenix", "AZ", "850"),
    ("Tucson", "AZ", "857"),
    ("Albuquerque", "NM", "871"),
    ("Austin", "TX", "787"),
    ("Dallas", "TX", "752"),
    ("Houston", "TX", "770"),
    ("Minneapolis", "MN", "554"),
    ("Madison", "WI", "537"),
    ("Chicago", "IL", "606"),
    ("Detroit", "MI", "482"),
    ("Columbus", "OH", "432"),
    ("Pittsburgh", "PA", "152"),
    ("Philadelphia", "PA", "191"),
    ("New York", "NY", "100"),
    ("Brooklyn", "NY", "112"),
    ("Burlington", "VT", "054"),
    ("Boston", "MA", "021"),
    ("Portland", "ME", "041"),
    ("Baltimore", "MD", "212"),
    ("Washington", "DC", "200"),
    ("Richmond", "VA", "232"),
    ("Asheville", "NC", "288"),
    ("Raleigh", "NC", "276"),
    ("Atlanta", "GA", "303"),
    ("Nashville", "TN", "372"),
    ("Miami", "FL", "331"),
    ("Orlando", "FL", "328"),
    ("Anchorage", "AK", "995"),
)

STREET_NAMES = (
    "Maple", "Oak", "Cedar", "Pine", "Elm", "Willow", "Lake", "Hill", "Park", "Washington",
    "Lincoln", "Jefferson", "Franklin", "Highland", "Sunset", "River", "Spring", "Meadow",
    "Forest", "Valley", "Ridge", "Church", "Mill", "Union", "Chestnut", "Walnut", "Birch",
    "Aspen", "Harbor", "Summit",
)  # fmt: skip
STREET_SUFFIXES = (
    "Street",
    "Avenue",
    "Road",
    "Lane",
    "Drive",
    "Court",
    "Way",
    "Place",
    "Boulevard",
)

FULFILMENT_CENTRES = ("Reno, NV", "Columbus, OH", "Allentown, PA", "Dallas, TX")
"""Where parcels start; the first scan of every shipment is at one of these."""

CARRIER_HUBS: dict[str, tuple[str, ...]] = {
    "UPS": ("Louisville, KY", "Hodgkins, IL", "Ontario, CA", "Atlanta, GA"),
    "FedEx": ("Memphis, TN", "Indianapolis, IN", "Oakland, CA", "Fort Worth, TX"),
    "USPS": ("Chicago, IL", "Denver, CO", "Kearny, NJ", "Los Angeles, CA"),
    "DHL": ("Cincinnati, OH", "Los Angeles, CA", "Miami, FL"),
}

DELAY_DESCRIPTIONS = (
    "Delay: severe weather in the area",
    "Delay: package missed scheduled transport",
    "Delay: operational issue at carrier facility",
    "Running late: delivery date will be updated",
)

RETURN_REASONS_SIZED = ("Too small", "Too large", "Fit not as expected")
RETURN_REASONS = (
    "Changed my mind",
    "Arrived damaged",
    "Not as described",
    "Wrong item received",
    "Quality not as expected",
    "Colour differs from photos",
    "Arrived too late",
)
