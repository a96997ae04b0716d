"""Forgetting shoppers: erase one by email, and purge conversations past their retention.

Where a shopper's words are kept: Rasa's tracker store (every event of every
conversation) and, in the shop database, the handoffs (transcript and slots
for the agent, the live chat's messages) and the support tickets (email and
message left when nobody was online); the CSAT ratings of those conversations go with them
(their comments are stored redacted). Logs never hold them (``aisle.pii`` redacts log lines as they
are written) and analytics keep only counts, so these two stores are all
there is to clean. Orders, returns and refunds stay: they are the shop's
records of a sale, kept under its own accounting rules.

    python -m aisle erase --email ada@example.com
    python -m aisle purge --older-than-days 90
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, delete, func, or_, select
from sqlalchemy.orm import Session

from aisle.database import session_scope
from aisle.models import CsatRating, Handoff, SupportTicket
from aisle.order_source import normalise_email
from aisle.tracker_events import EVENTS, TrackerEvents

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErasureReport:
    conversations: int
    tracker_events: int
    handoffs: int
    tickets: int = 0


def erase_shopper(email: str, shop_url: str | None, tracker_url: str) -> ErasureReport:
    """Deletes every conversation that mentions ``email``, and its handoffs.

    A conversation mentions the email when any of its events holds it (the
    shopper typed it, or a slot was set to it); the whole conversation goes,
    since the rest of it is about the same person.
    """
    wanted = normalise_email(email)
    if not wanted:
        raise ValueError("an email is needed to find the shopper's conversations")
    store = TrackerEvents(tracker_url)
    try:
        senders = _senders_mentioning(store, wanted)
        events = _delete_events(store, senders)
    finally:
        store.close()
    with session_scope(shop_url) as session:
        tickets = _delete_tickets(session, senders, wanted)
        handoffs = _delete_handoffs(session, senders, wanted)
        _delete_all(session, select(CsatRating).where(CsatRating.conversation_id.in_(senders)))
    logger.info(
        "Erased a shopper: %d conversations, %d handoffs, %d tickets",
        len(senders),
        len(handoffs),
        tickets,
    )
    return ErasureReport(len(senders), events, len(handoffs), tickets)


def _senders_mentioning(store: TrackerEvents, email: str) -> set[str]:
    query = select(EVENTS.c.sender_id).where(func.lower(EVENTS.c.data).contains(email)).distinct()
    with store.engine.connect() as connection:
        return {row[0] for row in connection.execute(query)}


def _delete_events(store: TrackerEvents, senders: set[str]) -> int:
    if not senders:
        return 0
    with store.engine.begin() as connection:
        return connection.execute(delete(EVENTS).where(EVENTS.c.sender_id.in_(senders))).rowcount


def _delete_tickets(session: Session, senders: set[str], email: str) -> int:
    mentions = or_(
        SupportTicket.conversation_id.in_(senders),
        func.lower(SupportTicket.email) == email,
        func.lower(SupportTicket.message).contains(email),
    )
    return _delete_all(session, select(SupportTicket).where(mentions))


def _delete_handoffs(session: Session, senders: set[str], email: str) -> list[int]:
    """Deletes the handoffs (their live-chat messages with them); returns their ids."""
    mentions = or_(
        Handoff.conversation_id.in_(senders),
        func.lower(cast(Handoff.transcript, String)).contains(email),
        func.lower(cast(Handoff.slots, String)).contains(email),
    )
    handoffs = list(session.scalars(select(Handoff).where(mentions)))
    ids = [handoff.id for handoff in handoffs]
    _delete_all(session, select(SupportTicket).where(SupportTicket.handoff_id.in_(ids)))
    for handoff in handoffs:
        session.delete(handoff)
    return ids


def _delete_all(session: Session, query: Any) -> int:
    rows = list(session.scalars(query))
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)


def purge_older_than(days: int, shop_url: str | None, tracker_url: str) -> ErasureReport:
    """Deletes conversations whose last event is older than ``days``, and their old handoffs."""
    if days < 1:
        raise ValueError("keep conversations for at least one day")
    cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)
    store = TrackerEvents(tracker_url)
    try:
        last_seen = (
            select(EVENTS.c.sender_id)
            .group_by(EVENTS.c.sender_id)
            .having(func.max(EVENTS.c.timestamp) < cutoff.timestamp())
        )
        with store.engine.connect() as connection:
            senders = {row[0] for row in connection.execute(last_seen)}
        events = _delete_events(store, senders)
    finally:
        store.close()
    with session_scope(shop_url) as session:
        old = list(
            session.scalars(select(Handoff).where(Handoff.created_at < cutoff.replace(tzinfo=None)))
        )
        for handoff in old:
            session.delete(handoff)
    logger.info(
        "Purged %d conversations and %d handoffs older than %d days", len(senders), len(old), days
    )
    return ErasureReport(len(senders), events, len(old))
