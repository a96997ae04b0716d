"""The ONNX encoder against the torch model it is exported from, on the demo catalog.

The index build exports the model to ONNX, quantizes it to int8 and embeds the products
with it (falling back to sentence-transformers, saying why, when it cannot); the index
saves that graph as ``encoder.onnx`` and a loaded index encodes queries with it (no
torch), falling back to torch, saying so, when the file is missing. Vectors and top-10
lists must match torch's on the benchmark's real shopper queries and on real demo
products: exactly for the fp32 export, in what the shopper sees for int8.
"""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.query_set import make_queries, read_products
from catalog import CatalogIndex, CatalogProduct, encode, load_encoder, read_products_jsonl
from catalog.embedding import (
    DOCUMENT_PRECISION,
    MIN_DOCUMENT_COSINE,
    TORCH_EMBEDDER,
    DocumentPrecision,
    onnx_embedder,
)
from catalog.encoder import DOCUMENT_TOKENS, product_text
from catalog.onnx_encoder import MIN_COSINE, ONNX_FILE, OnnxEncoder, export_onnx


@pytest.fixture(scope="module")
def queries(demo_shop: dict[str, Path | str]) -> list[str]:
    """The generated benchmark queries (typos, constraints, vague wording) of the demo shop."""
    return [q.text for q in make_queries(read_products(Path(demo_shop["products_file"])))]


@pytest.fixture(scope="module")
def onnx_index(demo_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> CatalogIndex:
    """The demo index with an fp32 export of the model as its query encoder."""
    folder = tmp_path_factory.mktemp("onnx_index")
    for path in demo_index_dir.iterdir():
        shutil.copy(path, folder / path.name)
    export_onnx(load_encoder(), folder / ONNX_FILE)
    return CatalogIndex.load(folder)


def test_onnx_vectors_agree_with_torch_on_real_queries(
    onnx_index: CatalogIndex, queries: list[str]
) -> None:
    assert isinstance(onnx_index.encoder, OnnxEncoder)
    onnx = encode(queries, encoder=onnx_index.encoder)
    torch = encode(queries, encoder=load_encoder())

    cosines = (onnx * torch).sum(axis=1)
    assert onnx.shape == torch.shape == (len(queries), 384)
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-4)
    assert cosines.min() >= MIN_COSINE, queries[int(cosines.argmin())]


def test_onnx_search_gives_torchs_top_10_on_most_queries(
    onnx_index: CatalogIndex, demo_index_dir: Path, queries: list[str]
) -> None:
    torch_index = CatalogIndex.load(demo_index_dir, encoder=load_encoder())
    onnx_lists = onnx_index.search_many(queries, k=10)
    torch_lists = torch_index.search_many(queries, k=10)
    same = sum(
        [hit.product_id for hit in a] == [hit.product_id for hit in b]
        for a, b in zip(onnx_lists, torch_lists, strict=True)
    )

    assert same >= 0.9 * len(queries), f"{same} of {len(queries)} top-10 lists equal"


def test_the_built_int8_query_encoder_finds_what_torch_finds(
    demo_index_dir: Path, queries: list[str]
) -> None:
    """The demo index encodes queries with the int8 graph that embedded its products.

    Its vectors stray further from torch's than fp32's (worst cosine 0.980 measured), so
    the check is on what the shopper sees: the same products in the top ten, the same
    first product on nearly every query (NDCG is compared in bench/search_quality.py).
    """
    index = CatalogIndex.load(demo_index_dir)
    torch_index = CatalogIndex.load(demo_index_dir, encoder=load_encoder())
    assert index.meta.embedder == onnx_embedder("int8")
    int8 = encode(queries, encoder=index.encoder)
    cosines = (int8 * encode(queries, encoder=load_encoder())).sum(axis=1)

    int8_lists = index.search_many(queries, k=10)
    torch_lists = torch_index.search_many(queries, k=10)
    overlap = np.mean(
        [
            len({hit.product_id for hit in a} & {hit.product_id for hit in b}) / max(1, len(b))
            for a, b in zip(int8_lists, torch_lists, strict=True)
        ]
    )
    same_first = sum(
        a[0].product_id == b[0].product_id for a, b in zip(int8_lists, torch_lists, strict=True)
    )

    assert cosines.min() >= MIN_DOCUMENT_COSINE["int8"] - 0.01, queries[int(cosines.argmin())]
    assert overlap >= 0.95
    assert same_first >= 0.9 * len(queries), f"{same_first} of {len(queries)} first hits equal"


def test_build_writes_the_encoder_that_load_uses(
    demo_shop: dict[str, Path | str], tmp_path: Path
) -> None:
    products = read_products_jsonl(Path(demo_shop["products_file"]))[:30]
    built = CatalogIndex.build(products, show_progress=False).save(tmp_path / "built")

    assert (built / ONNX_FILE).stat().st_size > 1_000_000
    loaded = CatalogIndex.load(built)
    assert isinstance(loaded.encoder, OnnxEncoder)
    assert loaded.search(products[3].title, k=1)[0].product_id == products[3].id
    # The saved encoder is the graph that embedded the products: given the same batch (int8
    # activations are quantized per batch), it gives their vectors back.
    texts = [product_text(product) for product in products]
    again = loaded.encoder.encode(texts, batch_size=64, max_tokens=DOCUMENT_TOKENS)
    assert ((again * _vectors(loaded)).sum(axis=1) > 0.9999).all()

    copied = loaded.save(tmp_path / "copied")
    assert (copied / ONNX_FILE).read_bytes() == (built / ONNX_FILE).read_bytes()


def test_an_index_without_the_encoder_falls_back_to_torch_and_says_so(
    demo_index_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    for path in demo_index_dir.iterdir():
        if path.name != ONNX_FILE:
            shutil.copy(path, folder / path.name)

    index = CatalogIndex.load(folder)
    with caplog.at_level(logging.WARNING, logger="catalog.index"):
        hits = index.search("waterproof jacket", k=3)

    assert index.encoder is load_encoder()
    assert len(hits) == 3
    assert any(ONNX_FILE in record.getMessage() for record in caplog.records)


LONG = 8
"""Products of :func:`mixed_products` whose text runs past 128 word pieces (the first ones)."""


@pytest.fixture(scope="module")
def mixed_products(demo_shop: dict[str, Path | str]) -> list[CatalogProduct]:
    """Real demo products (41-118 word pieces), copies with the description thrice (past
    128) and copies without one: batches whose texts differ in length."""
    products = read_products_jsonl(Path(demo_shop["products_file"]))[:24]
    wordy = [p for p in products if p.description and len(p.description.split()) >= 30]
    long = [
        product.model_copy(
            update={"id": product.id + "-long", "description": f"{product.description} " * 4}
        )
        for product in wordy[:LONG]
    ]
    assert len(long) == LONG
    short = [
        product.model_copy(update={"id": product.id + "-short", "description": ""})
        for product in products[::3]
    ]
    return [*long, *products, *short]


def _vectors(index: CatalogIndex) -> np.ndarray:
    return np.vstack([index._dense.reconstruct(row) for row in range(len(index))])


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_build_embeds_products_with_onnx_as_sentence_transformers_does_at_128(
    mixed_products: list[CatalogProduct], precision: DocumentPrecision
) -> None:
    index = CatalogIndex.build(
        mixed_products, show_progress=False, batch_size=8, precision=precision
    )
    texts = [product_text(product) for product in mixed_products]
    at_128 = encode(texts, encoder=load_encoder(), max_tokens=DOCUMENT_TOKENS)
    at_256 = encode(texts, encoder=load_encoder())

    assert index.meta.embedder == onnx_embedder(precision)
    assert index.meta.max_seq_length == DOCUMENT_TOKENS == 128
    cosines = (_vectors(index) * at_128).sum(axis=1)
    assert cosines.min() >= MIN_DOCUMENT_COSINE[precision], texts[int(cosines.argmin())]
    if precision == "fp32":
        assert MIN_DOCUMENT_COSINE["fp32"] == MIN_COSINE == 0.99
        # The long texts really were cut at 128 pieces: torch's 256-piece vectors differ.
        assert (_vectors(index)[:LONG] * at_256[:LONG]).sum(axis=1).max() < 0.999


def test_a_build_without_onnxruntime_embeds_with_sentence_transformers_and_says_why(
    mixed_products: list[CatalogProduct],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if it were not installed
    with caplog.at_level(logging.WARNING, logger="catalog.embedding"):
        index = CatalogIndex.build(mixed_products, show_progress=False)
    texts = [product_text(product) for product in mixed_products]
    expected = encode(texts, encoder=load_encoder(), max_tokens=DOCUMENT_TOKENS)

    assert index.meta.embedder == TORCH_EMBEDDER
    assert index.meta.max_seq_length == DOCUMENT_TOKENS
    np.testing.assert_allclose(_vectors(index), expected, atol=1e-5)
    (warning,) = [
        r.getMessage()
        for r in caplog.records
        if r.name == "catalog.embedding" and r.levelno == logging.WARNING
    ]
    reason = warning.split("instead of onnxruntime: ")[1]
    assert reason.startswith(("ImportError", "ModuleNotFoundError")), warning
    assert "onnxruntime" in reason
    title = mixed_products[LONG + 1].title  # its copies share the title
    hit = index.search(title, k=1)[0]
    assert (product := index.product(hit.product_id)) is not None and product.title == title


def test_a_saved_build_records_what_embedded_it_and_upserts_alike(
    mixed_products: list[CatalogProduct], tmp_path: Path
) -> None:
    CatalogIndex.build(mixed_products[:6], show_progress=False).save(tmp_path)
    loaded = CatalogIndex.load(tmp_path)
    added = mixed_products[10]

    loaded.upsert([added])

    assert loaded.meta.embedder == onnx_embedder(DOCUMENT_PRECISION)
    assert loaded.meta.max_seq_length == DOCUMENT_TOKENS
    vector = loaded._dense.reconstruct(loaded._row_of[added.id])
    expected = encode(product_text(added), encoder=load_encoder(), max_tokens=DOCUMENT_TOKENS)
    assert float(vector @ expected[0]) >= MIN_COSINE
