"""Search quality on the labelled demo query set: NDCG@10 and recall@50 per ranker.

Builds the query set (bench/query_set.py) from the demo export, searches the
demo index (var/index: `make index`) with each configuration and prints a
table. "baseline" is the search before hybrid ranking: dense only, no filters,
no typo correction (the plain sentence-transformers + flat FAISS pipeline).

    .venv/bin/python bench/search_quality.py [--index var/index] [--json]
    .venv/bin/python bench/search_quality.py --sets    # generated / paraphrase / both, tuned
    .venv/bin/python bench/search_quality.py --builds  # build embedding paths: speed, quality

``--sets`` adds the hand-written paraphrase set (shoppers' words, not the
catalog's: bench/query_set.py PARAPHRASES). Each set is split into a tuning third
and a held-out two thirds (:func:`bench.query_set.split`); the dense share of
the fusion is chosen on the tuning queries of both sets together and every figure
is reported on the held-out queries only.

``--builds`` embeds the demo products by each candidate path of the index build
(sentence-transformers torch at 256 and 128 word pieces, the exported graph on
onnxruntime fp32 and int8, and ``CatalogIndex.build`` itself), times each, and
scores dense and hybrid search on both query sets (all queries, dense share 0.5)
with the same fp32 ONNX query encoder, so only the product vectors differ.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

import catalog.index
from bench.query_set import make_paraphrases, make_queries, read_products, split
from catalog import CatalogIndex, encode, load_encoder, product_text, read_products_jsonl
from catalog.dense import DenseIndex
from catalog.encoder import DOCUMENT_TOKENS
from catalog.evaluation import ndcg_at_k, recall_at_k
from catalog.index import SearchOptions
from catalog.onnx_encoder import BUILD_THREADS, ONNX_FILE, OnnxEncoder, quantize_int8

CONFIGS: dict[str, SearchOptions] = {
    "baseline (dense, no filters, no typo fix)": SearchOptions(
        mode="dense", parse=False, typo_tolerant=False
    ),
    "lexical (BM25)": SearchOptions(mode="lexical"),
    "dense": SearchOptions(mode="dense"),
    "hybrid (score fusion)": SearchOptions(mode="hybrid"),
    "hybrid, no typo fix": SearchOptions(mode="hybrid", typo_tolerant=False),
    "hybrid, no filters": SearchOptions(mode="hybrid", parse=False),
}


def evaluate(index: CatalogIndex, queries: list, options: SearchOptions) -> dict[str, float]:
    """Returns mean NDCG@10 and recall@50 of ``options`` over ``queries``."""
    started = time.perf_counter()
    results = index.search_many([q.text for q in queries], k=50, options=options)
    elapsed = time.perf_counter() - started
    ranked = [[hit.product_id for hit in hits] for hits in results]
    typo = [i for i, q in enumerate(queries) if q.typo] or list(range(len(queries)))
    return {
        "ndcg@10": statistics.mean(
            ndcg_at_k(r, q.labels, 10) for r, q in zip(ranked, queries, strict=True)
        ),
        "recall@50": statistics.mean(
            recall_at_k(r, q.labels, 50) for r, q in zip(ranked, queries, strict=True)
        ),
        "ndcg@10 typo queries": statistics.mean(
            ndcg_at_k(ranked[i], queries[i].labels, 10) for i in typo
        ),
        "ms/query (batched)": 1000 * elapsed / len(queries),
    }


def print_by_template(index: CatalogIndex, queries: list) -> None:
    """Prints NDCG@10 per query template and ranker (where each ranker wins)."""
    templates = sorted({q.template for q in queries})
    print("| ranker | " + " | ".join(templates) + " |")
    for name, options in CONFIGS.items():
        results = index.search_many([q.text for q in queries], k=10, options=options)
        cells = []
        for template in templates:
            pairs = [
                (r, q) for r, q in zip(results, queries, strict=True) if q.template == template
            ]
            cells.append(
                statistics.mean(
                    ndcg_at_k([h.product_id for h in r], q.labels, 10) for r, q in pairs
                )
            )
        print(f"| {name} | " + " | ".join(f"{cell:.3f}" for cell in cells) + " |")


DENSE_SHARES = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
"""Weights of the cosine in the fusion tried on the tuning split (BM25 gets the rest)."""

RANKERS = {
    "lexical": SearchOptions(mode="lexical"),
    "dense": SearchOptions(mode="dense"),
    "hybrid": SearchOptions(mode="hybrid"),
}


def tune_dense_share(index: CatalogIndex, tuning: list) -> float:
    """The dense share with the best NDCG@10 on ``tuning`` (sets it in the index)."""
    scores = {}
    for share in DENSE_SHARES:
        catalog.index.DENSE_SHARE = share
        scores[share] = evaluate(index, tuning, RANKERS["hybrid"])["ndcg@10"]
        print(f"tuning: dense share {share}: NDCG@10 {scores[share]:.3f}")
    best = max(scores, key=lambda share: scores[share])
    catalog.index.DENSE_SHARE = best
    return best


def report_sets(index: CatalogIndex, products: list) -> None:
    """Tunes the fusion on the tuning split, then prints held-out figures per set."""
    generated_tune, generated_test = split(make_queries(products))
    paraphrase_tune, paraphrase_test = split(make_paraphrases(products))
    default = catalog.index.DENSE_SHARE
    best = tune_dense_share(index, generated_tune + paraphrase_tune)
    print(
        f"dense share {best} chosen on {len(generated_tune) + len(paraphrase_tune)} tuning "
        f"queries (default {default}); held-out figures:"
    )
    sets = {
        "generated": generated_test,
        "paraphrase": paraphrase_test,
        "both": generated_test + paraphrase_test,
    }
    print("| set | queries | ranker | NDCG@10 | recall@50 |")
    print("| --- | --- | --- | --- | --- |")
    for name, queries in sets.items():
        for ranker, options in RANKERS.items():
            row = evaluate(index, queries, options)
            print(
                f"| {name} | {len(queries)} | {ranker} | {row['ndcg@10']:.3f} "
                f"| {row['recall@50']:.3f} |"
            )


TORCH_128 = f"torch fp32, {DOCUMENT_TOKENS} pieces"
"""The reference the other candidates' vectors are compared with (sentence-transformers)."""


def compare_builds(products_file: Path) -> None:
    """Embeds the demo catalog by each build candidate; prints speed, fidelity and quality."""
    products = read_products_jsonl(products_file)
    texts = [product_text(p) for p in products]
    dicts = read_products(products_file)
    sets = {"generated": make_queries(dicts), "paraphrase": make_paraphrases(dicts)}
    model = load_encoder()
    encode(texts[:64], encoder=model)  # warm-up: the first batch pays for lazy set-up
    with tempfile.TemporaryDirectory() as work:
        started = time.perf_counter()
        built = CatalogIndex.build(products, encoder=model, show_progress=False)
        build_s, build_load = time.perf_counter() - started, os.getloadavg()[0]
        print(f"CatalogIndex.build: {len(texts) / build_s:.0f} products/s (load {build_load:.1f})")
        fp32 = built.save(Path(work) / "built") / ONNX_FILE
        int8 = quantize_int8(fp32, Path(work) / "int8.onnx", signed=True)
        query_encoder = OnnxEncoder(fp32)  # the serving path: fp32, 1 thread, for every row
        runs: dict[str, tuple[np.ndarray, float, float]] = {}
        ort = f"onnxruntime {{}} {BUILD_THREADS} threads, {{}} pieces"
        candidates: dict[str, Callable[[], np.ndarray]] = {
            "before: torch fp32, 256 pieces": lambda: encode(texts, encoder=model),
            TORCH_128: lambda: encode(texts, encoder=model, max_tokens=DOCUMENT_TOKENS),
            ort.format("fp32", DOCUMENT_TOKENS): lambda: _onnx(fp32, DOCUMENT_TOKENS, texts),
            ort.format("int8", DOCUMENT_TOKENS): lambda: _onnx(int8, DOCUMENT_TOKENS, texts),
        }
        for name, embed in candidates.items():
            runs[name] = _timed(embed, len(texts))
            print(f"{name}: {runs[name][1]:.0f} products/s (load {runs[name][2]:.1f})", flush=True)
        vectors = np.vstack([built._dense.reconstruct(row) for row in range(len(built))])
        runs[f"CatalogIndex.build ({built.meta.embedder}, export included)"] = (
            vectors,
            len(texts) / build_s,
            build_load,
        )
        _print_builds(runs, products, sets, query_encoder)


def _onnx(path: Path, max_tokens: int, texts: list[str]) -> np.ndarray:
    encoder = OnnxEncoder(path, threads=BUILD_THREADS, max_tokens=max_tokens)
    return encoder.encode(texts)


def _timed(embed: Callable[[], np.ndarray], count: int) -> tuple[np.ndarray, float, float]:
    """Vectors, products per second and the 1-minute load average when done."""
    started = time.perf_counter()
    vectors = embed()
    return vectors, count / (time.perf_counter() - started), os.getloadavg()[0]


def _print_builds(
    runs: dict[str, tuple[np.ndarray, float, float]],
    products: list,
    sets: dict[str, list],
    query_encoder: OnnxEncoder,
) -> None:
    before = next(iter(runs.values()))[0]
    reference = runs[TORCH_128][0]
    print(
        f"{len(products)} products; queries: " + ", ".join(f"{n} {len(q)}" for n, q in sets.items())
    )
    print(
        "| product vectors | products/s (load) | cosine to torch 128: min / mean "
        "| to before: mean | "
        + " | ".join(f"{n} {r} NDCG@10 / R@50" for n in sets for r in ("dense", "hybrid"))
        + " |"
    )
    print("| --- " * (4 + 2 * len(sets)) + "|")
    for name, (vectors, rate, at) in runs.items():
        meta = catalog.index.IndexMeta("x", vectors.shape[1], len(products), "now")
        index = CatalogIndex(DenseIndex.build(vectors), products, meta, encoder=query_encoder)
        to_ref = (vectors * reference).sum(axis=1)
        cells = []
        for queries in sets.values():
            for ranker in ("dense", "hybrid"):
                row = evaluate(index, queries, RANKERS[ranker])
                cells.append(f"{row['ndcg@10']:.3f} / {row['recall@50']:.3f}")
        print(
            f"| {name} | {rate:.0f} ({at:.1f}) | {to_ref.min():.4f} / {to_ref.mean():.4f} "
            f"| {(vectors * before).sum(axis=1).mean():.4f} | " + " | ".join(cells) + " |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("var/index"))
    parser.add_argument("--products", type=Path, default=Path("var/demo/products.jsonl"))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--by-template", action="store_true", help="NDCG@10 per query template")
    parser.add_argument("--sets", action="store_true", help="generated / paraphrase / both")
    parser.add_argument("--builds", action="store_true", help="build embedding candidates")
    args = parser.parse_args()
    if args.builds:
        compare_builds(args.products)
        return
    if args.sets:
        index = CatalogIndex.load(args.index)
        report_sets(index, read_products(args.products))
        return
    queries = make_queries(read_products(args.products))
    index = CatalogIndex.load(args.index)
    index.search("warm up", k=1)
    rows = {name: evaluate(index, queries, options) for name, options in CONFIGS.items()}
    if args.by_template:
        print_by_template(index, queries)
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(
        f"{len(queries)} queries ({sum(q.typo for q in queries)} with a typo), "
        f"{len(index)} products"
    )
    print("| ranker | NDCG@10 | recall@50 | NDCG@10 (typo queries) | ms/query |")
    print("| --- | --- | --- | --- | --- |")
    for name, row in rows.items():
        print(
            f"| {name} | {row['ndcg@10']:.3f} | {row['recall@50']:.3f} | "
            f"{row['ndcg@10 typo queries']:.3f} | {row['ms/query (batched)']:.1f} |"
        )


if __name__ == "__main__":
    main()
