"""Server-side agent sessions in the shop database.

The browser only holds a random token (``secrets.token_urlsafe``); the table
holds its SHA-256, the agent and an expiry. So logging out, or deleting an
agent, ends the session everywhere at once, and a copy of the table cannot be
used as cookies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select

from aisle.agents import authenticate, utc_now
from aisle.models import Agent, AgentSession
from bot.agent_schemas import AgentView
from bot.store import database_session


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(database_url: str, email: str, password: str, hours: float) -> str | None:
    """Checks the credentials; returns a new session token, or ``None`` when they are wrong."""
    with database_session(database_url) as session:
        agent = authenticate(session, email, password)
        if agent is None:
            return None
        token = secrets.token_urlsafe(32)
        now = utc_now()
        session.add(
            AgentSession(
                token_hash=token_hash(token),
                agent_id=agent.id,
                created_at=now,
                expires_at=now + dt.timedelta(hours=hours),
            )
        )
        session.execute(delete(AgentSession).where(AgentSession.expires_at < now))
        return token


def agent_for(database_url: str, token: str | None) -> AgentView | None:
    """The active agent a live session token belongs to, else ``None``."""
    if not token:
        return None
    query = (
        select(Agent)
        .join(AgentSession, AgentSession.agent_id == Agent.id)
        .where(AgentSession.token_hash == token_hash(token))
        .where(AgentSession.expires_at > utc_now())
        .where(Agent.active.is_(True))
    )
    with database_session(database_url) as session:
        agent = session.scalar(query)
        return AgentView(id=agent.id, email=agent.email, name=agent.name) if agent else None


def logout(database_url: str, token: str | None) -> None:
    """Ends the session of ``token`` (if any)."""
    if not token:
        return
    with database_session(database_url) as session:
        session.execute(delete(AgentSession).where(AgentSession.token_hash == token_hash(token)))
