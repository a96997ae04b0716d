"""The production profile with two Rasa replicas and two action servers on PostgreSQL and
Redis: a replica killed with SIGKILL while shoppers talk loses no turn, answers none
twice, and the conversations go on; the replica rejoins when restarted."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from agent_helpers import AGENT_PASSWORD
from sqlalchemy import create_engine, text
from websockets.sync.client import ClientConnection, connect

from aisle.agents import create_agent
from aisle.database import session_scope
from aisle.production import ProductionConfig, prepare_databases, production_stack
from aisle.stack import Stack
from bench.load import AISLE_CONVERSATIONS, LoadResult, Workload, aisle_turn, run_load
from bot.agent_auth import COOKIE_NAME
from bot.rasa_client import RasaClient
from bot.rasa_pool import RasaPool

pytestmark = pytest.mark.stack

REDIS_DB = 7
SHOPPERS = 6
SCRIPT = [
    "hello",
    "what is your return policy",
    "how long does shipping take",
    "hi there",
    "what's your returns policy?",
    "how long is delivery",
    "thanks, bye",
]
KILL_AFTER_TURNS = 8
ATTACKER_EMAIL = "mallory@example.org"
ORDER_DETAILS = ("placed", "tracking", "Delivered", "On its way", "Refunds for order", "RMA-")


@pytest.fixture(scope="module")
def production(
    demo_index_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_databases: Callable[..., str],
    free_port: Callable[[], int],
) -> Iterator[tuple[Stack, ProductionConfig]]:
    shop_url = postgres_databases("aisle_prod_shop", create=False)
    tracker_url = postgres_databases("aisle_prod_tracker", create=False)
    redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB).flushdb()
    config = ProductionConfig(
        replicas=2,
        shop_db=shop_url.rsplit("/", 1)[1],
        tracker_db=tracker_url.rsplit("/", 1)[1],
        redis_db=REDIS_DB,
        action_ports=[free_port(), free_port()],
        rasa_ports=[free_port(), free_port()],
        gateway_ports=[free_port(), free_port()],
        gateways=2,
        index_dir=demo_index_dir,
        log_dir=tmp_path_factory.mktemp("production") / "logs",
    )
    prepare_databases(config)
    with production_stack(config) as stack:
        yield stack, config


def test_conversations_spread_over_replicas_and_stay_on_theirs() -> None:
    pool = RasaPool([RasaClient(f"http://127.0.0.1:{port}", 5.0) for port in (5005, 5006)])
    first_choices = Counter(pool.route(f"shopper-{i}")[0].base_url for i in range(1000))
    assert set(first_choices) == {"http://127.0.0.1:5005", "http://127.0.0.1:5006"}
    assert min(first_choices.values()) > 400, first_choices
    assert [r.base_url for r in pool.route("shopper-7")] == [
        r.base_url for r in pool.route("shopper-7")
    ]


def test_mixed_load_with_an_enumeration_attempt_answers_all_and_reveals_nothing(
    production: tuple[Stack, ProductionConfig],
) -> None:
    """A short form of bench/load.py: shoppers in mixed conversations while someone tries
    twenty order numbers with an email that owns none, each in a fresh conversation."""
    stack, _config = production
    gateway = stack.config.gateway_url

    async def attacker() -> list[str]:
        answers: list[str] = []
        async with httpx.AsyncClient(base_url=gateway, timeout=60.0) as client:
            for number in range(10001, 10021):
                response = await client.post(
                    f"/api/conversations/enumerate-{number}/messages",
                    json={"text": f"where is order {number}? email {ATTACKER_EMAIL}"},
                )
                answers += [str(m.get("text") or "") for m in response.json()["messages"]]
        return answers

    async def both() -> tuple[LoadResult, list[str]]:
        workload = Workload(gateway, aisle_turn, AISLE_CONVERSATIONS)
        load = run_load(workload, shoppers=8, duration_s=20.0)
        result, answers = await asyncio.gather(load, attacker())
        return result, answers

    load_result, attack_answers = asyncio.run(both())
    assert load_result.errors == 0, f"{load_result.errors} turns failed under load"
    assert len(load_result.latencies_ms) >= 20
    assert len(attack_answers) >= 20
    revealing = [a for a in attack_answers if any(d in a for d in ORDER_DETAILS)]
    assert not revealing


def test_shopper_and_agent_on_different_gateways_chat_through_redis(
    production: tuple[Stack, ProductionConfig],
) -> None:
    """The widget on gateway 1, the console on gateway 2: every live frame crosses Redis,
    and gateway 1 counts the agent signed in on gateway 2 as online."""
    _stack, config = production
    first, second = (f"127.0.0.1:{port}" for port in config.gateway_ports)
    with session_scope(config.shop_url) as session:
        create_agent(session, "cross@shop.example", "Cross", AGENT_PASSWORD)
    with httpx.Client(base_url=f"http://{second}", timeout=30) as console:
        login = {"email": "cross@shop.example", "password": AGENT_PASSWORD}
        assert console.post("/api/agent/login", json=login).status_code == 204
        cookie = f"{COOKIE_NAME}={console.cookies[COOKIE_NAME]}"
        with (
            connect(f"ws://{second}/agent/ws", additional_headers={"Cookie": cookie}) as agent,
            connect(f"ws://{first}/ws?conversation_id=cross-gateway-1") as shopper,
        ):
            time.sleep(0.5)  # the agent's presence reaches Redis
            shopper.send(json.dumps({"type": "user_message", "text": "I want to talk to a person"}))
            waiting = _frame_of(shopper, "handoff")
            assert waiting["status"] == "waiting" and not waiting.get("ticket_form"), waiting
            assert _frame_of(agent, "queue_changed")

            handoff_id = waiting["handoff_id"]
            assert console.post(f"/api/agent/handoffs/{handoff_id}/claim").status_code == 204
            assert _frame_of(shopper, "handoff")["status"] == "claimed"
            agent.send(
                json.dumps({"type": "agent_message", "handoff_id": handoff_id, "text": "Hi!"})
            )
            assert _frame_of(shopper, "agent_message")["text"] == "Hi!"
            shopper.send(json.dumps({"type": "user_message", "text": "my parcel is late"}))
            relayed = _frame_of(agent, "message", lambda f: f.get("sender") == "shopper")
            assert relayed["text"] == "my parcel is late"
            closed = console.post(
                f"/api/agent/handoffs/{handoff_id}/close", json={"resolution": "resolved"}
            )
            assert closed.status_code == 204
            assert _frame_of(shopper, "handoff")["status"] == "closed"


def _frame_of(
    socket: ClientConnection,
    kind: str,
    wanted: Callable[[dict[str, Any]], bool] = lambda _frame: True,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """The next frame of type ``kind`` that ``wanted`` accepts (others are skipped)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        frame = json.loads(socket.recv(timeout=left))
        if frame.get("type") == kind and wanted(frame):
            return dict(frame)
    raise AssertionError(f"no {kind} frame within {timeout} s")


def test_killing_a_replica_mid_load_loses_no_turn_and_repeats_none(
    production: tuple[Stack, ProductionConfig],
) -> None:
    stack, config = production
    gateway = stack.config.gateway_url
    conversations = _spread_over_replicas(config, SHOPPERS)
    turns_done = threading.Semaphore(0)
    results: dict[str, list[tuple[str, int, list[dict[str, object]]]]] = {
        conversation: [] for conversation in conversations
    }
    timings: list[str] = []

    def shopper(conversation: str) -> None:
        with httpx.Client(base_url=gateway, timeout=60.0) as client:
            for message in SCRIPT:
                started = time.monotonic()
                response = client.post(
                    f"/api/conversations/{conversation}/messages", json={"text": message}
                )
                body = response.json()
                results[conversation].append(
                    (message, response.status_code, body.get("messages", []))
                )
                elapsed = time.monotonic() - started
                error = "" if response.status_code == 200 else str(body)
                timings.append(
                    f"{conversation} {message!r}: HTTP {response.status_code} "
                    f"after {elapsed:.1f} s {error}"
                )
                turns_done.release()

    threads = [threading.Thread(target=shopper, args=(c,)) for c in conversations]
    for thread in threads:
        thread.start()
    for _ in range(KILL_AFTER_TURNS):
        assert turns_done.acquire(timeout=120), "the load did not get going"
    victim = stack.service("rasa-1")
    assert victim.process is not None
    os.killpg(victim.process.pid, signal.SIGKILL)
    for thread in threads:
        thread.join(timeout=240)
        assert not thread.is_alive(), "a shopper's turn never came back"

    gateway_log = (config.log_dir / "gateway-1.log").read_text()
    for conversation, turns in results.items():
        assert [message for message, _, _ in turns] == SCRIPT, conversation
        for message, status, answers in turns:
            assert status == 200, _explain_failure(
                f"{conversation}: {message!r} got HTTP {status}", timings, gateway_log
            )
            assert answers, f"{conversation}: {message!r} got no answer"
        assert _user_texts(config, conversation) == SCRIPT, "a turn was lost or recorded twice"

    assert "failed, trying the next" in gateway_log, "no turn met the killed replica"

    # The killed replica rejoins: restarted, it serves the conversations routed to it.
    victim.start(config.log_dir, echo=False)
    victim.wait_until_ready()
    rasa_1 = f"http://127.0.0.1:{config.rasa_port(0)}"
    conversation = next(
        c for c in (f"after-restart-{i}" for i in range(100)) if _first_replica(config, c) == rasa_1
    )
    response = httpx.post(
        f"{gateway}/api/conversations/{conversation}/messages", json={"text": "hello"}, timeout=30
    )
    assert response.status_code == 200 and response.json()["messages"]
    health = httpx.get(f"{gateway}/healthz", timeout=10)
    assert health.status_code == 200
    # Every part the production gateway depends on is named: both action servers are asked.
    assert health.json() == {
        "gateway": "ok",
        "rasa": "ok",
        "database": "ok",
        "actions": "ok",
        "index": "ok",
        "redis": "ok",
    }


def test_restarting_everything_resumes_conversations_and_handoffs(
    production: tuple[Stack, ProductionConfig],
) -> None:
    """Every process stopped and started again: a half-filled form goes on where it was
    (Rasa's tracker is in PostgreSQL), a waiting handoff is still in the queue and the bot
    stays quiet in it (the handoff is in the shop database, the pause in the tracker)."""
    stack, config = production
    gateway = stack.config.gateway_url
    form, handed_off = "restart-form", "restart-handoff"
    with session_scope(config.shop_url) as session:
        create_agent(session, "restart@shop.example", "Restart", AGENT_PASSWORD)
    with httpx.Client(base_url=gateway, timeout=60) as client:
        assert "order number" in _say(client, form, "where is my order")
        _say(client, handed_off, "I want to talk to a person")
        assert handed_off in _queued_conversations(client)

    stack.stop()
    stack.start()

    with httpx.Client(base_url=gateway, timeout=60) as client:
        assert "email" in _say(client, form, "10001")
        assert "Delivered" in _say(client, form, "it's alex.rivera@example.com")
        assert _say(client, handed_off, "hello? is anyone there?") == ""
        assert handed_off in _queued_conversations(client)
    assert _user_texts(config, handed_off)[-1] == "hello? is anyone there?"


def _say(client: httpx.Client, conversation: str, text: str) -> str:
    """The bot's answer to one shopper message, all its texts joined ("" when it is quiet)."""
    response = client.post(f"/api/conversations/{conversation}/messages", json={"text": text})
    assert response.status_code == 200, response.text
    return " ".join(str(m.get("text") or "") for m in response.json()["messages"]).strip()


def _queued_conversations(client: httpx.Client) -> set[str]:
    """The conversations in the agent console's queue, as an agent signed in sees them."""
    login = {"email": "restart@shop.example", "password": AGENT_PASSWORD}
    assert client.post("/api/agent/login", json=login).status_code == 204
    queue = client.get("/api/agent/queue")
    assert queue.status_code == 200, queue.text
    return {item["conversation_id"] for item in queue.json()}


def _explain_failure(what: str, timings: list[str], gateway_log: str) -> str:
    """The failed turn with every turn's status and time and the gateway's warnings: a
    fail-over failure is about timing, and the log is gone once CI ends."""
    warnings = [line for line in gateway_log.splitlines() if "WARNING" in line or "ERROR" in line]
    return "\n".join([what, "turns:", *timings, "gateway warnings:", *warnings[-30:]])


def _spread_over_replicas(config: ProductionConfig, count: int) -> list[str]:
    """Conversation ids of which half go first to each replica, so the kill hits live turns."""
    urls = [f"http://127.0.0.1:{config.rasa_port(i)}" for i in range(config.replicas)]
    chosen: dict[str, list[str]] = {url: [] for url in urls}
    for conversation in (f"failover-{i}" for i in range(1000)):
        bucket = chosen[_first_replica(config, conversation)]
        if len(bucket) < count // len(urls):
            bucket.append(conversation)
    return [conversation for bucket in chosen.values() for conversation in bucket]


def _first_replica(config: ProductionConfig, conversation: str) -> str:
    urls = [f"http://127.0.0.1:{config.rasa_port(i)}" for i in range(config.replicas)]
    pool = RasaPool([RasaClient(url, 5.0) for url in urls])
    return pool.route(conversation)[0].base_url


def _user_texts(config: ProductionConfig, conversation: str) -> list[str]:
    """The shopper messages Rasa's shared PostgreSQL tracker store recorded, in order."""
    engine = create_engine(f"{config.postgres_url}/{config.tracker_db}")
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT data FROM events WHERE sender_id = :sender AND type_name = 'user'"
                    " ORDER BY id"
                ),
                {"sender": conversation},
            ).scalars()
            return [json.loads(row)["text"] for row in rows]
    finally:
        engine.dispose()
