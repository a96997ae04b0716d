"""Command line for the shop database: ``python -m aisle migrate|seed|agent create``.

``agent create --email E --name N`` asks for the password twice, or reads it
from ``AISLE_AGENT_PASSWORD`` when that is set (scripts, tests, CI).
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence

from sqlalchemy import func, select

from aisle import migrate
from aisle.agents import AgentError, create_agent
from aisle.database import session_scope
from aisle.erasure import erase_shopper, purge_older_than
from aisle.models import Product
from aisle.pii import redact_logs
from aisle.settings import get_settings
from aisle.tracker_events import tracker_url_from_environment


def seed() -> None:
    """Creates the demo shop unless the database already has products, then exports them.

    Seeding never writes over existing data: to rebuild the demo shop, delete
    the database first (``make clean-data``).
    """
    from aisle.demo import export_products_jsonl, generate_shop

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    with session_scope() as session:
        existing = session.scalar(select(func.count()).select_from(Product)) or 0
    if existing:
        print(f"Demo shop already seeded ({existing} products).")
    else:
        with session_scope() as session:
            generate_shop(session, seed=settings.demo_seed)  # logs progress and counts
    with session_scope() as session:
        export_products_jsonl(session, settings.products_file)


PASSWORD_ENV = "AISLE_AGENT_PASSWORD"


def read_password() -> str:
    """The new agent's password: from ``AISLE_AGENT_PASSWORD``, else typed twice (not echoed)."""
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != password:
        raise AgentError("The two passwords differ.")
    return password


def create_agent_command(email: str, name: str) -> int:
    """Migrates the database, then adds the agent; prints why when it cannot."""
    settings = get_settings()
    migrate.upgrade(settings.database_url)
    try:
        password = read_password()
        with session_scope(settings.database_url) as session:
            agent = create_agent(session, email, name, password)
            agent_id, agent_email = agent.id, agent.email
    except AgentError as error:
        print(f"Could not create the agent: {error}", file=sys.stderr)
        return 1
    print(f"Created agent #{agent_id} ({agent_email}); they log in at /agent/login.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m aisle", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="bring the shop database schema up to date")
    commands.add_parser("seed", help="migrate, create the demo shop if empty, export its products")
    erase = commands.add_parser("erase", help="delete every conversation and handoff of a shopper")
    erase.add_argument("--email", required=True)
    purge = commands.add_parser("purge", help="delete conversations older than the retention")
    purge.add_argument("--older-than-days", type=int, required=True)
    for command in (erase, purge):
        command.add_argument("--tracker-url", default=tracker_url_from_environment())
    agent = commands.add_parser("agent", help="manage agent accounts of the agent console")
    agent_commands = agent.add_subparsers(dest="agent_command", required=True)
    create = agent_commands.add_parser(
        "create", help=f"add an agent (password prompted, or from ${PASSWORD_ENV})"
    )
    create.add_argument("--email", required=True, help="login email")
    create.add_argument("--name", required=True, help="name shown to shoppers")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    redact_logs()
    if args.command == "migrate":
        migrate.upgrade(get_settings().database_url)
    elif args.command == "agent":
        return create_agent_command(args.email, args.name)
    elif args.command == "seed":
        seed()
    elif args.command == "erase":
        report = erase_shopper(args.email, get_settings().database_url, args.tracker_url)
        print(
            f"Erased {report.conversations} conversation(s), {report.handoffs} handoff(s), "
            f"{report.tickets} ticket(s)."
        )
    else:
        report = purge_older_than(
            args.older_than_days, get_settings().database_url, args.tracker_url
        )
        print(f"Purged {report.conversations} conversation(s), {report.handoffs} handoff(s).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
