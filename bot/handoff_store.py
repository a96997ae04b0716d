"""The gateway's reads and writes of handoffs, as wire models for the console and widget.

Synchronous (SQLAlchemy sessions); async callers run these in a thread. The
lifecycle rules themselves are in ``aisle.handoffs``; this module only loads
rows, applies them and shapes the answers. An agent only ever reaches
handoffs here, and a customer's orders only through a handoff whose shopper
proved to own one of them.
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session, selectinload

from aisle import handoffs
from aisle.agents import utc_now
from aisle.models import (
    OPEN_HANDOFF_STATUSES,
    Agent,
    Handoff,
    HandoffMessage,
    Order,
    Product,
    SupportTicket,
)
from bot.agent_schemas import (
    AgentView,
    CustomerView,
    HandoffDetail,
    LiveMessage,
    OrderLine,
    ProductLine,
    QueueItem,
)
from bot.schemas import HandoffStatus
from bot.store import database_session, transcript_lines

DEFAULT_HANDLING_MINUTES = 5.0
"""Assumed handling time until some handoffs have been handled."""

RECENT_HANDOFFS = 20
"""How many recently ended handoffs the expected wait is averaged over."""

SEARCH_LIMIT = 50


class HandoffNotFound(Exception):
    """No handoff with that id."""


class OpenHandoff(BaseModel):
    """A conversation's open handoff, as the relay needs it."""

    id: int
    conversation_id: str
    status: HandoffStatus
    agent_id: int | None
    agent_name: str | None
    queue_position: int


def open_handoff(database_url: str, conversation_id: str) -> OpenHandoff | None:
    """The conversation's waiting or claimed handoff, if a person owns it."""
    with database_session(database_url) as session:
        handoff = handoffs.open_handoff_for(session, conversation_id)
        return _open_view(session, handoff) if handoff else None


def record_shopper_message(
    database_url: str, conversation_id: str, text: str
) -> tuple[OpenHandoff, LiveMessage] | None:
    """Stores a shopper message in their open handoff; ``None`` if a person does not own it."""
    with database_session(database_url) as session:
        handoff = handoffs.open_handoff_for(session, conversation_id)
        if handoff is None:
            return None
        message = handoffs.add_message(session, handoff, "shopper", text)
        return _open_view(session, handoff), _live(message, None)


def queue(database_url: str) -> list[QueueItem]:
    """Open handoffs, the longest waiting first."""
    query = (
        select(Handoff)
        .where(Handoff.status.in_(OPEN_HANDOFF_STATUSES))
        .options(selectinload(Handoff.agent))
        .order_by(Handoff.created_at, Handoff.id)
    )
    with database_session(database_url) as session:
        return [_queue_item(handoff) for handoff in session.scalars(query)]


def search_closed(database_url: str, text: str) -> list[QueueItem]:
    """Ended handoffs whose transcript, live messages or summary contain ``text``."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    in_messages = select(HandoffMessage.handoff_id).where(
        HandoffMessage.text.ilike(pattern, escape="\\")
    )
    query = (
        select(Handoff)
        .where(Handoff.status.in_(("closed", "returned_to_bot")))
        .where(
            or_(
                Handoff.summary.ilike(pattern, escape="\\"),
                cast(Handoff.transcript, String).ilike(pattern, escape="\\"),
                Handoff.id.in_(in_messages),
            )
        )
        .options(selectinload(Handoff.agent))
        .order_by(Handoff.created_at.desc())
        .limit(SEARCH_LIMIT)
    )
    with database_session(database_url) as session:
        return [_queue_item(handoff) for handoff in session.scalars(query)]


def detail(database_url: str, handoff_id: int) -> HandoffDetail:
    """The whole handoff package for the context panel; raises ``HandoffNotFound``."""
    with database_session(database_url) as session:
        handoff = _get(session, handoff_id)
        slots = handoff.slots or {}
        context = handoff.context or {}
        verified = slots.get("verified_order")
        return HandoffDetail(
            **_queue_item(handoff).model_dump(),
            latest_intent=handoff.latest_intent,
            resolution=handoff.resolution,
            escalation=dict(context.get("escalation") or {}),
            intents=list(context.get("intents") or []),
            actions=[str(name) for name in context.get("actions") or []],
            page=context.get("page"),
            slots=slots,
            customer=_customer(session, verified) if verified else None,
            verified_order=str(verified) if verified else None,
            products_shown=_products(session, slots.get("shown_products") or []),
            transcript=transcript_lines(handoff.transcript),
            messages=[_live(m, _agent_name(session, m.agent_id)) for m in handoff.messages],
        )


def claim(database_url: str, handoff_id: int, agent: AgentView) -> OpenHandoff:
    """Gives a waiting handoff to ``agent``; raises ``HandoffStateError`` otherwise."""
    with database_session(database_url) as session:
        handoff = _get(session, handoff_id)
        handoffs.claim(handoff, _agent(session, agent))
        session.flush()
        return _open_view(session, handoff)


def add_agent_message(
    database_url: str, handoff_id: int, agent: AgentView, text: str
) -> tuple[str, LiveMessage]:
    """Stores an agent's message; returns the conversation id and the stored message."""
    with database_session(database_url) as session:
        handoff = _get(session, handoff_id)
        row = _agent(session, agent)
        handoffs.check_writable(handoff, row)
        message = handoffs.add_message(session, handoff, "agent", text, row)
        return handoff.conversation_id, _live(message, agent.name)


def end(
    database_url: str,
    handoff_id: int,
    agent: AgentView,
    how: Literal["return", "close"],
    resolution: str | None = None,
) -> str:
    """Hands back to the bot or closes; returns the conversation id."""
    with database_session(database_url) as session:
        handoff = _get(session, handoff_id)
        row = _agent(session, agent)
        if how == "return":
            handoffs.return_to_bot(handoff, row)
        else:
            handoffs.close(handoff, row, resolution or "")
        return handoff.conversation_id


def check_agent_may_type(database_url: str, handoff_id: int, agent: AgentView) -> str:
    """The conversation id of a handoff ``agent`` holds (typing indicators need no row)."""
    with database_session(database_url) as session:
        handoff = _get(session, handoff_id)
        handoffs.check_writable(handoff, _agent(session, agent))
        return handoff.conversation_id


def create_ticket(
    database_url: str, conversation_id: str, email: str, message: str
) -> tuple[int, int]:
    """Turns the conversation's waiting handoff into a ticket; returns the ticket's and its id."""
    with database_session(database_url) as session:
        handoff = handoffs.open_handoff_for(session, conversation_id)
        if handoff is None:
            raise handoffs.HandoffStateError("There is no waiting request to leave a message for.")
        handoffs.close_as_ticket(handoff)
        ticket = SupportTicket(
            handoff_id=handoff.id,
            conversation_id=conversation_id,
            email=email.strip().lower(),
            message=message.strip(),
            status="open",
            created_at=utc_now(),
        )
        session.add(ticket)
        session.flush()
        return ticket.id, handoff.id


def expected_wait_minutes(database_url: str, position: int, agents_online: int) -> int:
    """Position in the queue x recent handling time / agents online, rounded up to a minute."""
    query = (
        select(Handoff.claimed_at, Handoff.ended_at)
        .where(Handoff.claimed_at.is_not(None), Handoff.ended_at.is_not(None))
        .order_by(Handoff.ended_at.desc())
        .limit(RECENT_HANDOFFS)
    )
    with database_session(database_url) as session:
        durations = [
            (ended - claimed).total_seconds() / 60
            for claimed, ended in session.execute(query)
            if claimed is not None and ended is not None
        ]
    handling = statistics.median(durations) if durations else DEFAULT_HANDLING_MINUTES
    return max(1, round(position * handling / max(agents_online, 1) + 0.49))


# --- helpers ----------------------------------------------------------------


def _get(session: Session, handoff_id: int) -> Handoff:
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise HandoffNotFound(f"No handoff #{handoff_id}.")
    return handoff


def _agent(session: Session, agent: AgentView) -> Agent:
    row = session.get(Agent, agent.id)
    if row is None:
        raise handoffs.HandoffStateError("The agent account no longer exists.")
    return row


def _agent_name(session: Session, agent_id: int | None) -> str | None:
    if agent_id is None:
        return None
    agent = session.get(Agent, agent_id)
    return agent.name if agent else None


def _open_view(session: Session, handoff: Handoff) -> OpenHandoff:
    return OpenHandoff(
        id=handoff.id,
        conversation_id=handoff.conversation_id,
        status=handoff.status,  # type: ignore[arg-type]
        agent_id=handoff.agent_id,
        agent_name=_agent_name(session, handoff.agent_id),
        queue_position=handoffs.queue_position(session, handoff),
    )


def _queue_item(handoff: Handoff) -> QueueItem:
    waited = (handoff.claimed_at or handoff.ended_at or utc_now()) - handoff.created_at
    return QueueItem(
        id=handoff.id,
        conversation_id=handoff.conversation_id,
        status=handoff.status,  # type: ignore[arg-type]
        reason=handoff.reason,
        summary=handoff.summary,
        created_at=handoff.created_at,
        waiting_seconds=max(0, int(waited / dt.timedelta(seconds=1))),
        agent_name=handoff.agent.name if handoff.agent else None,
    )


def _live(message: HandoffMessage, agent_name: str | None) -> LiveMessage:
    return LiveMessage(
        id=message.id,
        handoff_id=message.handoff_id,
        sender=message.sender,  # type: ignore[arg-type]
        text=message.text,
        created_at=message.created_at,
        agent_name=agent_name,
    )


def _customer(session: Session, order_number: object) -> CustomerView | None:
    """The customer who proved to own ``order_number``, with their orders, newest first."""
    order = session.scalar(
        select(Order).where(Order.number == str(order_number)).options(selectinload(Order.customer))
    )
    if order is None:
        return None
    customer = order.customer
    orders = session.scalars(
        select(Order).where(Order.customer_id == customer.id).order_by(Order.placed_at.desc())
    )
    return CustomerView(
        name=customer.name,
        email=customer.email,
        orders=[
            OrderLine(
                number=o.number,
                status=o.status,
                placed_at=o.placed_at,
                total=f"{o.total:.2f}",
                currency=o.currency,
            )
            for o in orders
        ],
    )


def _products(session: Session, ids: list[object]) -> list[ProductLine]:
    wanted = [str(product_id) for product_id in ids][:20]
    if not wanted:
        return []
    titles = dict(session.execute(select(Product.id, Product.title).where(Product.id.in_(wanted))))
    return [ProductLine(id=pid, title=titles[pid]) for pid in wanted if pid in titles]
