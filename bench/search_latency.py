"""Latency of one search request, build throughput and memory, at several catalog sizes.

For each size, an index is made from the demo export (2,200 products): larger
sizes clone the demo products under new ids with their vectors jittered
(Gaussian noise, re-normalised), so the index, filters and BM25 have the real
size while the 50k embeddings need not be computed. Each request is one shopper
query from the labelled set: parse filters + typo fix + encode + dense search in
the filter mask + BM25 + fusion. The baseline is the plain pipeline: the
sentence-transformers encode plus a flat FAISS search, nothing else. Build
throughput embeds title + description of real demo products.

    .venv/bin/python bench/search_latency.py --sizes 2200 50000 [--requests 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import faiss
import numpy as np

from bench.query_set import make_queries, read_products
from catalog import CatalogIndex, CatalogProduct, encode, load_encoder, product_text
from catalog.dense import DenseIndex
from catalog.index import IndexMeta


def rss_mib() -> float:
    """Resident memory of this process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def synthetic(index: CatalogIndex, size: int) -> CatalogIndex:
    """An index of ``size`` products cloned from ``index`` (vectors jittered)."""
    base = [index.product(pid) for pid in index.ids]
    vectors = np.vstack([index._dense.reconstruct(row) for row in range(len(base))])
    rng = np.random.default_rng(0)
    products: list[CatalogProduct] = []
    rows = []
    for i in range(size):
        source = i % len(base)
        product = base[source]
        assert product is not None
        copy = i // len(base)
        suffix = f"-{copy}" if copy else ""
        variants = [v.model_copy(update={"sku": v.sku + suffix}) for v in product.variants]
        products.append(
            product.model_copy(update={"id": product.id + suffix, "variants": variants})
        )
        rows.append(source)
    noisy = vectors[rows] + rng.normal(0, 0.02, (size, vectors.shape[1])).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    meta = IndexMeta(index.meta.model_name, index.meta.dimension, size, index.meta.built_at)
    return CatalogIndex(DenseIndex.build(noisy), products, meta, encoder=index.encoder)


def time_requests(index: CatalogIndex, queries: list[str]) -> list[float]:
    samples = []
    for query in queries:
        started = time.perf_counter()
        index.search(query, k=10)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def time_baseline(index: CatalogIndex, queries: list[str]) -> list[float]:
    """sentence-transformers encode + flat FAISS search, as the catalog did before."""
    flat = faiss.IndexFlatIP(index.meta.dimension)
    flat.add(np.vstack([index._dense.reconstruct(r) for r in range(len(index._rows))]))
    model = load_encoder()
    samples = []
    for query in queries:
        started = time.perf_counter()
        vector = model.encode([query], convert_to_numpy=True, normalize_embeddings=True)
        flat.search(np.ascontiguousarray(vector, dtype=np.float32), 10)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def build_throughput(products: list[CatalogProduct], count: int) -> float:
    texts = [product_text(p) for p in products[:count]]
    started = time.perf_counter()
    encode(texts, batch_size=64)
    return len(texts) / (time.perf_counter() - started)


def faiss_crossover(demo: CatalogIndex, sizes: list[int], queries: int = 200) -> None:
    """Flat vs IVF search time (one thread, k=100) and IVF recall@10 on jittered demo vectors.

    This is where :data:`catalog.dense.IVF_THRESHOLD` comes from.
    """
    base = np.vstack([demo._dense.reconstruct(row) for row in range(len(demo))])
    rng = np.random.default_rng(1)
    print("| vectors | flat ms | IVF ms (nprobe 32) | IVF recall@10 | IVF train + add s |")
    print("| --- | --- | --- | --- | --- |")
    for size in sizes:
        picks = rng.integers(0, len(base), size)
        vectors = base[picks] + rng.normal(0, 0.02, (size, base.shape[1])).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        probe = vectors[rng.integers(0, size, queries)] + rng.normal(0, 0.05, (queries, 384))
        probe = (probe / np.linalg.norm(probe, axis=1, keepdims=True)).astype(np.float32)
        flat = DenseIndex.build(vectors, "flat")
        started = time.perf_counter()
        ivf = DenseIndex.build(vectors, "ivf")
        built = time.perf_counter() - started
        times: dict[str, list[float]] = {"flat": [], "ivf": []}
        found: dict[str, list[set[int]]] = {"flat": [], "ivf": []}
        for name, index in (("flat", flat), ("ivf", ivf)):
            for row in probe:
                started = time.perf_counter()
                _, rows = index.search(row, 100)
                times[name].append((time.perf_counter() - started) * 1000)
                found[name].append(set(rows[0][:10].tolist()))
        recall = statistics.mean(
            len(a & b) / 10 for a, b in zip(found["flat"], found["ivf"], strict=True)
        )
        print(
            f"| {size:,} | {statistics.median(times['flat']):.2f} | "
            f"{statistics.median(times['ivf']):.2f} | {recall:.3f} | {built:.1f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("var/index"))
    parser.add_argument("--products", type=Path, default=Path("var/demo/products.jsonl"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[2200, 50_000])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--build-sample", type=int, default=512)
    parser.add_argument(
        "--faiss-sizes", type=int, nargs="*", default=[], help="flat vs IVF at these sizes"
    )
    args = parser.parse_args()
    print(f"cpus: {os.cpu_count()}, torch threads: {__import__('torch').get_num_threads()}")
    demo = CatalogIndex.load(args.index)
    queries = [q.text for q in make_queries(read_products(args.products))]
    queries = (queries * (args.requests // len(queries) + 1))[: args.requests]
    demo.search("warm up", k=1)
    if args.faiss_sizes:
        faiss_crossover(demo, args.faiss_sizes)
        return
    print(f"RSS after loading the demo index and the model: {rss_mib():.0f} MiB")
    print("| products | kind | p50 ms | p99 ms | baseline p50 / p99 ms | index build s | RSS MiB |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for size in args.sizes:
        started = time.perf_counter()
        index = demo if size == len(demo) else synthetic(demo, size)
        built = time.perf_counter() - started
        index.search("warm up", k=1)
        p50, p99 = percentiles(time_requests(index, queries))
        b50, b99 = percentiles(time_baseline(index, queries))
        print(
            f"| {size:,} | {index._dense.kind} | {p50:.1f} | {p99:.1f} | {b50:.1f} / {b99:.1f} "
            f"| {built:.1f} (no embedding) | {rss_mib():.0f} |"
        )
        del index
    products = [demo.product(pid) for pid in demo.ids]
    rate = build_throughput([p for p in products if p is not None], args.build_sample)
    print(f"build throughput (embedding title + description, batch 64): {rate:.0f} products/s")


if __name__ == "__main__":
    main()
