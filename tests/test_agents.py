"""Agent accounts, the handoff lifecycle and their migration, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from sqlalchemy import inspect, select, text

from aisle import handoffs, migrate
from aisle.agents import AgentError, authenticate, create_agent, password_matches
from aisle.database import get_engine, session_scope
from aisle.models import Agent, Handoff
from aisle.settings import PROJECT_ROOT

PASSWORD = "correct horse battery staple"


def new_handoff(conversation_id: str = "conv-agents-1") -> Handoff:
    return Handoff(
        conversation_id=conversation_id,
        status="waiting",
        reason="shopper_request",
        summary="Shopper sent 1 message(s).",
        latest_intent="human_handoff",
        transcript=[],
        slots={},
        context={},
        created_at=dt.datetime(2026, 1, 1, 9, 0),
    )


def test_agent_password_is_stored_as_an_argon2_hash(database_url: str) -> None:
    with session_scope(database_url) as session:
        agent = create_agent(session, " Jo@Shop.example ", "Jo", PASSWORD)
        assert agent.email == "jo@shop.example"
        assert agent.password_hash.startswith("$argon2id$")
        assert PASSWORD not in agent.password_hash
        assert password_matches(agent.password_hash, PASSWORD)
    with session_scope(database_url) as session:
        assert authenticate(session, "JO@shop.example", PASSWORD) is not None
        assert authenticate(session, "jo@shop.example", PASSWORD + "x") is None
        assert authenticate(session, "nobody@shop.example", PASSWORD) is None


def test_duplicate_email_and_short_password_are_refused(database_url: str) -> None:
    with session_scope(database_url) as session:
        create_agent(session, "jo@shop.example", "Jo", PASSWORD)
    with session_scope(database_url) as session, pytest.raises(AgentError, match="already"):
        create_agent(session, "JO@shop.example", "Other Jo", PASSWORD)
    with session_scope(database_url) as session, pytest.raises(AgentError, match="12"):
        create_agent(session, "kim@shop.example", "Kim", "short")


def test_handoff_lifecycle(database_url: str) -> None:
    with session_scope(database_url) as session:
        jo = create_agent(session, "jo@shop.example", "Jo", PASSWORD)
        kim = create_agent(session, "kim@shop.example", "Kim", PASSWORD)
        first, second = new_handoff("conv-first-1"), new_handoff("conv-second-2")
        session.add_all([first, second])
        session.flush()
        assert (
            handoffs.queue_position(session, first),
            handoffs.queue_position(session, second),
        ) == (1, 2)
        handoffs.claim(first, jo)
        session.flush()
        assert handoffs.queue_position(session, second) == 1
        with pytest.raises(handoffs.HandoffStateError):
            handoffs.claim(first, kim)
        with pytest.raises(handoffs.HandoffStateError, match="another agent"):
            handoffs.check_writable(first, kim)
        handoffs.add_message(session, first, "agent", "Hello, I'm Jo.", jo)
        handoffs.return_to_bot(first, jo)
        assert first.status == "returned_to_bot" and first.ended_at is not None
        with pytest.raises(handoffs.HandoffStateError):
            handoffs.add_message(session, first, "agent", "Too late", jo)
        with pytest.raises(handoffs.HandoffStateError, match="resolution"):
            handoffs.close(second, kim, "made-up")
        handoffs.close(second, kim, "no_reply")
        assert (second.status, second.resolution, second.agent_id) == ("closed", "no_reply", kim.id)
        assert handoffs.open_handoff_for(session, "conv-first-1") is None


def test_migration_keeps_old_handoffs_and_goes_down_again(sqlite_url: str) -> None:
    migrate.upgrade(sqlite_url, "0001")
    with get_engine(sqlite_url).begin() as connection:
        connection.execute(
            text(
                "INSERT INTO handoffs (conversation_id, status, reason, summary, transcript, slots,"
                " created_at) VALUES ('conv-old-1', 'active', 'x', 's', '[]', '{}',"
                " '2026-01-01 09:00:00')"
            )
        )
    migrate.upgrade(sqlite_url)
    with session_scope(sqlite_url) as session:
        old = session.scalars(select(Handoff)).one()
        assert (old.status, old.context, old.messages) == ("claimed", {}, [])
    migrate.downgrade(sqlite_url, "0001")
    assert "agents" not in inspect(get_engine(sqlite_url)).get_table_names()
    get_engine(sqlite_url).dispose()


def run_cli(
    database_url: str, *args: str, password: str | None
) -> subprocess.CompletedProcess[str]:
    env = {"AISLE_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    if password is not None:
        env["AISLE_AGENT_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "aisle", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_cli_creates_an_agent_from_the_environment_password(sqlite_url: str) -> None:
    args = ("agent", "create", "--email", "Sam@Shop.example", "--name", "Sam")
    created = run_cli(sqlite_url, *args, password=PASSWORD)
    assert created.returncode == 0, created.stderr
    assert "Created agent #1 (sam@shop.example)" in created.stdout
    again = run_cli(sqlite_url, *args, password=PASSWORD)
    assert again.returncode == 1 and "already exists" in again.stderr
    with session_scope(sqlite_url) as session:
        agent = session.scalars(select(Agent)).one()
        assert authenticate(session, "sam@shop.example", PASSWORD) is not None
        assert agent.name == "Sam"
    get_engine(sqlite_url).dispose()
