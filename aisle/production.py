"""The production profile on one machine: N Rasa servers and N action servers on
PostgreSQL and Redis, behind one gateway.

This is Rasa's own way to scale out: every Rasa replica reads and writes the
same SQL tracker store and takes the conversation's lock in the same Redis
lock store, so any replica can answer any turn. Each Rasa replica calls its own
action server (in a cluster a load balancer would sit in front of them: see
deploy/compose.yaml). The gateway routes conversations over the replicas and
fails over (bot/rasa_pool.py).

    python -m aisle.production --replicas 2        (or: make run-production)
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from aisle.settings import PROJECT_ROOT, VAR_DIR
from aisle.stack import (
    Service,
    Stack,
    StackConfig,
    action_service,
    common_environment,
    gateway_service,
    rasa_service,
    run_in_foreground,
)

logger = logging.getLogger(__name__)

PRODUCTION_ENDPOINTS = PROJECT_ROOT / "deploy" / "endpoints.production.yml"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432"
LOCK_LIFETIME_SECONDS = 15
"""Rasa's Redis lock of a conversation expires this long after its replica died mid-turn
(Rasa's default is 60 s, longer than the gateway waits for a turn)."""


@dataclass
class ProductionConfig:
    """Where the shared stores are and how many replicas of each server run."""

    replicas: int = 2
    postgres_url: str = DEFAULT_POSTGRES_URL
    """Server URL without a database; the shop and tracker databases are created on it."""
    shop_db: str = "aisle_shop"
    tracker_db: str = "aisle_tracker"
    redis_host: str = "127.0.0.1"
    redis_port: int = 6379
    redis_db: int = 0
    action_ports: list[int] = field(default_factory=lambda: [5055, 5056])
    rasa_ports: list[int] = field(default_factory=lambda: [5005, 5006])
    gateway_ports: list[int] = field(default_factory=lambda: [8000])
    gateways: int = 1
    """Gateways (each on its port), sharing live chat and agent presence through Redis."""
    index_dir: Path = VAR_DIR / "index"
    log_dir: Path = VAR_DIR / "log" / "production"
    env: dict[str, str] = field(default_factory=dict)

    @property
    def redis_url(self) -> str:
        return f"redis://{self.redis_host}:{self.redis_port}/{self.redis_db}"

    @property
    def gateway_port(self) -> int:
        """The first gateway's port (the one the banner and the load bench use)."""
        return self.gateway_ports[0]

    @property
    def shop_url(self) -> str:
        return f"{self.postgres_url}/{self.shop_db}"

    def __post_init__(self) -> None:
        """Replicas and gateways beyond the listed ports take the next ports up."""
        for ports, count in (
            (self.action_ports, self.replicas),
            (self.rasa_ports, self.replicas),
            (self.gateway_ports, self.gateways),
        ):
            while len(ports) < count:
                ports.append(ports[-1] + 1)

    def action_port(self, replica: int) -> int:
        return self.action_ports[replica]

    def rasa_port(self, replica: int) -> int:
        return self.rasa_ports[replica]

    def stack_config(self) -> StackConfig:
        return StackConfig(
            action_port=self.action_ports[0],
            rasa_port=self.rasa_ports[0],
            gateway_port=self.gateway_port,
            endpoints=PRODUCTION_ENDPOINTS,
            log_dir=self.log_dir,
            env={
                "AISLE_DATABASE_URL": self.shop_url,
                "AISLE_TRACKER_URL": f"{self.postgres_url}/{self.tracker_db}",
                "AISLE_INDEX_DIR": str(self.index_dir),
                "AISLE_RASA_URLS": ",".join(
                    f"http://127.0.0.1:{self.rasa_port(i)}" for i in range(self.replicas)
                ),
                "AISLE_REDIS_URL": self.redis_url,
                **self.env,
            },
        )


def build_production_services(config: ProductionConfig, stack: StackConfig) -> list[Service]:
    """Action servers first, then the Rasa replicas (each needs its action server), then
    the gateway."""
    common = common_environment(stack)
    tracker = make_url(config.postgres_url)
    rasa_env = {
        **common,
        "AISLE_TRACKER_DB_HOST": tracker.host or "127.0.0.1",
        "AISLE_TRACKER_DB_PORT": str(tracker.port or 5432),
        "AISLE_TRACKER_DB_NAME": config.tracker_db,
        "AISLE_TRACKER_DB_USER": tracker.username or "postgres",
        "AISLE_TRACKER_DB_PASSWORD": tracker.password or "",
        "AISLE_TRACKER_LOGIN_DB": tracker.database or "postgres",
        "AISLE_REDIS_HOST": config.redis_host,
        "AISLE_REDIS_PORT": str(config.redis_port),
        "AISLE_REDIS_DB": str(config.redis_db),
        "TICKET_LOCK_LIFETIME": str(LOCK_LIFETIME_SECONDS),
    }
    actions = [
        action_service(f"actions-{i + 1}", stack, config.action_port(i), common)
        for i in range(config.replicas)
    ]
    rasas = [
        rasa_service(
            f"rasa-{i + 1}",
            stack,
            config.rasa_port(i),
            PRODUCTION_ENDPOINTS,
            {
                **rasa_env,
                "AISLE_ACTION_ENDPOINT_URL": f"http://127.0.0.1:{config.action_port(i)}/webhook",
            },
        )
        for i in range(config.replicas)
    ]
    # The gateways' /healthz asks every action server which of its parts is down.
    action_urls = ",".join(
        f"http://127.0.0.1:{config.action_port(i)}" for i in range(config.replicas)
    )
    gateway_env = {**common, "AISLE_ACTION_URLS": action_urls}
    gateways = [
        gateway_service(stack, gateway_env, name=f"gateway-{i + 1}", port=port)
        for i, port in enumerate(config.gateway_ports)
    ]
    return [*actions, *rasas, *gateways]


def prepare_databases(config: ProductionConfig) -> None:
    """Creates the shop and tracker databases when missing, then migrates and seeds the shop.

    Seeding never overwrites: an existing shop keeps its data.
    """
    from aisle import migrate
    from aisle.database import session_scope
    from aisle.demo import generate_shop
    from aisle.models import Product

    for name in (config.shop_db, config.tracker_db):
        _create_database(config.postgres_url, name)
    migrate.upgrade(config.shop_url)
    with session_scope(config.shop_url) as session:
        if session.query(Product.id).first() is None:
            generate_shop(session)


def production_stack(config: ProductionConfig, echo: bool = False) -> Stack:
    stack_config = config.stack_config()
    return Stack(stack_config, echo=echo, services=build_production_services(config, stack_config))


def _create_database(server_url: str, name: str) -> None:
    engine = create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if exists is None:
                logger.info("Creating PostgreSQL database %s ...", name)
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the production profile in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m aisle.production", description=main.__doc__)
    parser.add_argument("--replicas", type=int, default=2, help="Rasa and action servers (2)")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--redis-db", type=int, default=0)
    parser.add_argument("--gateway-port", type=int, default=8000)
    parser.add_argument(
        "--gateways", type=int, default=1, help="gateways from --gateway-port up (1)"
    )
    parser.add_argument("--quiet", action="store_true", help="only write service logs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = ProductionConfig(
        replicas=args.replicas,
        postgres_url=args.postgres_url,
        redis_db=args.redis_db,
        gateway_ports=[args.gateway_port],
        gateways=args.gateways,
    )
    try:
        prepare_databases(config)
    except SQLAlchemyError as error:
        print(
            f"PostgreSQL at {config.postgres_url} is not usable ({error}).\n"
            "Start PostgreSQL or pass --postgres-url postgresql+psycopg://USER@HOST:PORT.",
            file=sys.stderr,
        )
        return 1
    stack = production_stack(config, echo=not args.quiet)
    return run_in_foreground(
        stack,
        f"Aisle (production profile, {config.replicas} Rasa + {config.replicas} action servers,"
        f" {config.gateways} gateway(s)) is running: "
        + ", ".join(f"http://127.0.0.1:{port}/" for port in config.gateway_ports),
    )


if __name__ == "__main__":
    raise SystemExit(main())
