"""Tests of the catalog package with the real packaged model (no mocks).

A hand-written catalog of ~30 products of distinct kinds is embedded once per
module; queries are phrased without copying product titles, so passing means
the search understands meaning, not just shared words.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from catalog import (
    EMBEDDING_DIM,
    MODEL_NAME,
    CatalogIndex,
    CatalogIndexError,
    CatalogProduct,
    IndexMismatchError,
    IndexNotFoundError,
    ProductFileError,
    SearchFilters,
    SearchHit,
    SearchMode,
    cli,
    encode,
    load_encoder,
    product_text,
    read_products_jsonl,
)
from catalog.embedding import DOCUMENT_PRECISION, TORCH_EMBEDDER, onnx_embedder
from catalog.encoder import DOCUMENT_TOKENS
from catalog.onnx_encoder import ONNX_FILE, export_onnx

REPO_ROOT = Path(__file__).resolve().parent.parent


# One product per three lines: "id | title | brand", "category | colours", description.
CATALOG = """
rain-jacket-01 | Stormline Waterproof Rain Jacket | Northpeak
    Outdoor > Jackets > Rain jackets | Navy, Red
    Fully taped seams and a 20,000 mm waterproof membrane keep you dry in downpours.
rain-jacket-02 | Packable Rain Shell | Driftwood
    Outdoor > Jackets > Rain jackets | Yellow
    Lightweight shell that packs into its own pocket, for showers on the trail or the commute.
down-jacket-01 | Summit Down Puffer Jacket | Northpeak
    Outdoor > Jackets > Insulated jackets | Black
    800-fill goose down for cold winter days; warm and compressible.
hiking-boots-01 | Trailmaster Leather Hiking Boots | Bergson
    Footwear > Boots > Hiking boots | Brown
    Full-grain leather boots with ankle support and a grippy lug sole for rocky mountain trails.
hiking-boots-02 | Ridge Mid GTX Walking Boots | Alpenrock
    Footwear > Boots > Hiking boots | Grey, Green
    Mid-cut trekking boots with a breathable waterproof lining.
running-shoes-01 | Velocity Cushioned Running Shoes | Stride
    Footwear > Shoes > Running shoes | White, Blue
    Responsive foam midsole for road runs, tempo sessions and marathons.
running-shoes-02 | Fellrunner Trail Running Shoes | Stride
    Footwear > Shoes > Running shoes | Orange
    Aggressive grip for muddy off-road running.
tent-01 | Ultralight Two-Person Backpacking Tent | Basecamp
    Outdoor > Camping > Tents | Green
    Freestanding 1.4 kg dome tent for two, quick to pitch on multi-day hikes.
tent-02 | Family Camping Tent for Six | Basecamp
    Outdoor > Camping > Tents | Blue
    Spacious tunnel tent with three bedrooms and a living area for family campsite holidays.
sleeping-bag-01 | Three-Season Mummy Sleeping Bag | Basecamp
    Outdoor > Camping > Sleeping bags | Red
    Synthetic fill rated to -5 C for nights under canvas.
frying-pan-01 | Cast Iron Skillet 26 cm | Forge & Hearth
    Kitchen > Cookware > Frying pans | Black
    Pre-seasoned cast iron frying pan for searing steak, frying eggs and oven baking.
saucepan-01 | Stainless Steel Saucepan with Lid | Forge & Hearth
    Kitchen > Cookware > Saucepans | Silver
    Tri-ply 2 litre pot for sauces, soups and boiling pasta; induction ready.
chef-knife-01 | Damascus Chef's Knife 20 cm | Kiruto
    Kitchen > Knives | Silver
    Razor-sharp blade for slicing, dicing and chopping vegetables.
kettle-01 | Electric Kettle 1.7 L | Homely
    Kitchen > Appliances > Kettles | White
    Boils water for tea in under three minutes; auto shut-off.
coffee-grinder-01 | Conical Burr Coffee Grinder | Homely
    Kitchen > Appliances > Coffee | Black
    Grinds beans from espresso-fine to French-press coarse.
yoga-mat-01 | Non-Slip Yoga Mat 6 mm | Lotus Flow
    Sports > Yoga > Mats | Purple, Teal
    Cushioned, grippy mat for yoga, pilates and floor stretching.
dumbbells-01 | Adjustable Dumbbell Set 2-24 kg | IronWorks
    Sports > Strength > Weights | Black
    Dial-select weights for strength training at home.
wool-socks-01 | Merino Wool Hiking Socks (3 pairs) | Bergson
    Clothing > Socks | Grey
    Warm, cushioned merino socks that stay odour-free on long walks.
tshirt-01 | Organic Cotton Crew T-Shirt | Plainsong
    Clothing > Tops > T-shirts | White, Black
    Soft everyday tee in heavyweight organic cotton.
sunglasses-01 | Polarised Sport Sunglasses | Glare
    Accessories > Eyewear | Black
    UV400 polarised lenses cut glare on water and snow.
backpack-01 | Trekker 40 L Hiking Backpack | Basecamp
    Outdoor > Bags > Backpacks | Green
    Ventilated back panel and hip belt for carrying gear on day hikes.
water-bottle-01 | Insulated Stainless Steel Water Bottle 750 ml | Thermo
    Outdoor > Hydration | Teal
    Double-wall vacuum insulation keeps drinks cold for 24 hours or hot for 12.
headlamp-01 | Rechargeable LED Headlamp 400 lm | Lumen
    Outdoor > Lighting | Black
    Hands-free light worn on the head for night hikes, camping and running in the dark.
bike-helmet-01 | Aero Road Cycling Helmet | Spoke
    Sports > Cycling > Helmets | White
    Lightweight, well-ventilated helmet for road bikes.
swim-goggles-01 | Anti-Fog Swim Goggles | Lane
    Sports > Swimming | Blue
    Leak-proof goggles for pool training.
umbrella-01 | Compact Travel Umbrella | Driftwood
    Accessories > Umbrellas | Black
    Folding windproof umbrella that fits in a bag.
desk-lamp-01 | Dimmable LED Desk Lamp | Lumen
    Home > Lighting > Desk lamps | White
    Adjustable arm and warm-to-cool light for reading and work.
board-game-01 | Settlers Strategy Board Game | Meeple
    Toys > Board games | Multi
    Trade, build and settle an island; 3-4 players, ages 10+.
dog-bed-01 | Orthopaedic Memory Foam Dog Bed | Pawsome
    Pets > Dogs > Beds | Grey
    Supportive bed with a washable cover for large dogs.
earbuds-01 | Wireless Noise-Cancelling Earbuds | Sonic
    Electronics > Audio > Headphones | Black
    Bluetooth earbuds with 30 h battery life and active noise cancelling.
"""


def _record(head: str, kind: str, description: str) -> dict[str, Any]:
    """Returns one export record; the fields search ignores get plausible fixed values."""
    product_id, title, brand = (part.strip() for part in head.split("|"))
    category, colours = (part.strip() for part in kind.split("|"))
    colour_list = [colour.strip() for colour in colours.split(",")]
    return {
        "id": product_id,
        "title": title,
        "description": description.strip(),
        "brand": brand,
        "category": category,
        "price": 49.0,
        "currency": "EUR",
        "rating": 4.4,
        "rating_count": 120,
        "image_url": f"https://example.test/img/{product_id}.jpg",
        "colours": colour_list,
        "sizes": ["M", "L"],
        "in_stock": True,
        "variants": [
            {"sku": f"{product_id}-{c.lower()}-m", "colour": c, "size": "M", "stock": 3}
            for c in colour_list
        ],
    }


_LINES = CATALOG.strip().splitlines()
PRODUCTS: list[dict[str, Any]] = [
    _record(*_LINES[start : start + 3]) for start in range(0, len(_LINES), 3)
]

# (query, acceptable product ids, must appear within this many top hits)
RELEVANCE_CASES: list[tuple[str, set[str], int]] = [
    ("waterproof jacket for rain", {"rain-jacket-01", "rain-jacket-02"}, 1),
    ("pan for cooking", {"frying-pan-01", "saucepan-01"}, 1),
    ("boots for mountain walks", {"hiking-boots-01", "hiking-boots-02"}, 1),
    ("tent for a family camping trip", {"tent-02"}, 1),
    ("mat for yoga practice", {"yoga-mat-01"}, 1),
    ("shoes for jogging", {"running-shoes-01", "running-shoes-02"}, 1),
    ("warm socks", {"wool-socks-01"}, 3),
    ("keep my drink cold all day", {"water-bottle-01"}, 3),
    ("light to wear on my head at night", {"headlamp-01"}, 3),
]


def _write_jsonl(
    path: Path, records: list[dict[str, Any]], extra_lines: dict[int, str] | None = None
) -> Path:
    """Writes ``records`` as JSON Lines, inserting raw ``extra_lines`` at 0-based positions."""
    lines = [json.dumps(record) for record in records]
    for position, text in sorted((extra_lines or {}).items()):
        lines.insert(position, text)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Runs ``python -m catalog`` in a fresh interpreter, as a user would."""
    pythonpath = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "catalog", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": pythonpath},
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def products_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-written catalog as a JSONL export."""
    return _write_jsonl(tmp_path_factory.mktemp("export") / "products.jsonl", PRODUCTS)


@pytest.fixture(scope="module")
def index(products_file: Path) -> CatalogIndex:
    """The catalog embedded once for the module (the model loads once)."""
    return CatalogIndex.build(read_products_jsonl(products_file), show_progress=False)


@pytest.fixture(scope="module")
def cli_index_dir(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """An index built through the CLI from an export with one broken row among the good ones."""
    workdir = tmp_path_factory.mktemp("cli")
    broken = {4: '{"id": "broken", "title": '}
    export = _write_jsonl(workdir / "products.jsonl", PRODUCTS, extra_lines=broken)
    out = workdir / "index"
    result = _run_cli("build", "--products", str(export), "--out", str(out), "--batch-size", "8")
    return out, result


# --- reading products ---------------------------------------------------------------------


def test_read_products_parses_every_field(products_file: Path) -> None:
    products = read_products_jsonl(products_file)

    assert [p.id for p in products] == [r["id"] for r in PRODUCTS]
    jacket = products[0]
    assert jacket.category_path == ("Outdoor", "Jackets", "Rain jackets")
    assert jacket.colours == ("Navy", "Red")
    assert jacket.price == 49.0 and jacket.in_stock is True
    assert jacket.variants[1].sku == "rain-jacket-01-red-m"


def test_bad_rows_are_skipped_with_a_warning_naming_the_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = PRODUCTS[:3]
    bad_rows = {
        1: "{not json",
        2: json.dumps({"id": "no-title"}),
        3: json.dumps({"id": "bad-price", "title": "Pan", "price": "cheap"}),
    }
    export = _write_jsonl(tmp_path / "p.jsonl", good, extra_lines=bad_rows)

    with caplog.at_level(logging.WARNING, logger="catalog"):
        products = read_products_jsonl(export)

    assert [p.id for p in products] == [r["id"] for r in good]
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"{export}:2: invalid JSON" in m for m in messages)
    assert any(f"{export}:3: missing required key 'title'" in m for m in messages)
    assert any(f"{export}:4: invalid product (price:" in m for m in messages)


def test_strict_mode_raises_on_the_first_bad_row(tmp_path: Path) -> None:
    export = _write_jsonl(tmp_path / "p.jsonl", PRODUCTS[:2], extra_lines={1: "[1, 2]"})

    with pytest.raises(ProductFileError, match=r"p\.jsonl:2: expected a JSON object"):
        read_products_jsonl(export, strict=True)


def test_duplicate_ids_are_an_error_naming_both_lines(tmp_path: Path) -> None:
    export = _write_jsonl(tmp_path / "p.jsonl", [PRODUCTS[0], PRODUCTS[1], PRODUCTS[0]])

    expected = r"p\.jsonl:3: duplicate product id 'rain-jacket-01' \(first on line 1\)"
    with pytest.raises(ProductFileError, match=expected):
        read_products_jsonl(export)


def test_missing_products_file_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ProductFileError, match="products file not found"):
        read_products_jsonl(tmp_path / "nope.jsonl")


# --- encoder ------------------------------------------------------------------------------


def test_product_text_holds_what_gets_embedded() -> None:
    product = CatalogProduct.model_validate(PRODUCTS[0])

    text = product_text(product)

    parts = ("Stormline Waterproof Rain Jacket", "Northpeak", "Rain jackets", "Navy", "taped seams")
    assert all(part in text for part in parts), text
    assert text.startswith(product.title)


def test_encode_returns_unit_float32_rows() -> None:
    vectors = encode(["cast iron pan", "rain jacket", "yoga mat"])

    assert vectors.shape == (3, EMBEDDING_DIM) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert load_encoder() is load_encoder()
    assert encode([]).shape == (0, EMBEDDING_DIM)


# --- index --------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "expected", "within"), RELEVANCE_CASES)
def test_search_ranks_the_expected_product(
    index: CatalogIndex, query: str, expected: set[str], within: int
) -> None:
    hits = index.search(query, k=5)

    top = [hit.product_id for hit in hits[:within]]
    assert expected & set(top), f"{query!r}: expected one of {expected} in top {within}, got {hits}"


def test_hits_are_ranked_best_first(index: CatalogIndex) -> None:
    hits = index.search("camping gear", k=100)

    assert len(hits) == len(index) == len(PRODUCTS)
    assert [hit.rank for hit in hits] == list(range(1, len(hits) + 1))
    assert all(a.score >= b.score for a, b in pairwise(hits))
    assert all(isinstance(hit, SearchHit) and -1.0 <= hit.score <= 1.0 + 1e-5 for hit in hits)


def test_search_many_matches_single_searches(index: CatalogIndex) -> None:
    queries = [case[0] for case in RELEVANCE_CASES[:4]]

    batched = index.search_many(queries, k=3)

    for query, hits in zip(queries, batched, strict=True):
        single = index.search(query, k=3)
        assert [h.product_id for h in hits] == [h.product_id for h in single]
        np.testing.assert_allclose([h.score for h in hits], [h.score for h in single], rtol=1e-4)


def test_save_and_load_round_trip_gives_identical_results(
    index: CatalogIndex, tmp_path: Path
) -> None:
    index.save(tmp_path / "idx")
    loaded = CatalogIndex.load(tmp_path / "idx")

    files = sorted(p.name for p in (tmp_path / "idx").iterdir())
    # no temporary files left
    assert files == ["encoder.onnx", "ids.json", "index.faiss", "meta.json", "products.jsonl"]
    umask = os.umask(0o022)
    os.umask(umask)
    for name in ("index.faiss", "encoder.onnx"):
        assert (tmp_path / "idx" / name).stat().st_mode & 0o777 == 0o666 & ~umask
    meta = json.loads((tmp_path / "idx" / "meta.json").read_text())
    assert meta["model_name"] == MODEL_NAME and meta["dimension"] == EMBEDDING_DIM
    assert meta["count"] == len(PRODUCTS) and meta["format_version"] == 2 and meta["built_at"]
    assert loaded.ids == index.ids and len(loaded) == len(index)
    for query, _, _ in RELEVANCE_CASES:
        # Both encode with the graph that embedded the products: same ranking,
        # scores equal to float32 rounding.
        before, after = index.search(query, k=5), loaded.search(query, k=5)
        assert [hit.product_id for hit in after] == [hit.product_id for hit in before]
        assert [hit.score for hit in after] == pytest.approx(
            [hit.score for hit in before], abs=1e-5
        )


def test_load_of_a_missing_index_names_the_build_command(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"

    with pytest.raises(IndexNotFoundError) as excinfo:
        CatalogIndex.load(missing)

    assert isinstance(excinfo.value, CatalogIndexError)  # what the search action catches

    assert str(excinfo.value) == (
        f"catalog index not found in {missing}: build it with "
        f"`python -m catalog build --products FILE --out {missing}`"
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("model_name", "other/model", "was built with other/model"),
        ("dimension", 768, "inconsistent"),
        ("format_version", 99, "format version 99"),
    ],
)
def test_load_refuses_an_index_that_does_not_fit(
    index: CatalogIndex, tmp_path: Path, field: str, value: Any, message: str
) -> None:
    index.save(tmp_path)
    meta_path = tmp_path / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, field: value}))

    with pytest.raises(IndexMismatchError, match=message):
        CatalogIndex.load(tmp_path)


def test_an_index_from_before_the_128_piece_builds_loads_and_upserts_at_its_own_256(
    index: CatalogIndex, tmp_path: Path
) -> None:
    index.save(tmp_path)
    meta_path = tmp_path / "meta.json"
    meta = json.loads(meta_path.read_text())
    assert meta["max_seq_length"] == DOCUMENT_TOKENS == 128
    assert meta["embedder"] == onnx_embedder(DOCUMENT_PRECISION)
    old = {key: value for key, value in meta.items() if key not in {"max_seq_length", "embedder"}}
    meta_path.write_text(json.dumps(old))
    export_onnx(load_encoder(), tmp_path / ONNX_FILE)  # those builds saved the fp32 graph
    long_text = " ".join(
        ["Folding camp stool with a carry strap, steel legs and a canvas seat."] * 12
    )
    stool = CatalogProduct(id="stool-01", title="Camp Stool", description=long_text)

    loaded = CatalogIndex.load(tmp_path)
    loaded.upsert([stool])

    assert loaded.meta.max_seq_length == 256
    assert loaded.meta.embedder == TORCH_EMBEDDER
    vector = loaded._dense.reconstruct(loaded._row_of["stool-01"])
    at_256 = encode(product_text(stool), encoder=load_encoder())[0]
    at_128 = encode(product_text(stool), encoder=load_encoder(), max_tokens=DOCUMENT_TOKENS)[0]
    assert float(vector @ at_256) > 0.9999 > float(vector @ at_128)


# --- CLI ----------------------------------------------------------------------------------


def test_cli_build_skips_the_bad_row_and_reports_count_and_time(
    cli_index_dir: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    index_dir, result = cli_index_dir

    assert result.returncode == 0, result.stderr
    assert f"indexed {len(PRODUCTS)} products into {index_dir} in " in result.stdout
    assert "products.jsonl:5: invalid JSON" in result.stderr
    assert len(json.loads((index_dir / "ids.json").read_text())) == len(PRODUCTS)


def test_cli_search_json(cli_index_dir: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    index_dir, _ = cli_index_dir

    query = "waterproof jacket for rain"
    result = _run_cli("search", "--index", str(index_dir), "--query", query, "-k", "3", "--json")

    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["query"] == "waterproof jacket for rain"
    assert len(payload["product_ids"]) == len(payload["scores"]) == 3
    assert payload["product_ids"][0] in {"rain-jacket-01", "rain-jacket-02"}


def test_cli_search_batch_tsv(
    cli_index_dir: tuple[Path, subprocess.CompletedProcess[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # In-process: the model is already loaded here, and a fresh interpreter costs ~10 s.
    index_dir, _ = cli_index_dir
    queries = tmp_path / "queries.tsv"
    queries.write_text(
        'query_id\tquery\nq1\tpan for cooking\nq2\tmat for yoga practice\nq3\t"quoted" tent\n',
        encoding="utf-8",
    )

    args = ["search", "--index", str(index_dir), "--queries", str(queries), "-k", "2", "--json"]
    code = cli.main(args)

    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["query_id"] for line in lines] == ["q1", "q2", "q3"]
    assert all(len(line["product_ids"]) == 2 for line in lines)
    assert lines[0]["product_ids"][0] in {"frying-pan-01", "saucepan-01"}
    assert lines[1]["product_ids"][0] == "yoga-mat-01"


def test_cli_search_plain_table(
    cli_index_dir: tuple[Path, subprocess.CompletedProcess[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    index_dir, _ = cli_index_dir

    args = ["search", "--index", str(index_dir), "--query", "mat for yoga practice", "-k", "2"]
    code = cli.main(args)

    assert code == 0
    header, first, second = capsys.readouterr().out.splitlines()
    assert header.split() == ["rank", "score", "product_id"]
    assert first.split()[0] == "1" and first.split()[2] == "yoga-mat-01"
    assert second.split()[0] == "2"


def test_cli_rejects_a_queries_file_without_the_header(
    cli_index_dir: tuple[Path, subprocess.CompletedProcess[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    index_dir, _ = cli_index_dir
    queries = tmp_path / "queries.tsv"
    queries.write_text("q1\ttent\n", encoding="utf-8")

    code = cli.main(["search", "--index", str(index_dir), "--queries", str(queries), "--json"])

    assert code == 2
    assert "header must name the columns query_id and query" in capsys.readouterr().err


def test_cli_user_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    result = _run_cli("search", "--index", str(tmp_path / "none"), "--query", "tent")

    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "build it with `python -m catalog build --products FILE --out" in result.stderr


def test_cli_build_csv_with_a_column_map(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # In-process, like the batch test: the model is already loaded.
    export = tmp_path / "p.csv"
    export.write_text(
        "sku,name,cost\nK1,Electric kettle,30\nK2,Chef knife,abc\nK3,Yoga mat,20\n",
        encoding="utf-8",
    )
    out = tmp_path / "idx"

    args = ["build", "--products", str(export), "--out", str(out), "--format", "csv"]
    code = cli.main([*args, "--map", "id=sku,title=name,price=cost"])

    assert code == 0
    assert "indexed 2 products" in capsys.readouterr().out
    assert any("p.csv:3: price 'abc' is not a number" in r.getMessage() for r in caplog.records)
    assert CatalogIndex.load(out).search("kettle for tea", k=1)[0].product_id == "K1"


# --- hybrid search, filters and live changes -----------------------------------------------


@pytest.fixture
def editable_index(index: CatalogIndex) -> CatalogIndex:
    """A fresh index of the test catalog that a test may change (the model is loaded)."""
    products = [CatalogProduct.model_validate(record) for record in PRODUCTS]
    return CatalogIndex.build(products, encoder=index.encoder, show_progress=False)


def test_a_filter_applies_inside_the_search_not_after_its_top_k(index: CatalogIndex) -> None:
    # The earbuds are nowhere near a tent's top 5, yet the brand filter must find them.
    hits = index.search("tent", k=5, filters=SearchFilters(brands=frozenset({"Sonic"})))

    assert [hit.product_id for hit in hits] == ["earbuds-01"]


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_every_mode_finds_the_product(index: CatalogIndex, mode: SearchMode) -> None:
    hits = index.search("merino wool socks", k=3, mode=mode)

    assert hits[0].product_id == "wool-socks-01"


def test_typos_are_corrected(index: CatalogIndex) -> None:
    assert index.search("casst iron skilet", k=1)[0].product_id == "frying-pan-01"


def test_price_and_stock_changes_apply_to_the_next_search(editable_index: CatalogIndex) -> None:
    assert editable_index.search("rain jacket under 30 dollars", k=5) == []

    editable_index.set_price("rain-jacket-02", 25.0)
    hits = editable_index.search("rain jacket under 30 dollars", k=5)
    assert [hit.product_id for hit in hits] == ["rain-jacket-02"]

    assert editable_index.set_stock("rain-jacket-02-yellow-m", 0)
    assert editable_index.search("rain jacket under 30 dollars in size M", k=5) == []


def test_upsert_and_delete_without_a_rebuild(editable_index: CatalogIndex, tmp_path: Path) -> None:
    kayak = CatalogProduct(id="kayak-01", title="Sit-on-top Kayak", category="Outdoor > Water")
    cheaper = CatalogProduct.model_validate({**PRODUCTS[0], "price": 10.0})

    editable_index.upsert([kayak, cheaper])
    editable_index.delete(["tent-01"])

    assert editable_index.search("kayak for paddling on the river", k=1)[0].product_id == "kayak-01"
    assert "tent-01" not in {h.product_id for h in editable_index.search("tent", k=30)}
    assert [h.product_id for h in editable_index.search("jacket under 20", k=5)] == [
        "rain-jacket-01"
    ]
    assert len(editable_index) == len(PRODUCTS)
    editable_index.save(tmp_path)
    loaded = CatalogIndex.load(tmp_path)
    assert sorted(loaded.ids) == sorted(editable_index.ids)
    assert loaded.search("kayak for paddling on the river", k=1)[0].product_id == "kayak-01"


def test_ivf_index_searches_and_filters_like_flat(index: CatalogIndex) -> None:
    products = [CatalogProduct.model_validate(record) for record in PRODUCTS]
    ivf = CatalogIndex.build(products, encoder=index.encoder, show_progress=False, kind="ivf")

    assert ivf.meta.kind == "ivf"
    for query, _, _ in RELEVANCE_CASES[:4]:
        assert ivf.search(query, k=1) == index.search(query, k=1)
    only = SearchFilters(brands=frozenset({"Sonic"}))
    assert [h.product_id for h in ivf.search("tent", k=3, filters=only)] == ["earbuds-01"]
