"""Schema migrations, run by ``python -m aisle migrate`` and by the test fixtures.

Alembic owns the schema; ``Base.metadata.create_all`` is never used outside
throwaway tests, so SQLite and PostgreSQL databases always match the revisions.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Brings the database at ``database_url`` to ``revision``, creating a SQLite file's folder."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def new_revision(database_url: str, message: str) -> None:
    """Autogenerates a revision from the difference between the models and the database."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)
