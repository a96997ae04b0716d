"""Load benchmark: many shoppers at once through the gateway, against a stock Rasa bot.

Each simulated shopper runs realistic mixed conversations (order status, a return,
a search with a refinement, a policy question, a handoff) back to back, each in a
fresh conversation, for ``--duration`` seconds; every shopper waits for an answer
before its next message, as people do. Reported per level of concurrency:
turns/s, p50/p95/p99 per turn, errors, and CPU and resident memory per process.

The reference, in the same run, is a stock ``rasa init`` bot on one Rasa process
(its own moodbot conversations, straight to Rasa's REST channel): what one plain
Rasa server does on this machine. Aisle runs in the production profile
(PostgreSQL tracker store, Redis lock store) with 1 and then 2 Rasa replicas, to
show how throughput grows with replicas.

    .venv/bin/python -m bench.load                        # 1,10,50,100 shoppers, 30 s each
    .venv/bin/python -m bench.load --shoppers 1,10 --duration 10 --replicas 1 --no-reference
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from aisle.demo.personas import DEMO_CUSTOMER_EMAIL, DEMO_ORDERS
from aisle.production import ProductionConfig, prepare_databases, production_stack
from aisle.settings import VAR_DIR
from aisle.stack import DEFAULT_RASA_BIN, Service
from bench.turn_latency import percentile, rss_mib

AISLE_CONVERSATIONS = [
    ["hi", f"where is order {DEMO_ORDERS['in_transit']}? email {DEMO_CUSTOMER_EMAIL}", "thanks"],
    [
        f"i want to return the jacket from order {DEMO_ORDERS['delivered']}, it's too small, "
        f"email {DEMO_CUSTOMER_EMAIL}",
        "money back please",
        "no",  # declined: the shop database stays as seeded
    ],
    ["a warm waterproof jacket for hiking", "cheaper", "something in blue"],
    ["what is your return policy", "how long does shipping take", "bye"],
    ["hello", "I want to talk to a person"],
]
STOCK_RASA_CONVERSATIONS = [
    ["hello", "I am sad", "yes", "goodbye"],
    ["hi", "I am great", "bye"],
    ["good morning", "are you a bot?", "goodbye"],
]

SendTurn = Callable[[httpx.AsyncClient, str, str], Awaitable[bool]]


@dataclass(frozen=True)
class Workload:
    """What the shoppers talk to, how one turn is sent, and the conversations they pick from."""

    base_url: str
    send: SendTurn
    conversations: list[list[str]]


@dataclass
class LoadResult:
    shoppers: int
    duration_s: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    cpu_percent: dict[str, float] = field(default_factory=dict)
    memory_mib: dict[str, float] = field(default_factory=dict)

    @property
    def turns_per_second(self) -> float:
        return len(self.latencies_ms) / self.duration_s

    def row(self, label: str) -> str:
        samples = self.latencies_ms or [0.0]
        processes = ", ".join(
            f"{name} {self.cpu_percent[name]:.0f}% {self.memory_mib[name]:.0f} MiB"
            for name in self.cpu_percent
        )
        return (
            f"{label:<22}{self.shoppers:>5}{self.turns_per_second:>9.1f}"
            f"{percentile(samples, 0.50):>8.0f}{percentile(samples, 0.95):>8.0f}"
            f"{percentile(samples, 0.99):>8.0f}{self.errors:>7}   {processes}"
        )


HEADER = f"{'target':<22}{'users':>5}{'turns/s':>9}{'p50':>8}{'p95':>8}{'p99':>8}{'errors':>7}"


def aisle_turn(client: httpx.AsyncClient, conversation: str, text: str) -> Awaitable[bool]:
    return _post_ok(client, f"/api/conversations/{conversation}/messages", {"text": text})


def stock_rasa_turn(client: httpx.AsyncClient, conversation: str, text: str) -> Awaitable[bool]:
    return _post_ok(client, "/webhooks/rest/webhook", {"sender": conversation, "message": text})


async def _post_ok(client: httpx.AsyncClient, path: str, body: dict[str, str]) -> bool:
    try:
        response = await client.post(path, json=body)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


async def run_load(workload: Workload, shoppers: int, duration_s: float) -> LoadResult:
    """``shoppers`` concurrent shoppers, each running conversations until time is up."""
    result = LoadResult(shoppers=shoppers, duration_s=duration_s)
    deadline = time.monotonic() + duration_s
    limits = httpx.Limits(max_connections=shoppers, max_keepalive_connections=shoppers)

    async def shopper(seed: int) -> None:
        pick = random.Random(seed)
        while time.monotonic() < deadline:
            conversation_id = f"load-{uuid.uuid4().hex[:12]}"
            for text in pick.choice(workload.conversations):
                if time.monotonic() >= deadline:
                    return
                started = time.perf_counter()
                ok = await workload.send(client, conversation_id, text)
                if ok:
                    result.latencies_ms.append((time.perf_counter() - started) * 1000)
                else:
                    result.errors += 1

    async with httpx.AsyncClient(
        base_url=workload.base_url, timeout=60.0, limits=limits, trust_env=False
    ) as client:
        await asyncio.gather(*(shopper(seed) for seed in range(shoppers)))
    return result


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for each in [pid, *_descendants(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _descendants(pid: int) -> list[int]:
    try:
        direct = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []
    return direct + [grandchild for child in direct for grandchild in _descendants(child)]


def measure(
    services: Sequence[Service], workload: Workload, shoppers: int, duration_s: float
) -> LoadResult:
    """One load level, with the CPU share and memory of each process over it."""
    pids = {s.name: s.process.pid for s in services if s.process is not None}
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    result = asyncio.run(run_load(workload, shoppers, duration_s))
    for name, pid in pids.items():
        result.cpu_percent[name] = 100 * (cpu_seconds(pid) - before[name]) / duration_s
        result.memory_mib[name] = rss_mib(pid)
    return result


def bench_aisle(replicas: int, levels: list[int], duration_s: float, redis_db: int) -> None:
    folder = VAR_DIR / "bench" / f"load-{replicas}"
    config = ProductionConfig(
        replicas=replicas,
        shop_db="aisle_bench_shop",
        tracker_db="aisle_bench_tracker",
        redis_db=redis_db,
        action_ports=[5255 + i for i in range(replicas)],
        rasa_ports=[5205 + i for i in range(replicas)],
        gateway_ports=[8200],
        log_dir=folder / "logs",
    )
    prepare_databases(config)
    with production_stack(config) as stack:
        workload = Workload(stack.config.gateway_url, aisle_turn, AISLE_CONVERSATIONS)
        asyncio.run(run_load(workload, 2, 5.0))  # warm-up
        for shoppers in levels:
            result = measure(stack.services, workload, shoppers, duration_s)
            print(result.row(f"aisle, {replicas} replica(s)"), flush=True)


def bench_stock_rasa(levels: list[int], duration_s: float) -> None:
    """A fresh ``rasa init`` project (trained once, kept under var/bench) on one process."""
    project = VAR_DIR / "bench" / "stock-rasa"
    rasa = Path(os.environ.get("AISLE_RASA_BIN", DEFAULT_RASA_BIN))
    if not list((project / "models").glob("*.tar.gz")):
        shutil.rmtree(project, ignore_errors=True)
        project.mkdir(parents=True)
        log = project.parent / "stock-rasa-init.log"
        print(f"Creating and training a stock `rasa init` bot (once; log: {log}) ...", flush=True)
        with log.open("w") as output:
            subprocess.run(
                [str(rasa), "init", "--no-prompt", "--init-dir", str(project)],
                check=True,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
    port = 5299
    service = Service(
        name="stock-rasa",
        command=[
            str(rasa),
            "run",
            "--port",
            str(port),
            "--interface",
            "127.0.0.1",
            "--model",
            str(project / "models"),
            "--endpoints",
            str(project / "endpoints.yml"),
            "--credentials",
            str(project / "credentials.yml"),
        ],
        health_url=f"http://127.0.0.1:{port}/",
        env={"RASA_TELEMETRY_ENABLED": "false"},
    )
    try:
        service.start(project / "logs", echo=False)
        service.wait_until_ready()
        workload = Workload(f"http://127.0.0.1:{port}", stock_rasa_turn, STOCK_RASA_CONVERSATIONS)
        asyncio.run(run_load(workload, 2, 5.0))  # warm-up
        for shoppers in levels:
            result = measure([service], workload, shoppers, duration_s)
            print(result.row("stock rasa init, 1 proc"), flush=True)
    finally:
        service.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shoppers", default="1,10,50,100", help="concurrency levels")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per level")
    parser.add_argument("--replicas", default="1,2", help="Rasa replica counts for Aisle")
    parser.add_argument("--no-reference", action="store_true", help="skip the stock Rasa bot")
    parser.add_argument("--redis-db", type=int, default=5)
    args = parser.parse_args(argv)
    levels = [int(level) for level in args.shoppers.split(",")]
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.2f} before the run; latencies in ms\n")
    print(HEADER, flush=True)
    if not args.no_reference:
        bench_stock_rasa(levels, args.duration)
    for replicas in (int(r) for r in args.replicas.split(",")):
        bench_aisle(replicas, levels, args.duration, args.redis_db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
