"""The production profile with two Rasa replicas and two action servers on PostgreSQL and
Redis: a replica killed with SIGKILL while shoppers talk loses no turn, answers none
twice, and the conversations go on; the replica rejoins when restarted. Order enumeration
and injection while shoppers talk reveal nothing, and the per-IP limit stops the address
that keeps guessing (the stack is shared, as starting one costs a minute)."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import re
import signal
import statistics
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
from order_attacks import (
    HTML_INJECTIONS,
    SQL_INJECTIONS,
    Address,
    OrderFacts,
    Turn,
    leaks,
    new_conversation,
    order_facts,
    orders_digest,
    unknown_order_numbers,
)
from sqlalchemy import create_engine, text
from websockets.sync.client import ClientConnection, connect

from actions.orders import MAX_VERIFICATION_FAILURES
from aisle.agents import create_agent
from aisle.database import session_scope
from aisle.demo.personas import (
    DEMO_CUSTOMER_EMAIL,
    DEMO_ORDERS,
    OTHER_CUSTOMER_EMAIL,
    OTHER_CUSTOMER_OLD_ORDER,
    OTHER_CUSTOMER_ORDER,
)
from aisle.production import ProductionConfig, prepare_databases, production_stack
from aisle.stack import Stack
from bench.load import AISLE_CONVERSATIONS
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
TARGETS = [str(number) for number in range(10001, 10025)]
"""The real orders the attackers walk: the personas' (10001-10009) and the first generated ones."""
CUSTOMER_OWN_ORDERS = {OTHER_CUSTOMER_ORDER, OTHER_CUSTOMER_OLD_ORDER}
IP_MESSAGE_LIMIT = 40
"""AISLE_RATE_LIMIT_IP_MESSAGES per minute here (300 by default): loopback stays exempt, so only
the addresses the enumeration test names in X-Forwarded-For count."""
IP_FAILURE_LIMIT = 20
"""AISLE_RATE_LIMIT_VERIFICATION_FAILURES_IP per hour (its default)."""
HONEST_SHOPPERS = 6
STRANGER_WALKERS = 4
"""Guesses the stranger has in flight at once."""
HONEST_PAUSE_S = 2.0
"""Between an honest shopper's messages, which keeps each address well under the per-IP limit."""
NOT_VERIFIED = "I couldn't find an order with that number and email address."
LIMIT_REACHED = "I still can't match that order number and email"


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
        env={
            "AISLE_RATE_LIMIT_IP_MESSAGES": f"{IP_MESSAGE_LIMIT}/minute",
            "AISLE_RATE_LIMIT_VERIFICATION_FAILURES_IP": f"{IP_FAILURE_LIMIT}/hour",
        },
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


def test_enumeration_and_injection_under_load_reveal_nothing(
    production: tuple[Stack, ProductionConfig],
) -> None:
    """Four attackers, each from its own address and in a fresh conversation per try, walk the
    demo shop's real order numbers (a stranger's email, a real customer's email, SQL and HTML
    in both slots) while honest shoppers talk; nobody learns anything of an order they do not
    own, a real order and an unknown one get the same answer, the orders table is as it was,
    and every honest turn is answered rightly. An address out of failed checks gets no more
    (the action servers count them in Redis), and the one that keeps sending is refused by the
    per-IP message limit (both gateways count it in Redis) while the others are served."""
    _stack, config = production
    gateways = [f"http://127.0.0.1:{port}" for port in config.gateway_ports]
    facts = order_facts(config.shop_url, TARGETS)
    assert sorted(facts) == TARGETS, "the demo shop lacks some targeted orders"
    unknown = unknown_order_numbers(config.shop_url, 2 * IP_MESSAGE_LIMIT)
    digest_before = orders_digest(config.shop_url)
    attack: list[Turn] = []
    honest: list[Turn] = []
    stopped: list[Turn] = []
    started = time.monotonic()

    async def everyone() -> None:
        attack_over = asyncio.Event()

        async def attackers() -> None:
            try:
                await asyncio.gather(
                    _stranger_walks_until_stopped(gateways, attack, unknown, stopped),
                    _customer_walks_other_orders(gateways, attack, unknown),
                    _injects(gateways, attack, "sql", "198.51.100.13", SQL_INJECTIONS),
                    _injects(gateways, attack, "html", "198.51.100.14", HTML_INJECTIONS),
                )
            finally:
                attack_over.set()

        shoppers = [
            _honest_shopper(gateways, honest, facts, seed, attack_over)
            for seed in range(HONEST_SHOPPERS)
        ]
        await asyncio.gather(attackers(), *shoppers)

    asyncio.run(everyone())
    elapsed = time.monotonic() - started

    # 1. Nothing of any targeted order in any answer to an attacker.
    leaking = {
        f"{turn.who} {turn.text!r}": found
        for turn in attack
        if (found := leaks(turn.body, facts.values(), own_email=_email_of(turn.who)))
    }
    assert not leaking, leaking
    # No oracle: a real order (a stranger's or a customer's email) and an unknown number get
    # the very same answers: "not found" until the address is out of failed checks, then the
    # limit's.
    refused = {id(turn) for turn in stopped}
    walks = [
        turn
        for turn in attack
        if turn.who in ("stranger", "customer")
        and turn.conversation.startswith("walk-")
        and id(turn) not in refused
    ]
    assert {turn.status for turn in walks} == {200}, [t.body for t in walks if t.status != 200]
    for_real = {_shape(turn) for turn in walks if _number_in(turn.text) in facts}
    for_unknown = {_shape(turn) for turn in walks if _number_in(turn.text) in unknown}
    assert len(for_real) == 2 and for_real == for_unknown, (for_real, for_unknown)
    for who, own_failures in (("stranger", 0), ("customer", MAX_VERIFICATION_FAILURES)):
        answers = [_texts(turn.body) for turn in walks if turn.who == who]
        not_found = sum(NOT_VERIFIED in answer for answer in answers)
        limited = sum(LIMIT_REACHED in answer for answer in answers)
        assert not_found + limited == len(answers), answers
        # Guesses in flight when the limit is reached may each still be checked.
        spare = STRANGER_WALKERS - 1 if who == "stranger" else 0
        assert 0 <= not_found + own_failures - IP_FAILURE_LIMIT <= spare, (who, not_found)
    assert orders_digest(config.shop_url) == digest_before, "an attack changed the orders"
    spent = next(t.conversation for t in attack if t.conversation.startswith("customer-limit"))
    rasa = f"http://127.0.0.1:{config.rasa_port(0)}"
    slots = httpx.get(f"{rasa}/conversations/{spent}/tracker", timeout=30).json()["slots"]
    assert slots["verified_order"] is None, "the customer's own order was verified when spent"

    # 2. Every honest turn answered, the verified ones rightly (checked in _honest_shopper).
    failed = [f"{t.who} {t.text!r}: HTTP {t.status} {t.body}" for t in honest if not t.answered]
    assert not failed, failed

    # 3. The walking address is stopped after its limit, on either gateway, and told when
    # to come back; every other address is still served after that.
    first_stop = stopped[0]
    assert first_stop.status == 429 and first_stop.body["code"] == "rate_limited"
    assert "from your network" in first_stop.body["message"]  # the address's limit, not a chat's
    assert int(first_stop.retry_after or 0) == first_stop.body["retry_after_seconds"] >= 1
    assert all(turn.status == 429 for turn in stopped), [t.status for t in stopped]
    walked = [t for t in attack if t.who == "stranger" and t.status == 200]
    if first_stop.started - started < 60:  # the moving window has not let any out yet
        assert len(walked) == IP_MESSAGE_LIMIT, len(walked)
    after = [t for t in honest if t.started > first_stop.started]
    assert after and all(t.answered for t in after)

    answered_attacks = [t for t in attack if t.status == 200]
    print(
        f"\nenumeration under load: {len(attack)} attack turns ({len(answered_attacks)} answered,"
        f" {len(stopped)} refused with 429), {len(honest)} honest turns, {elapsed:.1f} s;"
        f" attack p50 {_p50(answered_attacks):.2f} s (the stranger's checked guesses: real orders"
        f" {_p50(_real(walks, facts)):.2f} s, unknown {_p50(_real(walks, facts, True)):.2f} s),"
        f" honest p50"
        f" {_p50(honest):.2f} s; errors: {len(failed)}"
    )


def test_the_verification_limit_holds_across_replicas_and_stops_the_right_email(
    production: tuple[Stack, ProductionConfig],
) -> None:
    """Three wrong guesses in one conversation, sent to the two Rasa replicas in turn, use up
    its attempts (the count is a slot in the shared tracker store): the fourth try, with the
    right order number and email, on the other replica, is refused too. Straight to the
    replicas, as the gateway keeps a conversation on one of them while it is up."""
    _stack, config = production
    replicas = [f"http://127.0.0.1:{config.rasa_port(i)}" for i in range(config.replicas)]
    conversation = new_conversation("limit-replicas")
    guesses = [f"where is order {number}? email {ATTACKER_EMAIL}" for number in TARGETS[:3]]
    right = f"order {DEMO_ORDERS['in_transit']} email {DEMO_CUSTOMER_EMAIL}"
    answers = []
    with httpx.Client(timeout=60, trust_env=False) as client:
        for turn, text in enumerate([*guesses, right]):
            replica = replicas[turn % len(replicas)]
            response = client.post(
                f"{replica}/webhooks/rest/webhook", json={"sender": conversation, "message": text}
            )
            assert response.status_code == 200, response.text
            answers.append(response.json())
        tracker = client.get(f"{replicas[1]}/conversations/{conversation}/tracker").json()
    texts = [" ".join(str(m.get("text") or "") for m in answer) for answer in answers]
    assert all(NOT_VERIFIED in text for text in texts[:2]), texts
    assert all(LIMIT_REACHED in text for text in texts[2:]), texts
    facts = order_facts(config.shop_url, [DEMO_ORDERS["in_transit"], *TARGETS[:3]])
    assert not [found for answer in answers if (found := leaks(answer, facts.values()))]
    assert tracker["slots"]["verification_failures"] == 3
    assert tracker["slots"].get("verified_order") is None


async def _stranger_walks_until_stopped(
    gateways: list[str], turns: list[Turn], unknown: list[str], stopped: list[Turn]
) -> None:
    """(a) An email owning none tries real and unknown numbers from one address, several at a
    time as a script would, each in a new conversation and on either gateway, until refused;
    then once more, to see it stays refused."""
    numbers = iter(_interleave(TARGETS, unknown))
    async with Address("stranger", "198.51.100.11", gateways, turns) as stranger:

        async def walker(gateway: int) -> None:
            for number in numbers:
                text = f"where is order {number}? email {ATTACKER_EMAIL}"
                turn = await stranger.say(new_conversation("walk"), text, gateway=gateway)
                if turn.status == 429:
                    stopped.append(turn)
                if stopped:
                    return

        await asyncio.gather(*(walker(gateway) for gateway in range(STRANGER_WALKERS)))
        assert stopped, "every guess answered, none refused"
        again = await stranger.say(new_conversation("walk"), f"order {TARGETS[0]}", gateway=1)
        stopped.append(again)


async def _customer_walks_other_orders(
    gateways: list[str], turns: list[Turn], unknown: list[str]
) -> None:
    """(b) A real customer's email, in one conversation, tries three of everyone else's orders
    and then their own, which the conversation's spent attempts refuse (its answer is searched
    with every other: asked again, the bot may hand over instead of repeating the limit);
    then everyone else's orders (and some unknown numbers), each in a new conversation."""
    others = [number for number in TARGETS if number not in CUSTOMER_OWN_ORDERS]
    async with Address("customer", "198.51.100.12", gateways, turns) as customer:
        conversation = new_conversation("customer-limit")
        spent = [
            await customer.say(conversation, f"where is order {n}? email {OTHER_CUSTOMER_EMAIL}")
            for n in [*others[:3], OTHER_CUSTOMER_ORDER]
        ]
        assert LIMIT_REACHED in _texts(spent[2].body), spent[2].body
        assert spent[3].answered, spent[3].body
        for number in _interleave(others, unknown[:4]):
            text = f"where is order {number}? email {OTHER_CUSTOMER_EMAIL}"
            await customer.say(new_conversation("walk-customer"), text)


async def _injects(
    gateways: list[str], turns: list[Turn], who: str, ip: str, payloads: list[str]
) -> None:
    """(c), (d) Each payload in the order number's place, in the email's place, and as the
    answer to each of the form's questions, every try in a new conversation."""
    async with Address(who, ip, gateways, turns) as attacker:
        for payload in payloads:
            await attacker.say(
                new_conversation(who), f"where is order {payload}? email {ATTACKER_EMAIL}"
            )
            await attacker.say(
                new_conversation(who), f"where is order {TARGETS[0]}? my email is {payload}"
            )
            conversation = new_conversation(who)
            for text in ("where is my order", payload, payload):
                await attacker.say(conversation, text, gateway=1)


async def _honest_shopper(
    gateways: list[str],
    turns: list[Turn],
    facts: dict[str, OrderFacts],
    seed: int,
    attack_over: asyncio.Event,
) -> None:
    """Mixed conversations from an address of its own, with a pause between messages as people
    make, until the attack is over and one conversation more; order answers are checked
    against the database."""
    pick = random.Random(seed)
    conversations = _honest_conversations(facts)
    async with Address(f"shopper-{seed}", f"203.0.113.{seed + 1}", gateways, turns) as shopper:
        last_round = False
        while not last_round:
            last_round = attack_over.is_set()
            conversation = new_conversation("honest")
            for text, expected in pick.choice(conversations):
                turn = await shopper.say(conversation, text, gateway=seed)
                answer = json.dumps(turn.body)
                missing = [part for part in expected if part not in answer]
                assert not missing, f"{text!r} -> {turn.body} lacks {missing}"
                if expected:  # an order answer: nothing of any other order in it
                    number = expected[0].split()[-1]
                    others = [f for n, f in facts.items() if n != number]
                    wrong = [t for other in others for t in other.tracking_numbers if t in answer]
                    assert not wrong, f"{text!r} -> {turn.body} has {wrong}"
                await asyncio.sleep(HONEST_PAUSE_S)


Script = list[tuple[str, tuple[str, ...]]]
"""An honest conversation: each message with what its answer must contain (order answers)."""


def _honest_conversations(facts: dict[str, OrderFacts]) -> list[Script]:
    """bench/load.py's conversations, and two verified order questions with their right answer."""
    alex, sam = facts[DEMO_ORDERS["in_transit"]], facts[OTHER_CUSTOMER_ORDER]
    unchecked: tuple[str, ...] = ()
    bench: list[Script] = [[(text, unchecked) for text in turns] for turns in AISLE_CONVERSATIONS]
    return [
        [
            ("hi", ()),
            (
                f"where is order {alex.number}? email {DEMO_CUSTOMER_EMAIL}",
                (f"Order {alex.number}", *alex.tracking_numbers),
            ),
            ("thanks", ()),
        ],
        [
            (
                f"where is order {sam.number}? my email is {OTHER_CUSTOMER_EMAIL}",
                (f"Order {sam.number}", *sam.tracking_numbers),
            )
        ],
        *bench,
    ]


def _interleave(real: list[str], unknown: list[str]) -> list[str]:
    """Real and unknown numbers taken in turn, then what is left of either."""
    mixed: list[str] = []
    for pair in itertools.zip_longest(real, unknown):
        mixed += [number for number in pair if number is not None]
    return mixed


def _shape(turn: Turn) -> str:
    return json.dumps(turn.body, sort_keys=True)


def _number_in(text: str) -> str:
    found = re.search(r"\b\d{5}\b", text)
    return found.group() if found else ""


def _email_of(who: str) -> str:
    return OTHER_CUSTOMER_EMAIL if who == "customer" else ATTACKER_EMAIL


def _texts(body: dict[str, Any]) -> str:
    return " ".join(str(m.get("text") or "") for m in body.get("messages", []))


def _real(walks: list[Turn], facts: dict[str, OrderFacts], unknown: bool = False) -> list[Turn]:
    """The stranger's guesses at real (or unknown) orders that were checked (same pace, same
    email): a timing oracle's sample."""
    checked = [t for t in walks if t.who == "stranger" and NOT_VERIFIED in _texts(t.body)]
    return [t for t in checked if (_number_in(t.text) in facts) != unknown]


def _p50(turns: list[Turn]) -> float:
    return statistics.median(t.seconds for t in turns) if turns else 0.0


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
