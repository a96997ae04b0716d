"""Agent accounts: creation, password hashing and checking.

Passwords are hashed with argon2id (``argon2-cffi``, the algorithm OWASP
recommends first), so a copied database does not reveal them. The gateway's
login (``bot.agent_auth``) and the CLI (``python -m aisle agent create``) both
go through here.
"""

from __future__ import annotations

import datetime as dt
import logging

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from aisle.models import Agent

logger = logging.getLogger(__name__)

MIN_PASSWORD_CHARS = 12
"""Shortest password accepted for a new agent."""

_hasher = PasswordHasher()

# Checked against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only for constant-time misses")


class AgentError(ValueError):
    """An agent cannot be created as asked (duplicate email, weak password, ...)."""


def hash_password(password: str) -> str:
    """Returns the argon2id hash of ``password``."""
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """Tells whether ``password`` is the one ``password_hash`` was made from."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_email(email: str) -> str:
    """Agents log in by email, compared lower-cased and without surrounding spaces."""
    return email.strip().lower()


def create_agent(session: Session, email: str, name: str, password: str) -> Agent:
    """Adds an agent account; raises ``AgentError`` for a taken email or a weak password."""
    email = normalise_email(email)
    if "@" not in email or not name.strip():
        raise AgentError("An agent needs an email address and a name.")
    if len(password) < MIN_PASSWORD_CHARS:
        raise AgentError(f"The password must have at least {MIN_PASSWORD_CHARS} characters.")
    if session.scalar(select(Agent.id).where(Agent.email == email)) is not None:
        raise AgentError(f"An agent with the email {email} already exists.")
    agent = Agent(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        active=True,
        created_at=utc_now(),
    )
    session.add(agent)
    session.flush()
    logger.info("Created agent #%d (%s)", agent.id, email)
    return agent


def authenticate(session: Session, email: str, password: str) -> Agent | None:
    """Returns the active agent with these credentials, else ``None`` (same time either way)."""
    agent = session.scalar(select(Agent).where(Agent.email == normalise_email(email)))
    if agent is None or not agent.active:
        password_matches(_DUMMY_HASH, password)
        return None
    return agent if password_matches(agent.password_hash, password) else None


def utc_now() -> dt.datetime:
    """Naive UTC, as every timestamp of the shop database is stored."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
