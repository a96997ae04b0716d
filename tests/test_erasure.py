"""Erasing a shopper, then searching every store for them; purging old conversations."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import String, cast, func, select

from aisle import migrate
from aisle.csat import record_rating
from aisle.database import session_scope
from aisle.erasure import erase_shopper, purge_older_than
from aisle.models import CsatRating, Handoff
from aisle.stack import Stack
from aisle.tracker_events import EVENTS, TrackerEvents


def _say(stack: Stack, sender: str, text: str) -> None:
    response = httpx.post(
        f"{stack.config.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        timeout=60,
    )
    response.raise_for_status()


def _tracker_rows_with(url: str, needle: str) -> int:
    store = TrackerEvents(url)
    try:
        with store.engine.connect() as connection:
            query = select(func.count()).where(func.lower(EVENTS.c.data).contains(needle))
            return int(connection.execute(query).scalar_one())
    finally:
        store.close()


def _handoffs_with(shop_url: str, needle: str) -> int:
    with session_scope(shop_url) as session:
        query = select(func.count()).where(
            func.lower(cast(Handoff.transcript, String)).contains(needle)
        )
        return int(session.scalar(query) or 0)


@pytest.mark.stack
def test_an_erased_shopper_is_found_nowhere(stack: Stack, demo_shop: dict[str, Any]) -> None:
    email = f"erase.me.{uuid.uuid4().hex[:8]}@example.com"
    shopper, bystander = f"erase-{uuid.uuid4().hex[:8]}", f"keep-{uuid.uuid4().hex[:8]}"
    _say(stack, shopper, f"where is order 10001? my email is {email}")
    _say(stack, shopper, "i want to talk to a person")
    _say(stack, bystander, "where is order 10002? email alex.rivera@example.com")
    tracker_url = f"sqlite:///{stack.config.endpoints.parent / 'tracker.db'}"
    shop_url = str(demo_shop["database_url"])
    assert _tracker_rows_with(tracker_url, email) > 0 and _handoffs_with(shop_url, email) == 1
    with session_scope(shop_url) as session:
        record_rating(session, shopper, 2, "too slow", "goodbye")
        record_rating(session, bystander, 5, None, "goodbye")

    report = erase_shopper(email.upper(), shop_url, tracker_url)

    assert (report.conversations, report.handoffs) == (1, 1) and report.tracker_events > 0
    assert _tracker_rows_with(tracker_url, email) == 0
    assert _conversation_exists(tracker_url, bystander)  # everyone else stays
    assert _handoffs_with(shop_url, email) == 0
    with session_scope(shop_url) as session:
        rated = set(session.scalars(select(CsatRating.conversation_id)))
    assert shopper not in rated and bystander in rated
    for log in stack.config.log_dir.glob("*.log"):  # logs never held it
        assert email not in log.read_text(encoding="utf-8", errors="replace"), log.name


def _conversation_exists(url: str, sender: str) -> bool:
    store = TrackerEvents(url)
    try:
        return store.conversation(sender) is not None
    finally:
        store.close()


def test_an_empty_email_erases_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="an email is needed"):
        erase_shopper("  ", None, f"sqlite:///{tmp_path / 't.db'}")


def _store_with(path: Path, conversations: dict[str, float]) -> str:
    """A tracker store whose conversations each had one event ``age`` days ago."""
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, "
            "timestamp FLOAT, intent_name TEXT, action_name TEXT, data TEXT)"
        )
        for sender, age_days in conversations.items():
            at = time.time() - age_days * 86400
            event = {"event": "user", "timestamp": at, "text": "hi"}
            db.execute(
                "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)",
                (sender, "user", at, json.dumps(event)),
            )
    return f"sqlite:///{path}"


def test_purge_deletes_only_conversations_past_the_retention(
    tmp_path: Path, sqlite_url: str
) -> None:
    migrate.upgrade(sqlite_url)
    url = _store_with(tmp_path / "tracker.db", {"old": 120, "recent": 3})
    report = purge_older_than(90, sqlite_url, url)
    assert report.conversations == 1
    assert not _conversation_exists(url, "old") and _conversation_exists(url, "recent")
    with pytest.raises(ValueError):
        purge_older_than(0, sqlite_url, url)
