"""Faults on the real stack (action server, Rasa, gateway on free ports): the action server
down, the shop database (PostgreSQL) down, the catalog index files missing, the gateway's
Redis down. Each time the shopper gets a clear apology and an offer of a person within 2 s,
nothing already said is lost (Rasa's tracker has every message), ``/healthz`` names the part
that is down, and everything recovers when the part returns.

The faults are real: the action server process is stopped; the shop database is reached
through a TCP relay this test cuts (the shared PostgreSQL itself must stay up for others);
the index files are moved away; Redis is a ``redis-server`` of this test's own, killed.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from aisle import migrate
from aisle.database import get_engine, session_scope
from aisle.demo import generate_shop
from aisle.stack import DEFAULT_MODEL, Stack, isolated_config
from catalog.index import IDS_FILE, INDEX_FILE, META_FILE, PRODUCTS_FILE

pytestmark = pytest.mark.stack

APOLOGY_BOUND_SECONDS = 2.0
ORDER_QUESTION = "where is order 10002? email alex.rivera@example.com"
SEARCH = "a warm waterproof jacket for hiking"
TIMINGS: dict[str, float] = {}


class TcpRelay:
    """Forwards a local port to PostgreSQL; ``cut`` refuses and drops every connection."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.port, self.target = port, target
        self._server: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        server = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def cut(self) -> None:
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
            self._server.close()
            self._server = None
        with self._lock:
            for conn in self._open:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._open.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


class RedisServer:
    """A ``redis-server`` of the test's own, which the test may kill."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@dataclass
class FaultyStack:
    stack: Stack
    relay: TcpRelay
    redis: RedisServer
    index_dir: Path

    @property
    def gateway(self) -> str:
        return self.stack.config.gateway_url

    def turn(self, conversation_id: str, text: str) -> tuple[float, list[dict[str, Any]]]:
        """One shopper message over HTTP: (seconds until the answer, the bot's messages)."""
        started = time.perf_counter()
        response = httpx.post(
            f"{self.gateway}/api/conversations/{conversation_id}/messages",
            json={"text": text},
            timeout=60,
        )
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.text
        assert "Traceback" not in response.text
        return elapsed, response.json()["messages"]

    def health(self) -> tuple[int, dict[str, str]]:
        response = httpx.get(f"{self.gateway}/healthz", timeout=10)
        return response.status_code, response.json()

    def tracker(self, conversation_id: str) -> list[dict[str, Any]]:
        url = f"{self.stack.config.rasa_url}/conversations/{conversation_id}/tracker"
        events: list[dict[str, Any]] = httpx.get(url, timeout=10).json()["events"]
        return events

    def restart_actions(self) -> None:
        actions = self.stack.service("actions")
        actions.start(self.stack.config.log_dir, echo=False)
        actions.wait_until_ready()


@pytest.fixture(scope="module")
def faulty(
    demo_index_dir: Path,
    postgres_databases: Callable[..., str],
    tmp_path_factory: pytest.TempPathFactory,
    free_port: Callable[[], int],
) -> Iterator[FaultyStack]:
    if not DEFAULT_MODEL.exists():
        pytest.fail(f"No trained model at {DEFAULT_MODEL}: run `make train`.")
    direct_url = postgres_databases("aisle_faults")
    migrate.upgrade(direct_url)
    with session_scope(direct_url) as session:
        generate_shop(session)
    get_engine(direct_url).dispose()
    relay = TcpRelay(free_port(), ("127.0.0.1", 5432))
    relay.start()
    relayed_url = direct_url.replace("127.0.0.1:5432", f"127.0.0.1:{relay.port}")
    folder = tmp_path_factory.mktemp("faults")
    index_dir = folder / "index"
    shutil.copytree(demo_index_dir, index_dir)
    redis_server = RedisServer(free_port())
    redis_server.start()
    config = isolated_config(
        folder / "stack",
        action_port=free_port(),
        rasa_port=free_port(),
        gateway_port=free_port(),
        env={
            "AISLE_DATABASE_URL": relayed_url,
            "AISLE_INDEX_DIR": str(index_dir),
            "AISLE_REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/0",
        },
    )
    try:
        with Stack(config) as stack:
            yield FaultyStack(stack, relay, redis_server, index_dir)
    finally:
        redis_server.kill()
        relay.cut()
        print("\nTime to the apology per fault (s):", {k: round(v, 3) for k, v in TIMINGS.items()})


def conversation() -> str:
    return f"fault-{uuid.uuid4().hex[:12]}"


def offers_a_person(messages: list[dict[str, Any]]) -> bool:
    texts = " ".join(str(m.get("text") or "") for m in messages).lower()
    buttons = [b["payload"] for m in messages for b in (m.get("buttons") or [])]
    return "/human_handoff" in buttons or "a person" in texts


def user_texts(events: list[dict[str, Any]]) -> list[str]:
    return [e["text"] for e in events if e.get("event") == "user"]


def test_all_parts_up_at_the_start(faulty: FaultyStack) -> None:
    status, report = faulty.health()
    assert status == 200
    assert report == {
        "gateway": "ok",
        "rasa": "ok",
        "database": "ok",
        "actions": "ok",
        "index": "ok",
        "redis": "ok",
    }


def test_action_server_down_apologises_offers_a_person_and_recovers(
    faulty: FaultyStack,
) -> None:
    shopper = conversation()
    _, before = faulty.turn(shopper, ORDER_QUESTION)
    assert "Order 10002" in before[0]["text"]

    faulty.stack.service("actions").stop()
    try:
        assert faulty.health()[1]["actions"] == "down"
        elapsed, answer = faulty.turn(shopper, SEARCH)
        TIMINGS["action server down"] = elapsed

        assert elapsed < APOLOGY_BOUND_SECONDS
        assert answer[0]["text"].startswith("Sorry")
        assert offers_a_person(answer)
        events = faulty.tracker(shopper)
        assert user_texts(events) == [ORDER_QUESTION, SEARCH]  # nothing said is lost
        assert any(e.get("event") == "bot" and "Sorry" in (e.get("text") or "") for e in events)
    finally:
        faulty.restart_actions()

    assert faulty.health()[1]["actions"] == "ok"
    _, after = faulty.turn(shopper, SEARCH)
    assert any((m.get("custom") or {}).get("type") == "product_cards" for m in after)


def test_index_files_missing_apologises_and_recovers_when_they_return(
    faulty: FaultyStack, tmp_path: Path
) -> None:
    faulty.stack.service("actions").stop()
    for name in (INDEX_FILE, IDS_FILE, META_FILE, PRODUCTS_FILE):
        shutil.move(faulty.index_dir / name, tmp_path / name)
    try:
        faulty.restart_actions()  # starts without an index
        assert faulty.health()[1]["index"] == "missing"
        elapsed, answer = faulty.turn(conversation(), SEARCH)
        TIMINGS["index files missing"] = elapsed

        assert elapsed < APOLOGY_BOUND_SECONDS
        assert answer[0]["text"].startswith("Sorry") and offers_a_person(answer)
    finally:
        for name in (INDEX_FILE, IDS_FILE, META_FILE, PRODUCTS_FILE):
            shutil.move(tmp_path / name, faulty.index_dir / name)

    assert faulty.health()[1]["index"] == "ok"
    _, after = faulty.turn(conversation(), SEARCH)  # loaded on this first use
    assert any((m.get("custom") or {}).get("type") == "product_cards" for m in after)


def test_database_down_apologises_health_names_it_and_it_recovers(faulty: FaultyStack) -> None:
    shopper = conversation()
    faulty.turn(shopper, "hello")
    faulty.relay.cut()
    try:
        status, report = faulty.health()
        assert status == 503 and report["database"] == "down" and report["rasa"] == "ok"
        elapsed, answer = faulty.turn(shopper, ORDER_QUESTION)
        TIMINGS["order database down"] = elapsed

        assert elapsed < APOLOGY_BOUND_SECONDS
        assert answer[0]["text"].startswith("Sorry") and offers_a_person(answer)
        assert "Order 10002" not in " ".join(str(m.get("text")) for m in answer)
        assert user_texts(faulty.tracker(shopper)) == ["hello", ORDER_QUESTION]
    finally:
        faulty.relay.start()

    assert faulty.health() == (200, {**faulty.health()[1], "database": "ok"})
    _, after = faulty.turn(conversation(), ORDER_QUESTION)
    assert "Order 10002" in after[0]["text"]


def test_redis_down_the_gateway_still_answers_and_health_names_it(faulty: FaultyStack) -> None:
    shopper = conversation()
    faulty.redis.kill()
    try:
        status, report = faulty.health()
        assert status == 200 and report["redis"] == "down"  # degraded, still serving
        elapsed, answer = faulty.turn(shopper, "hello")
        TIMINGS["redis down (answered)"] = elapsed

        assert elapsed < APOLOGY_BOUND_SECONDS
        assert answer and answer[0]["text"].startswith("Hi")
        log = (faulty.stack.config.log_dir / "gateway.log").read_text()
        assert "Rate limits: Redis unavailable" in log
    finally:
        faulty.redis.start()

    time.sleep(6)  # the limiter tries Redis again 5 s after it failed
    faulty.turn(shopper, "hello again")
    assert faulty.health()[1]["redis"] == "ok"
    keys = redis.Redis(port=faulty.redis.port).keys("aisle-limits*")
    assert any(shopper.encode() in key for key in keys)
