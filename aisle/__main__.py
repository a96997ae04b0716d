"""Command line for the shop database: ``python -m aisle migrate|seed``."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from sqlalchemy import func, select

from aisle import migrate
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


def main(argv: Sequence[str] | None = None) -> int:
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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    redact_logs()
    if args.command == "migrate":
        migrate.upgrade(get_settings().database_url)
    elif args.command == "seed":
        seed()
    elif args.command == "erase":
        report = erase_shopper(args.email, get_settings().database_url, args.tracker_url)
        print(f"Erased {report.conversations} conversation(s), {report.handoffs} handoff(s).")
    else:
        report = purge_older_than(
            args.older_than_days, get_settings().database_url, args.tracker_url
        )
        print(f"Purged {report.conversations} conversation(s), {report.handoffs} handoff(s).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
