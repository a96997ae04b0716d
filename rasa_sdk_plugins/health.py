"""``GET /health/parts`` on the action server: which of its resources are usable.

rasa-sdk's own ``/health`` only says the process answers. The gateway's
``/healthz`` asks this route to name the part that is down: the shop database
the order actions read, or the catalog index files product search loads.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pluggy
from sanic import Request, Sanic
from sanic.response import HTTPResponse, json
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from aisle.database import get_engine
from aisle.settings import get_settings
from catalog.index import IDS_FILE, INDEX_FILE, META_FILE, PRODUCTS_FILE

hookimpl = pluggy.HookimplMarker("rasa_sdk")

INDEX_FILES = (INDEX_FILE, IDS_FILE, META_FILE, PRODUCTS_FILE)


def database_ok() -> bool:
    """The shop database answers (a missing SQLite file is down, not created empty)."""
    url = make_url(get_settings().database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return False
    try:
        with get_engine(url.render_as_string(hide_password=False)).connect() as connection:
            connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return False
    return True


def index_ok() -> bool:
    """The files ``CatalogIndex.load`` needs are all there (a loaded index stays usable)."""
    folder = get_settings().index_dir
    return all((folder / name).is_file() for name in INDEX_FILES)


class ActionServerHealth:
    """The rasa-sdk plugin adding ``/health/parts``."""

    @hookimpl  # type: ignore[untyped-decorator]
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        @app.get("/health/parts")
        async def parts(request: Request) -> HTTPResponse:
            database = await asyncio.to_thread(database_ok)
            return json(
                {
                    "database": "ok" if database else "down",
                    "index": "ok" if index_ok() else "missing",
                }
            )
