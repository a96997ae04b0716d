"""The ONNX query encoder against the torch model it is exported from, on the demo catalog.

The index build writes ``encoder.onnx``; a loaded index encodes queries with it
(no torch) and falls back to torch, saying so, when the file is missing. Vectors
and top-10 lists must match torch's on the benchmark's real shopper queries.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from bench.query_set import make_queries, read_products
from catalog import CatalogIndex, encode, load_encoder, read_products_jsonl
from catalog.onnx_encoder import MIN_COSINE, ONNX_FILE, OnnxEncoder, export_onnx


@pytest.fixture(scope="module")
def queries(demo_shop: dict[str, Path | str]) -> list[str]:
    """The generated benchmark queries (typos, constraints, vague wording) of the demo shop."""
    return [q.text for q in make_queries(read_products(Path(demo_shop["products_file"])))]


@pytest.fixture(scope="module")
def onnx_index(demo_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> CatalogIndex:
    """The demo index with its exported encoder (exported here when the prebuilt lacks it)."""
    folder = tmp_path_factory.mktemp("onnx_index")
    for path in demo_index_dir.iterdir():
        shutil.copy(path, folder / path.name)
    if not (folder / ONNX_FILE).exists():
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


def test_build_writes_the_encoder_that_load_uses(
    demo_shop: dict[str, Path | str], tmp_path: Path
) -> None:
    products = read_products_jsonl(Path(demo_shop["products_file"]))[:30]
    built = CatalogIndex.build(products, show_progress=False).save(tmp_path / "built")

    assert (built / ONNX_FILE).stat().st_size > 1_000_000
    loaded = CatalogIndex.load(built)
    assert isinstance(loaded.encoder, OnnxEncoder)
    assert loaded.search(products[3].title, k=1)[0].product_id == products[3].id

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
