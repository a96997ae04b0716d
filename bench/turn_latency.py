"""Per-turn latency of the demo conversation, measured through the gateway.

Starts the real stack on the embedded defaults (var/shop.db, var/index,
models/aisle.tar.gz; run `make run` or `make test` once first so they exist),
replays the demo conversation ROUNDS times in fresh conversations over the
gateway's HTTP API, and prints p50 / p95 / max per turn.

    .venv/bin/python bench/turn_latency.py --rounds 20
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

import httpx

from aisle.demo.personas import DEMO_CUSTOMER_EMAIL, DEMO_ORDERS
from aisle.settings import VAR_DIR
from aisle.stack import Stack, StackConfig, isolated_config

DEMO_CONVERSATION = [
    ("greet", "hi"),
    ("order status", f"where is order {DEMO_ORDERS['in_transit']}? email {DEMO_CUSTOMER_EMAIL}"),
    ("product search", "a warm waterproof jacket for hiking"),
    ("handoff", "I want to talk to a person"),
]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def run(rounds: int, gateway_url: str) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {name: [] for name, _ in DEMO_CONVERSATION}
    with httpx.Client(base_url=gateway_url, timeout=60) as client:
        for _ in range(rounds):
            conversation = f"bench-{uuid.uuid4().hex[:12]}"
            for name, text in DEMO_CONVERSATION:
                started = time.perf_counter()
                response = client.post(
                    f"/api/conversations/{conversation}/messages", json={"text": text}
                )
                response.raise_for_status()
                timings[name].append((time.perf_counter() - started) * 1000)
    return timings


def bench_config() -> StackConfig:
    """Ports and stores of its own, so a `make run` on the same machine is left alone."""
    return isolated_config(VAR_DIR / "bench", action_port=5155, rasa_port=5105, gateway_port=8100)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with Stack(bench_config(), echo=False) as stack:
        run(1, stack.config.gateway_url)  # warm-up: model loads, first index search
        timings = run(args.rounds, stack.config.gateway_url)
    print(f"{'turn':<16}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}   ({args.rounds} conversations)")
    for name, samples in timings.items():
        print(
            f"{name:<16}{statistics.median(samples):>10.0f}{percentile(samples, 0.95):>10.0f}"
            f"{max(samples):>10.0f}"
        )


if __name__ == "__main__":
    main()
