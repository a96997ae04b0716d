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
from pathlib import Path

import httpx

from aisle.demo.personas import DEMO_CUSTOMER_EMAIL, DEMO_ORDERS
from aisle.settings import VAR_DIR
from aisle.stack import Stack, StackConfig, isolated_config

DEMO_CONVERSATION = [
    ("greet", "hi"),
    ("order status", f"where is order {DEMO_ORDERS['in_transit']}? email {DEMO_CUSTOMER_EMAIL}"),
    ("product search", "a warm waterproof jacket for hiking"),
    (
        "return: verify",
        f"i want to return the jacket from order {DEMO_ORDERS['delivered']}, it's too small, "
        f"email {DEMO_CUSTOMER_EMAIL}",
    ),
    ("return: refund", "money back please"),
    ("return: decline", "no"),  # nothing is written: the demo shop stays as seeded
    ("cancel: verify", f"cancel order {DEMO_ORDERS['processing']} {DEMO_CUSTOMER_EMAIL}"),
    ("cancel: decline", "no"),
    ("handoff", "I want to talk to a person"),
]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (Sanic serves from a worker process)."""
    total_kib = 0
    pids = [pid, *_children(pid)]
    for each in pids:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total_kib += int(line.split()[1])
    return total_kib / 1024


def _children(pid: int) -> list[int]:
    children_file = Path(f"/proc/{pid}/task/{pid}/children")
    direct = [int(child) for child in children_file.read_text().split()]
    return direct + [grandchild for child in direct for grandchild in _children(child)]


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
    started = time.perf_counter()
    with Stack(bench_config(), echo=False) as stack:
        ready = time.perf_counter() - started
        run(1, stack.config.gateway_url)  # warm-up: first turn of each kind
        timings = run(args.rounds, stack.config.gateway_url)
        memory = {
            service.name: rss_mib(service.process.pid)
            for service in stack.services
            if service.process
        }
    print(
        f"stack ready in {ready:.1f} s; resident memory: "
        + ", ".join(f"{name} {mib:.0f} MiB" for name, mib in memory.items())
    )
    print(f"{'turn':<16}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}   ({args.rounds} conversations)")
    for name, samples in timings.items():
        print(
            f"{name:<16}{statistics.median(samples):>10.0f}{percentile(samples, 0.95):>10.0f}"
            f"{max(samples):>10.0f}"
        )


if __name__ == "__main__":
    main()
