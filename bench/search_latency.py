"""Latency of one search request, build throughput and memory, at several catalog sizes.

For each size, an index is made from the demo export (2,200 products): larger
sizes (50k, 1M) clone the demo products under new ids with their vectors
jittered (Gaussian noise, re-normalised): embedding a million texts at build
speed would take hours, so the synthetic catalogs reuse the real embeddings;
the index, filters and BM25 have the real size. Build throughput is measured
separately, on real demo products (title, brand, category, colours, description):
``CatalogIndex.build`` itself (ONNX export, embedding, FAISS, BM25; the model
already loaded), next to the sentence-transformers torch encode at 256 word pieces
that the build used before, on the same products in the same run.

One request is what the action server does for a shopper query from the
labelled set: parse filters + typo fix + encode (the index's ONNX encoder) +
dense search in the filter mask + BM25 + fusion + the fetch of the ten products
and their variants from the shop DB by the action server's own
``actions.shown_products.load_products`` (synthetic ids map to their demo product).
The baseline, timed in the same run on the same queries, is the plain pipeline:
sentence-transformers (torch fp32) encode + flat FAISS search, nothing else.
Each figure is printed with the 1-minute load average when it was taken (the
machine is shared).

    .venv/bin/python bench/search_latency.py --sizes 2200 50000 [--requests 300] [--quick]
    .venv/bin/python bench/search_latency.py --sizes 1000000 --requests 200   # once: ~GBs
    .venv/bin/python bench/search_latency.py --build-only   # build throughput alone
    .venv/bin/python bench/search_latency.py --sizes 50000 --stages   # where a request's time goes
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import faiss
import numpy as np

from actions.shown_products import load_products
from bench.query_set import make_queries, read_products
from catalog import CatalogIndex, CatalogProduct, encode, load_encoder, product_text
from catalog.dense import DenseIndex
from catalog.index import CANDIDATES, IndexMeta, SearchOptions
from catalog.onnx_encoder import OnnxEncoder

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def load() -> str:
    """The 1-minute load average, printed next to each figure."""
    return f"{os.getloadavg()[0]:.1f}"


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


def synthetic(index: CatalogIndex, size: int, sources: dict[str, str]) -> CatalogIndex:
    """An index of ``size`` products cloned from ``index`` (vectors jittered).

    ``sources`` gets each clone's id mapped to its demo product's id (for the DB fetch).
    """
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
        sources[product.id + suffix] = product.id
        rows.append(source)
    noisy = vectors[rows] + rng.normal(0, 0.02, (size, vectors.shape[1])).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    meta = IndexMeta(index.meta.model_name, index.meta.dimension, size, index.meta.built_at)
    return CatalogIndex(DenseIndex.build(noisy), products, meta, encoder=index.encoder)


def time_requests(index: CatalogIndex, queries: list[str], sources: dict[str, str]) -> list[float]:
    """Milliseconds per full request: search (encode included) + the cards' DB fetch."""
    samples = []
    for query in queries:
        started = time.perf_counter()
        hits = index.search(query, k=10)
        load_products([sources.get(hit.product_id, hit.product_id) for hit in hits])
        samples.append((time.perf_counter() - started) * 1000)
    return samples


STAGES = ("plan (typo fix, filters, mask)", "encode", "FAISS", "BM25", "fusion", "card fetch")


def time_stages(index: CatalogIndex, queries: list[str], sources: dict[str, str]) -> None:
    """Prints p50 / p90 / p99 ms of each stage of a request, timed one after the other.

    The stages are the ones :meth:`CatalogIndex.search` runs (its private steps, called
    here in the same order), so the figures say where a request's time goes; their sum is
    close to, not exactly, the request's time.
    """
    options = SearchOptions()
    samples: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for query in queries:
        marks = [time.perf_counter()]
        plan = index._plan(query, options, 10)
        marks.append(time.perf_counter())
        vector = encode([plan.text], batch_size=1, encoder=index.encoder)[0]
        marks.append(time.perf_counter())
        scores, rows = index._dense.search(vector, CANDIDATES, plan.mask)
        marks.append(time.perf_counter())
        lexical = index._lexical_ranking(plan, CANDIDATES)
        marks.append(time.perf_counter())
        dense = [
            (r, v) for r, v in zip(rows[0].tolist(), scores[0].tolist(), strict=True) if r >= 0
        ]
        fused = index._fuse(vector, dense, lexical, 10)
        marks.append(time.perf_counter())
        ids = [str(index._rows[row]) for row, _ in fused]
        load_products([sources.get(product_id, product_id) for product_id in ids])
        marks.append(time.perf_counter())
        for stage, start, end in zip(STAGES, marks[:-1], marks[1:], strict=True):
            samples[stage].append((end - start) * 1000)
    print(f"| stage, {len(index):,} products | p50 ms | p90 ms | p99 ms |")
    print("| --- | --- | --- | --- |")
    for stage, values in samples.items():
        ordered = sorted(values)
        p50, p99 = percentiles(values)
        print(f"| {stage} | {p50:.2f} | {ordered[int(0.9 * (len(ordered) - 1))]:.2f} | {p99:.2f} |")


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


def build_throughput(products: list[CatalogProduct], count: int) -> None:
    """Prints products per second of the production build and of the torch encode it replaced."""
    sample = products[:count]
    model = load_encoder()
    encode([product_text(p) for p in sample[:64]], encoder=model)  # warm-up
    started = time.perf_counter()
    built = CatalogIndex.build(sample, encoder=model, show_progress=False)
    rate = len(sample) / (time.perf_counter() - started)
    print(
        f"build throughput, CatalogIndex.build ({built.meta.embedder}, "
        f"{built.meta.max_seq_length} word pieces, export + FAISS + BM25 included), "
        f"{len(sample)} demo products, batch 64: {rate:.0f} products/s (load {load()})",
        flush=True,
    )
    del built
    print(
        f"build throughput before, sentence-transformers torch fp32 encode, 256 word pieces, "
        f"same products, batch 64: {torch_throughput(model, sample):.0f} products/s "
        f"(load {load()})"
    )


def torch_throughput(model: SentenceTransformer, products: list[CatalogProduct]) -> float:
    """Products per second of the previous build path's embedding alone."""
    texts = [product_text(p) for p in products]
    started = time.perf_counter()
    encode(texts, batch_size=64, encoder=model)
    return len(texts) / (time.perf_counter() - started)


def serving_memory(index_dir: Path) -> str:
    """RSS of a fresh process that loads the index and searches, as the action server does."""
    code = (
        "import sys\n"
        "from catalog import CatalogIndex\n"
        f"ix = CatalogIndex.load({str(index_dir)!r}); ix.search('rain jacket under 100')\n"
        "rss = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmRSS')][0]\n"
        "print(int(rss) // 1024, 'torch' in sys.modules, type(ix.encoder).__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    return f"{out[0]} MiB (encoder {out[2]}, torch imported: {out[1]})"


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
    parser.add_argument("--build-sample", type=int, default=2200, help="products built")
    parser.add_argument("--build-only", action="store_true", help="only the build throughput")
    parser.add_argument(
        "--stages", action="store_true", help="per-stage times of a request at each size"
    )
    parser.add_argument("--quick", action="store_true", help="100 requests, 512-product build")
    parser.add_argument(
        "--faiss-sizes", type=int, nargs="*", default=[], help="flat vs IVF at these sizes"
    )
    args = parser.parse_args()
    if args.quick:
        args.requests, args.build_sample = 100, 512
    torch_threads = __import__("torch").get_num_threads()
    print(f"cpus: {os.cpu_count()}, torch threads: {torch_threads}, load {load()}")
    demo = CatalogIndex.load(args.index)
    products = [p for p in (demo.product(pid) for pid in demo.ids) if p is not None]
    if args.build_only:
        # The build's own log lines time its steps (export, quantization, embedding).
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
        logging.getLogger("catalog").setLevel(logging.INFO)
        build_throughput(products, args.build_sample)
        return
    if not isinstance(demo.encoder, OnnxEncoder):
        print("warning: the index has no encoder.onnx; requests are timed with torch")
    queries = [q.text for q in make_queries(read_products(args.products))]
    queries = (queries * (args.requests // len(queries) + 1))[: args.requests]
    demo.search("warm up", k=1)
    if args.faiss_sizes:
        faiss_crossover(demo, args.faiss_sizes)
        return
    print(f"serving process (load index + one search): {serving_memory(args.index)}, load {load()}")
    if not args.stages:
        print(
            "| products | kind | request p50 / p99 ms | load | baseline p50 / p99 ms | load "
            "| speed-up p50 | FAISS MiB | make s | bench RSS MiB |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for size in args.sizes:
        started = time.perf_counter()
        sources: dict[str, str] = {}
        index = demo if size == len(demo) else synthetic(demo, size, sources)
        made = time.perf_counter() - started
        index.search("warm up", k=1)
        if args.stages:
            time_stages(index, queries, sources)
            del index
            continue
        p50, p99 = percentiles(time_requests(index, queries, sources))
        at = load()
        b50, b99 = percentiles(time_baseline(index, queries))
        faiss_mib = faiss.serialize_index(index._dense.faiss_index).nbytes / 2**20
        print(
            f"| {size:,} | {index._dense.kind} | {p50:.1f} / {p99:.1f} | {at} "
            f"| {b50:.1f} / {b99:.1f} | {load()} | {b50 / p50:.1f}x | {faiss_mib:.0f} "
            f"| {made:.0f} (no embedding) | {rss_mib():.0f} |",
            flush=True,
        )
        del index
    if not args.stages:
        build_throughput(products, args.build_sample)


if __name__ == "__main__":
    main()
