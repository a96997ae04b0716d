"""A handoff's lifecycle: waiting -> claimed -> returned_to_bot or closed.

The rules live here, once, so the gateway's HTTP routes and its websockets
cannot disagree about who may do what: only a waiting handoff can be claimed,
only its claiming agent writes to it, hands it back or closes it, and an ended
handoff takes no more messages.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aisle.agents import utc_now
from aisle.models import OPEN_HANDOFF_STATUSES, Agent, Handoff, HandoffMessage

RESOLUTIONS = ("resolved", "refund_issued", "order_changed", "follow_up", "no_reply", "spam")
"""Tags an agent closes a handoff with; reports group by them. (``ticket``: closed by the
shopper leaving an email and a message, never chosen by an agent.)"""

Sender = Literal["shopper", "agent", "system"]


class HandoffStateError(Exception):
    """The asked transition does not fit the handoff's state (or the agent)."""


def open_handoff_for(session: Session, conversation_id: str) -> Handoff | None:
    """The conversation's waiting or claimed handoff, if a person owns it now."""
    query = (
        select(Handoff)
        .where(Handoff.conversation_id == conversation_id)
        .where(Handoff.status.in_(OPEN_HANDOFF_STATUSES))
        .order_by(Handoff.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def claim(handoff: Handoff, agent: Agent) -> None:
    """Gives a waiting handoff to ``agent``."""
    if handoff.status != "waiting":
        raise HandoffStateError(f"Handoff #{handoff.id} is {handoff.status}, not waiting.")
    handoff.status = "claimed"
    handoff.agent_id = agent.id
    handoff.claimed_at = utc_now()


def check_writable(handoff: Handoff, agent: Agent) -> None:
    """Raises unless ``agent`` holds ``handoff`` and it is still open."""
    if handoff.status != "claimed":
        raise HandoffStateError(f"Handoff #{handoff.id} is {handoff.status}; claim it first.")
    if handoff.agent_id != agent.id:
        raise HandoffStateError(f"Handoff #{handoff.id} belongs to another agent.")


def return_to_bot(handoff: Handoff, agent: Agent) -> None:
    """Ends the human part; the bot answers the shopper's next message."""
    check_writable(handoff, agent)
    handoff.status = "returned_to_bot"
    handoff.ended_at = utc_now()


def close(handoff: Handoff, agent: Agent, resolution: str) -> None:
    """Ends the handoff with a resolution tag; a waiting one may be closed unclaimed."""
    if resolution not in RESOLUTIONS:
        raise HandoffStateError(f"Unknown resolution {resolution!r}.")
    if handoff.status == "waiting":
        handoff.agent_id = agent.id
    else:
        check_writable(handoff, agent)
    handoff.status = "closed"
    handoff.resolution = resolution
    handoff.ended_at = utc_now()


def close_as_ticket(handoff: Handoff) -> None:
    """Ends a waiting handoff the shopper turned into a ticket (nobody could answer live)."""
    if handoff.status != "waiting":
        raise HandoffStateError(f"Handoff #{handoff.id} is {handoff.status}, not waiting.")
    handoff.status = "closed"
    handoff.resolution = "ticket"
    handoff.ended_at = utc_now()


def add_message(
    session: Session, handoff: Handoff, sender: Sender, text: str, agent: Agent | None = None
) -> HandoffMessage:
    """Stores one live message; an ended handoff takes none."""
    if handoff.status not in OPEN_HANDOFF_STATUSES:
        raise HandoffStateError(f"Handoff #{handoff.id} is {handoff.status}.")
    message = HandoffMessage(
        handoff_id=handoff.id,
        sender=sender,
        agent_id=agent.id if agent else None,
        text=text,
        created_at=utc_now(),
    )
    session.add(message)
    session.flush()
    return message


def queue_position(session: Session, handoff: Handoff) -> int:
    """1 for the oldest waiting handoff; 0 once it is no longer waiting."""
    if handoff.status != "waiting":
        return 0
    ahead = session.scalar(
        select(func.count())
        .select_from(Handoff)
        .where(Handoff.status == "waiting")
        .where(Handoff.id < handoff.id)
    )
    return int(ahead or 0) + 1
