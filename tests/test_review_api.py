"""The review and analytics API over a real SQLite tracker store whose true figures we know.

The tracker store is written in Rasa's own ``events`` table layout; the shop
database is migrated and holds a real agent account and real CSAT ratings.
Every agent route answers 401 without a session.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from agent_helpers import AGENT_PASSWORD, add_agent, sign_in
from fastapi.testclient import TestClient
from test_gateway import FakeRasa

from aisle import migrate
from aisle.csat import record_rating
from aisle.database import session_scope
from aisle.settings import PROJECT_ROOT, Settings
from aisle.stack import Stack
from aisle.story_replay import StoryReplayer, custom_actions_of, load_stories
from bot import review_routes
from bot.agent_auth import COOKIE_NAME
from bot.app import create_app
from bot.rasa_client import RasaClient

NOV_10 = dt.datetime(2026, 11, 10, 10, 0, tzinfo=dt.timezone.utc).timestamp()
NOV_20 = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.timezone.utc).timestamp()

REVIEW_APIS = [
    ("GET", "/api/agent/review/conversations"),
    ("GET", "/api/agent/review/conversations/shop-a"),
    ("POST", "/api/agent/review/conversations/shop-a/export"),
    ("GET", "/api/agent/analytics"),
    ("GET", "/api/agent/analytics/charts/intents.svg"),
]


def turn(
    at: float,
    text: str,
    intent: str,
    *actions: str,
    confidence: float = 0.95,
    response: str = "",
    bot_after: float = 0.2,
) -> list[dict[str, Any]]:
    """A shopper message at ``at``, the actions it caused and one bot answer ``bot_after`` later."""
    events: list[dict[str, Any]] = [
        {
            "event": "user",
            "timestamp": at,
            "text": text,
            "parse_data": {"intent": {"name": intent, "confidence": confidence}, "entities": []},
        }
    ]
    events += [{"event": "action", "timestamp": at + 0.01, "name": name} for name in actions]
    metadata = {"utter_action": response} if response else {}
    events.append({"event": "bot", "timestamp": at + bot_after, "text": "ok", "metadata": metadata})
    return events


# Nov 10: "shop-a" (greet, track order: contained) and "shop-b" (2 searches, one empty, then a
# handoff asked for). Nov 20: "shop-c" (2 fallbacks, rated 1) and "shop-d" (one search, rated 5).
# Turn latencies: 100 ms x4, 200 ms x3, 1000 ms x1.
SEEDED: dict[str, list[dict[str, Any]]] = {
    "shop-a": [
        *turn(NOV_10, "hi", "greet", bot_after=0.1),
        *turn(
            NOV_10 + 5,
            "where is order 10002, alex.rivera@example.com",
            "track_order",
            "action_order_status",
        ),
    ],
    "shop-b": [
        *turn(
            NOV_10 + 60, "rain jacket", "product_search", "action_search_products", bot_after=0.1
        ),
        *turn(
            NOV_10 + 69,
            "purple tent",
            "product_search",
            "action_search_products",
            response="utter_no_products_found",
        ),
        *turn(NOV_10 + 80, "a human please", "human_handoff", "action_handoff", bot_after=1.0),
    ],
    "shop-c": [
        *turn(
            NOV_20,
            "blorp",
            "nlu_fallback",
            confidence=0.3,
            response="utter_default",
            bot_after=0.1,
        ),
        *turn(NOV_20 + 3, "what is life", "out_of_scope", response="utter_default", bot_after=0.1),
    ],
    "shop-d": [*turn(NOV_20 + 60, "socks", "product_search", "action_search_products")],
}


def write_tracker_store(path: Path, conversations: dict[str, list[dict[str, Any]]]) -> None:
    """Rasa's SQLTrackerStore table, filled the way Rasa fills it."""
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), "
            "type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), "
            "action_name VARCHAR(255), data TEXT)"
        )
        for sender, events in conversations.items():
            for event in events:
                db.execute(
                    "INSERT INTO events (sender_id, type_name, timestamp, intent_name, "
                    "action_name, data) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        sender,
                        event["event"],
                        event["timestamp"],
                        ((event.get("parse_data") or {}).get("intent") or {}).get("name"),
                        event.get("name"),
                        json.dumps(event),
                    ),
                )


def rate(database_url: str, conversation_id: str, rating: int, day: dt.datetime) -> None:
    with session_scope(database_url) as session:
        row = record_rating(session, conversation_id, rating, None, "goodbye")
        row.created_at = day


@pytest.fixture
def tracker_path(tmp_path: Path) -> Path:
    path = tmp_path / "rasa_tracker.db"
    write_tracker_store(path, SEEDED)
    return path


@pytest.fixture
def client(tmp_path: Path, tracker_path: Path) -> Iterator[TestClient]:
    db_url = f"sqlite:///{tmp_path / 'shop.db'}"
    migrate.upgrade(db_url)
    add_agent(db_url)
    rate(db_url, "shop-c", 1, dt.datetime(2026, 11, 20, 16))
    rate(db_url, "shop-d", 5, dt.datetime(2026, 11, 20, 17))
    rate(db_url, "elsewhere", 4, dt.datetime(2026, 10, 1))  # outside every range below
    settings = Settings(
        database_url=db_url, tracker_url=f"sqlite:///{tracker_path}", rasa_url="http://rasa.test"
    )
    rasa = RasaClient(settings.rasa_url, 5.0, transport=httpx.MockTransport(FakeRasa().handle))
    with TestClient(create_app(settings, rasa)) as test_client:
        yield test_client


@pytest.fixture
def agent(client: TestClient) -> TestClient:
    sign_in(client)
    return client


@pytest.mark.parametrize(("method", "path"), REVIEW_APIS)
def test_review_apis_answer_401_without_a_session(
    client: TestClient, method: str, path: str
) -> None:
    assert client.request(method, path, json={}).status_code == 401
    client.cookies.set(COOKIE_NAME, "forged-token")
    assert client.request(method, path, json={}).status_code == 401


@pytest.mark.parametrize("page", ["/agent/review", "/agent/dashboard"])
def test_pages_redirect_to_login_without_a_session(client: TestClient, page: str) -> None:
    response = client.get(page, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/agent/login"


@pytest.mark.parametrize("page", ["/agent/review", "/agent/dashboard"])
def test_pages_are_shells_under_the_strict_policy(agent: TestClient, page: str) -> None:
    response = agent.get(page)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "<script>" not in response.text and "style=" not in response.text
    assert 'href="/agent/review"' in response.text and 'href="/agent/dashboard"' in response.text


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


def test_the_list_filters_as_the_cli_does(agent: TestClient) -> None:
    base = "/api/agent/review/conversations"
    assert ids(agent.get(base)) == ["shop-d", "shop-c", "shop-b", "shop-a"]  # newest first
    assert ids(agent.get(f"{base}?filter=handoff")) == ["shop-b"]
    assert ids(agent.get(f"{base}?filter=zero_results")) == ["shop-b"]
    assert ids(agent.get(f"{base}?filter=fallback&filter=low_confidence")) == ["shop-c"]
    assert ids(agent.get(f"{base}?filter=bad_csat")) == ["shop-c"]
    assert ids(agent.get(f"{base}?filter=handoff&filter=fallback")) == []
    assert ids(agent.get(f"{base}?start=2026-11-20")) == ["shop-d", "shop-c"]
    assert ids(agent.get(f"{base}?start=2026-11-01&end=2026-11-10")) == ["shop-b", "shop-a"]
    [row] = agent.get(f"{base}?filter=handoff").json()
    assert row["user_turns"] == 3 and row["first_message"] == "rain jacket"
    assert set(row["flags"]) == {"handoff", "zero_results"}


@pytest.mark.parametrize(
    "query", ["filter=nonsense", "start=2026-11-20&end=2026-11-01", "start=yesterday", "limit=0"]
)
def test_a_bad_query_is_refused_with_a_reason(agent: TestClient, query: str) -> None:
    response = agent.get(f"/api/agent/review/conversations?{query}")
    assert response.status_code == 422 and response.json()["detail"]


def test_one_conversation_turn_by_turn(agent: TestClient) -> None:
    response = agent.get("/api/agent/review/conversations/shop-c")
    assert response.status_code == 200
    view = response.json()
    assert view["flags"] == ["bad_csat", "fallback", "low_confidence"]
    shopper = [entry for entry in view["entries"] if entry["speaker"] == "shopper"]
    assert [(e["turn"], e["text"], e["intent"], e["confidence"]) for e in shopper] == [
        (0, "blorp", "nlu_fallback", 0.3),
        (1, "what is life", "out_of_scope", 0.95),
    ]
    assert "track_order" in view["intents"] and "nlu_fallback" not in view["intents"]
    handoff = agent.get("/api/agent/review/conversations/shop-b").json()
    assert [entry["speaker"] for entry in handoff["entries"]][-2:] == ["handoff", "bot"]
    assert agent.get("/api/agent/review/conversations/nobody").status_code == 404


def test_export_applies_the_corrected_labels_and_redacts(agent: TestClient) -> None:
    response = agent.post(
        "/api/agent/review/conversations/shop-a/export",
        json={
            "name": "Reviewed: where is my order",
            "intents": {"0": "greet", "1": "refund_status"},
        },
    )
    assert response.status_code == 200, response.text
    export = response.json()
    assert export["filename"] == "test_reviewed_shop-a.yml"
    [story] = yaml.safe_load(export["yaml"])["stories"]
    assert story["story"] == "Reviewed: where is my order"
    users = [step for step in story["steps"] if "user" in step]
    assert [step["intent"] for step in users] == ["greet", "refund_status"]
    assert "alex.rivera" not in export["yaml"] and "[email]" in users[1]["user"]
    assert {"action": "action_order_status"} in story["steps"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"intents": {"0": "buy_a_boat"}}, "'buy_a_boat' is not an intent in domain.yml"),
        ({"intents": {"7": "greet"}}, "turn 7: the conversation has shopper turns 0-1"),
        ({"intents": {}, "labels": {}}, "extra"),
    ],
)
def test_a_bad_correction_is_refused_with_a_reason(
    agent: TestClient, body: dict[str, Any], reason: str
) -> None:
    response = agent.post("/api/agent/review/conversations/shop-a/export", json=body)
    assert response.status_code == 422
    assert reason in json.dumps(response.json())


def analytics(client: TestClient, start: str, end: str) -> dict[str, Any]:
    response = client.get(f"/api/agent/analytics?start={start}&end={end}")
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def test_analytics_of_the_seeded_month(agent: TestClient) -> None:
    report = analytics(agent, "2026-11-01", "2026-11-30")
    assert (report["start"], report["end"]) == ("2026-11-01", "2026-11-30")
    assert report["conversations"] == 4 and report["user_turns"] == 8
    assert report["containment_rate"] == 0.75 and report["handoff_rate"] == 0.25
    assert report["handoff_reasons"] == {"shopper_request": 1}
    assert report["fallback_rate"] == 0.25
    assert report["intent_volume"]["product_search"] == 3
    assert report["searches"] == 3 and report["zero_result_rate"] == pytest.approx(0.3333)
    assert report["turn_latency_ms"]["p50"] == pytest.approx(150.0, abs=1)
    assert report["csat"] == {
        "count": 2,
        "average": 3.0,
        "distribution": {"1": 1, "2": 0, "3": 0, "4": 0, "5": 1},
    }


def test_analytics_follow_the_date_range(agent: TestClient) -> None:
    first = analytics(agent, "2026-11-10", "2026-11-10")
    assert first["conversations"] == 2 and first["handoff_rate"] == 0.5
    assert first["csat"]["count"] == 0 and first["csat"]["average"] is None
    later = analytics(agent, "2026-11-11", "2026-11-20")
    assert later["conversations"] == 2 and later["fallback_rate"] == pytest.approx(0.6667)
    assert later["csat"]["average"] == 3.0
    empty = analytics(agent, "2026-12-01", "2026-12-31")
    assert empty["conversations"] == 0 and empty["turn_latency_ms"] == {}
    assert agent.get("/api/agent/analytics?start=2026-11-20&end=2026-11-01").status_code == 422


def test_one_dashboard_view_reads_the_range_once(
    agent: TestClient, tracker_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report and its five charts share one read; later views see new conversations."""
    monkeypatch.setattr(review_routes, "FIGURES_TTL_SECONDS", 0.0)
    assert analytics(agent, "2026-11-01", "2026-11-30")["conversations"] == 4
    write_tracker_store(tracker_path, {"shop-e": turn(NOV_20 + 600, "hi", "greet")})
    assert analytics(agent, "2026-11-01", "2026-11-30")["conversations"] == 5
    monkeypatch.setattr(review_routes, "FIGURES_TTL_SECONDS", 60.0)
    assert analytics(agent, "2026-11-01", "2026-11-30")["conversations"] == 5
    write_tracker_store(tracker_path, {"shop-f": turn(NOV_20 + 700, "hi", "greet")})
    assert analytics(agent, "2026-11-01", "2026-11-30")["conversations"] == 5  # kept
    assert analytics(agent, "2026-11-01", "2026-11-29")["conversations"] == 6  # another range


def bar_lengths(svg: bytes, along: str = "x") -> dict[str, float]:
    """Each bar's drawn length along ``x`` (horizontal bars) or ``y`` (SVG user units), by the
    ``bar-<label>`` id the chart gives it."""
    lengths = {}
    for group in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g"):
        gid = group.get("id", "")
        if gid.startswith("bar-"):
            path = group.find("{http://www.w3.org/2000/svg}path")
            assert path is not None
            numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.get("d", ""))]
            xs, ys = numbers[0::2], numbers[1::2]
            values = xs if along == "x" else ys
            lengths[gid.removeprefix("bar-")] = max(values) - min(values)
    return lengths


def chart(client: TestClient, name: str, start: str, end: str) -> bytes:
    response = client.get(f"/api/agent/analytics/charts/{name}.svg?start={start}&end={end}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml"
    return response.content


def test_charts_draw_the_real_figures(agent: TestClient) -> None:
    month = bar_lengths(chart(agent, "intents", "2026-11-01", "2026-11-30"))
    assert set(month) == {
        "product_search",
        "greet",
        "track_order",
        "human_handoff",
        "nlu_fallback",
        "out_of_scope",
    }
    assert month["product_search"] == pytest.approx(3 * month["greet"], rel=0.01)
    later = bar_lengths(chart(agent, "intents", "2026-11-20", "2026-11-20"))
    assert set(later) == {
        "product_search",
        "nlu_fallback",
        "out_of_scope",
    }  # other data, other bars

    csat = bar_lengths(chart(agent, "csat", "2026-11-01", "2026-11-30"), along="y")
    assert csat["1"] == pytest.approx(csat["5"]) and csat["2"] == 0
    rates = bar_lengths(chart(agent, "rates", "2026-11-01", "2026-11-30"))
    assert rates["containment"] == pytest.approx(3 * rates["handoff"], rel=0.01)
    latency = bar_lengths(chart(agent, "latency", "2026-11-01", "2026-11-30"), along="y")
    assert latency["p99"] > latency["p50"] > 0
    assert bar_lengths(chart(agent, "handoff-reasons", "2026-12-01", "2026-12-02")) == {}
    missing = agent.get("/api/agent/analytics/charts/pie.svg")
    assert missing.status_code == 404 and "charts: rates" in missing.json()["detail"]


def test_an_unreadable_tracker_store_answers_503_without_its_url(
    agent: TestClient, tracker_path: Path
) -> None:
    tracker_path.unlink()
    tracker_path.mkdir()  # a folder: SQLite can't open it
    response = agent.get("/api/agent/review/conversations")
    assert response.status_code == 503
    assert "AISLE_TRACKER_URL" in response.json()["detail"]
    assert str(tracker_path) not in response.json()["detail"]


@pytest.mark.stack
def test_an_export_from_the_running_gateway_replays_through_the_harness(
    stack: Stack, tmp_path: Path
) -> None:
    """The stack's own gateway reads the tracker store its Rasa writes (AISLE_TRACKER_URL)."""
    sender = f"review-api-{uuid.uuid4().hex[:10]}"
    with httpx.Client(base_url=stack.config.rasa_url, timeout=60) as rasa:
        for text in ("hello", "what is your return policy"):
            response = rasa.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
            response.raise_for_status()
    email = f"review-{uuid.uuid4().hex[:8]}@shop.example"
    add_agent(stack.config.env["AISLE_DATABASE_URL"], email=email)
    replayer = StoryReplayer(stack.config.rasa_url, custom_actions_of(PROJECT_ROOT / "domain.yml"))
    with httpx.Client(base_url=stack.config.gateway_url, timeout=60) as gateway:
        signed_in = gateway.post(
            "/api/agent/login", json={"email": email, "password": AGENT_PASSWORD}
        )
        assert signed_in.status_code == 204

        def export(intents: dict[str, str]) -> Path:
            response = gateway.post(
                f"/api/agent/review/conversations/{sender}/export", json={"intents": intents}
            )
            assert response.status_code == 200, response.text
            story_file = tmp_path / f"story_{len(intents)}.yml"
            story_file.write_text(response.json()["yaml"], encoding="utf-8")
            return story_file

        confirmed = export({"0": "greet", "1": "return_policy"})  # the reviewer agrees
        mislabelled = export({"1": "shipping_policy"})
    try:
        [story] = load_stories([confirmed])
        assert [turn.intent for turn in story.turns] == ["greet", "return_policy"]
        result = replayer.replay(story)
        assert result.passed, result.failures
        [wrong] = load_stories([mislabelled])
        failures = replayer.replay(wrong).failures
    finally:
        replayer.close()
    assert any("shipping_policy" in failure for failure in failures), failures
