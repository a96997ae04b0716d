"""The Alembic migrations build exactly the schema the ORM models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from aisle.database import get_engine
from aisle.models import Base


def test_models_match_the_migrations(database_url: str) -> None:
    """A model change without its migration (or the reverse) shows up here, not in production."""
    with get_engine(database_url).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
