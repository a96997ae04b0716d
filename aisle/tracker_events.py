"""Reading conversations back from Rasa's SQL tracker store.

Rasa writes every event of every conversation to one ``events`` table (its
``SQLTrackerStore``: SQLite by default, PostgreSQL in production). Review and
analytics read that table directly, read-only, with SQLAlchemy 2 Core: they
run in the app environment, which has no Rasa, and must not wait on a Rasa
server to look at yesterday's conversations.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from aisle.settings import Settings

DEFAULT_TRACKER_URL: str = Settings.model_fields["tracker_url"].default
"""The embedded tracker store endpoints.yml configures (``AISLE_TRACKER_URL`` overrides it)."""


def tracker_url_from_environment() -> str:
    """``AISLE_TRACKER_URL``, read the way every other setting is (``aisle.settings``)."""
    return Settings().tracker_url


_metadata = MetaData()
EVENTS = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


class TrackerStoreError(Exception):
    """The tracker store could not be read; the message names the URL to check."""


@dataclass
class Conversation:
    """One conversation's events, oldest first, as Rasa stored them (``event`` dicts)."""

    sender_id: str
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def started_at(self) -> dt.datetime:
        return _utc(self.events[0]["timestamp"]) if self.events else dt.datetime.min

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event.get("event") == event_type]


def _utc(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)


class TrackerEvents:
    """Read-only access to a Rasa SQL tracker store, by SQLAlchemy URL."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._engine: Engine = create_engine(url)

    @property
    def engine(self) -> Engine:
        """For the few who must write (``aisle.erasure``); everyone else only reads."""
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def conversations(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> Iterator[Conversation]:
        """Every conversation with an event in [since, until), oldest first."""
        query = select(EVENTS.c.sender_id, EVENTS.c.data).order_by(EVENTS.c.sender_id, EVENTS.c.id)
        if since is not None:
            query = query.where(EVENTS.c.timestamp >= since.timestamp())
        if until is not None:
            query = query.where(EVENTS.c.timestamp < until.timestamp())
        current: Conversation | None = None
        for sender_id, data in self._rows(query):
            if current is None or current.sender_id != sender_id:
                if current is not None:
                    yield current
                current = Conversation(sender_id)
            current.events.append(json.loads(data))
        if current is not None:
            yield current

    def conversation(self, sender_id: str) -> Conversation | None:
        query = (
            select(EVENTS.c.sender_id, EVENTS.c.data)
            .where(EVENTS.c.sender_id == sender_id)
            .order_by(EVENTS.c.id)
        )
        events = [json.loads(data) for _, data in self._rows(query)]
        return Conversation(sender_id, events) if events else None

    def _rows(self, query: Any) -> list[tuple[str, str]]:
        try:
            with self._engine.connect() as connection:
                return [(row[0], row[1]) for row in connection.execute(query)]
        except SQLAlchemyError as error:
            raise TrackerStoreError(
                f"Can't read Rasa's tracker store at {self._url}: {error.__class__.__name__}. "
                "Check the URL (--tracker-url / AISLE_TRACKER_URL) and that Rasa has written to it."
            ) from error
