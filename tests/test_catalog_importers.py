"""Tests of the product importers (CSV, TSV, JSONL with a column mapping, Shopify CSV).

No model is loaded: each test writes a small export and reads it back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog import ProductFileError, import_products, parse_mapping

CSV_EXPORT = """product_id,product_name,product_description,product_class,brand_name,cost,colours
A1,Trail Shoe,Grippy shoe for mud,Footwear > Shoes,Stride,89.50,red|blue
A2,Rain Shell,Packable shell,Apparel > Jackets,Driftwood,abc,yellow
A3,"Tent, 2 person","Light tent, ""quick"" to pitch",Outdoor > Tents,Basecamp,"$1,299.00",green
A4,,No title here,Outdoor,Basecamp,10,
A5,Mug,Enamel mug,Kitchen,Homely,-3,white
"""
MAPPING = (
    "id=product_id,title=product_name,description=product_description,"
    "category=product_class,brand=brand_name,price=cost"
)

SHOPIFY_EXPORT = (
    "Handle,Title,Body (HTML),Vendor,Product Category,Type,Tags,Option1 Name,Option1 Value,"
    "Option2 Name,Option2 Value,Variant SKU,Variant Inventory Qty,Variant Price,Image Src\n"
    'storm-jacket,Storm Jacket,"<p>Taped <b>seams</b> &amp; hood</p>",Northpeak,'
    "Apparel > Jackets,Jacket,rain,Color,Navy,Size,S,SJ-NAVY-S,3,120.00,https://img/1.jpg\n"
    "storm-jacket,,,,,,,,Navy,,M,SJ-NAVY-M,0,120.00,\n"
    "storm-jacket,,,,,,,,Red,,M,SJ-RED-M,5,110.00,\n"
    "storm-jacket,,,,,,,,,,,,,,https://img/2.jpg\n"
    "enamel-mug,Enamel Mug,Camp mug,Homely,,Mug,,Title,Default Title,,,MUG-1,7,12.5,\n"
    "bad-price,Bad Price,x,Homely,,Mug,,Title,Default Title,,,BP-1,1,twelve,\n"
)


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_with_a_mapping_reads_good_rows_and_reports_each_bad_one(tmp_path: Path) -> None:
    export = _write(tmp_path / "p.csv", CSV_EXPORT)

    result = import_products(export, "csv", parse_mapping(MAPPING))

    assert [p.id for p in result.products] == ["A1", "A3"]
    shoe, tent = result.products
    assert (shoe.title, shoe.brand, shoe.price, shoe.colours) == (
        "Trail Shoe",
        "Stride",
        89.5,
        ("red", "blue"),
    )
    assert tent.title == "Tent, 2 person" and tent.price == 1299.0
    assert tent.category_path == ("Outdoor", "Tents")
    problems = [str(problem) for problem in result.problems]
    assert problems[0] == f"{export}:3: price 'abc' is not a number: write it like 12.50"
    assert problems[1] == f"{export}:5: missing title: the first row of a product needs one"
    assert problems[2] == f"{export}:6: price '-3' is negative: a price must be 0 or more"
    assert len(problems) == 3


def test_tsv_without_a_mapping_matches_columns_by_field_name(tmp_path: Path) -> None:
    export = _write(tmp_path / "p.tsv", "ID\tTitle\tPrice\tin_stock\nX1\tKettle\t30\tno\n")

    (kettle,) = import_products(export, "tsv").products

    assert (kettle.id, kettle.title, kettle.price, kettle.in_stock) == ("X1", "Kettle", 30, False)


def test_csv_rows_per_variant_group_by_id(tmp_path: Path) -> None:
    export = _write(
        tmp_path / "v.csv",
        "id,title,price,sku,colour,size,stock\n"
        "J1,Jacket,99,J1-R-S,red,S,0\nJ1,,95,J1-R-M,red,M,4\nJ1,,,J1-B-M,blue,M,2\n",
    )

    (jacket,) = import_products(export, "csv").products

    assert jacket.price == 95 and jacket.in_stock is True
    assert jacket.colours == ("red", "blue") and jacket.sizes == ("S", "M")
    assert [(v.sku, v.stock) for v in jacket.variants] == [
        ("J1-R-S", 0),
        ("J1-R-M", 4),
        ("J1-B-M", 2),
    ]


def test_missing_mapped_column_names_the_fix(tmp_path: Path) -> None:
    export = _write(tmp_path / "p.csv", CSV_EXPORT)

    with pytest.raises(ProductFileError, match=r"column 'name' \(mapped to title\).*fix --map"):
        import_products(export, "csv", parse_mapping("id=product_id,title=name"))


def test_missing_required_column_suggests_a_mapping(tmp_path: Path) -> None:
    export = _write(tmp_path / "p.csv", CSV_EXPORT)

    with pytest.raises(ProductFileError, match=r"--map id=COLUMN,title=COLUMN"):
        import_products(export, "csv")


@pytest.mark.parametrize(
    ("text", "message"),
    [("title", "not field=column"), ("name=x", "unknown field 'name'")],
)
def test_bad_mapping_is_refused(text: str, message: str) -> None:
    with pytest.raises(ProductFileError, match=message):
        parse_mapping(text)


def test_duplicate_id_in_csv_names_both_lines(tmp_path: Path) -> None:
    export = _write(tmp_path / "p.csv", "id,title\nA,One\nB,Two\nA,Three\n")

    with pytest.raises(ProductFileError, match=r"p\.csv:4: duplicate product id 'A'.*line 2"):
        import_products(export, "csv")


def test_a_row_that_is_not_utf8_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    export = tmp_path / "p.csv"
    export.write_bytes(b"id,title\nA,Caf\xe9 mug\nB,Plain mug\n")

    result = import_products(export, "csv")

    assert [p.id for p in result.products] == ["B"]
    assert [str(p) for p in result.problems] == [
        f"{export}:2: title is not UTF-8 text: re-save the file as UTF-8"
    ]


def test_jsonl_with_a_mapping(tmp_path: Path) -> None:
    export = tmp_path / "p.jsonl"
    rows = [{"sku": "S1", "name": "Lamp", "cost": 20}, {"sku": "S2", "cost": 5}]
    export.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")

    result = import_products(export, "jsonl", parse_mapping("id=sku,title=name,price=cost"))

    assert [(p.id, p.title, p.price) for p in result.products] == [("S1", "Lamp", 20.0)]
    assert [str(p) for p in result.problems] == [f"{export}:2: missing required key 'title'"]


def test_shopify_export_groups_variants_by_handle(tmp_path: Path) -> None:
    export = _write(tmp_path / "products_export.csv", SHOPIFY_EXPORT)

    result = import_products(export, "shopify")

    jacket, mug = result.products
    assert jacket.id == "storm-jacket" and jacket.title == "Storm Jacket"
    assert jacket.description == "Taped seams & hood"
    assert (jacket.brand, jacket.category, jacket.price) == ("Northpeak", "Apparel > Jackets", 110)
    assert jacket.colours == ("Navy", "Red") and jacket.sizes == ("S", "M")
    assert [(v.sku, v.colour, v.size, v.stock) for v in jacket.variants] == [
        ("SJ-NAVY-S", "Navy", "S", 3),
        ("SJ-NAVY-M", "Navy", "M", 0),
        ("SJ-RED-M", "Red", "M", 5),
    ]
    assert jacket.image_url == "https://img/1.jpg" and jacket.in_stock is True
    assert (mug.category, mug.price, mug.colours, mug.sizes) == ("Mug", 12.5, (), ())
    assert [str(p) for p in result.problems] == [
        f"{export}:7: price 'twelve' is not a number: write it like 12.50"
    ]


def test_a_csv_that_is_not_shopify_is_refused_with_the_fix(tmp_path: Path) -> None:
    export = _write(tmp_path / "p.csv", CSV_EXPORT)

    with pytest.raises(ProductFileError, match="not a Shopify product export"):
        import_products(export, "shopify")


def test_strict_mode_stops_at_the_first_bad_row(tmp_path: Path) -> None:
    export = _write(tmp_path / "p.csv", CSV_EXPORT)

    with pytest.raises(ProductFileError, match=r"p\.csv:3: price 'abc'.*fix or remove the row"):
        import_products(export, "csv", parse_mapping(MAPPING), strict=True)
