"""Shared fixtures: real databases (SQLite and the local PostgreSQL), the seeded
demo shop, the catalog index and the running stack (Rasa + actions + gateway).

Nothing here is mocked. The PostgreSQL fixtures create a database of their own
on 127.0.0.1:5432 and drop it afterwards; they fail (not skip) when PostgreSQL
is down, since CI has it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from action_trackers import reset_settings
from agent_helpers import add_agent
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import create_engine, text

from aisle import migrate
from aisle.database import get_engine, session_scope
from aisle.settings import PROJECT_ROOT, VAR_DIR
from aisle.stack import DEFAULT_MODEL, Stack, isolated_config

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

POSTGRES_ADMIN_URL = os.environ.get(
    "AISLE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ARTIFACTS_DIR = PROJECT_ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling out, and this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium, driven by Playwright; fails (not skips) when missing."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make install`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Screenshots and logs kept after the run (CI uploads tests/artifacts/)."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[Callable[..., str]]:
    """Makes PostgreSQL databases of the test run's own; all are dropped at the end.

    ``postgres_databases(create=False)`` only reserves a name, for a database
    another program creates (Rasa's tracker store does).
    """
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    names: list[str] = []

    def make(prefix: str = "aisle_test", create: bool = True) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        names.append(name)
        if create:
            try:
                with admin.connect() as connection:
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
            except Exception as error:
                pytest.fail(f"PostgreSQL at {POSTGRES_ADMIN_URL} is needed for this test: {error}")
        return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    yield make
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def postgres_url(postgres_databases: Callable[..., str]) -> Iterator[str]:
    """A fresh, empty PostgreSQL database."""
    url = postgres_databases()
    yield url
    get_engine(url).dispose()


@pytest.fixture(scope="session")
def free_port() -> Callable[[], int]:
    """Returns a function giving a TCP port nobody listens on right now."""

    def pick() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    return pick


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'shop.db'}"


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """An empty, migrated SQLite shop with one agent (Jo), for the gateway's API tests."""
    migrate.upgrade(sqlite_url)
    add_agent(sqlite_url)
    return sqlite_url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty, migrated shop database, once on SQLite and once on PostgreSQL."""
    url = request.getfixturevalue(f"{request.param}_url")
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def demo_shop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | str]:
    """The seeded demo shop in a SQLite file of its own, and its product export."""
    from aisle.demo import export_products_jsonl, generate_shop

    folder = tmp_path_factory.mktemp("demo_shop")
    url = f"sqlite:///{folder / 'shop.db'}"
    migrate.upgrade(url)
    with session_scope(url) as session:
        generate_shop(session)
    products_file = folder / "products.jsonl"
    with session_scope(url) as session:
        export_products_jsonl(session, products_file)
    get_engine(url).dispose()
    shutil.copy(folder / "shop.db", folder / "pristine.db")  # for writable_demo_shop
    return {"database_url": url, "products_file": products_file, "folder": folder}


@pytest.fixture(scope="session")
def demo_index_dir(
    demo_shop: dict[str, Path | str], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The catalog index of the demo shop.

    Reuses the index `make` built in var/index when it holds exactly the demo
    shop's products in this code's index format (building one takes a minute);
    otherwise builds a new one.
    """
    from catalog import FORMAT_VERSION, CatalogIndex, read_products_jsonl

    products = read_products_jsonl(Path(demo_shop["products_file"]))
    prebuilt = VAR_DIR / "index"
    ids_file, meta_file = prebuilt / "ids.json", prebuilt / "meta.json"
    if (
        ids_file.exists()
        and meta_file.exists()
        and json.loads(meta_file.read_text()).get("format_version") == FORMAT_VERSION
        and json.loads(ids_file.read_text()) == [p.id for p in products]
    ):
        return prebuilt
    out = tmp_path_factory.mktemp("index")
    CatalogIndex.build(products, show_progress=False).save(out)
    return out


@pytest.fixture(scope="session")
def stack(
    demo_shop: dict[str, Path | str],
    demo_index_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    free_port: Callable[[], int],
) -> Iterator[Stack]:
    """The real assistant on free ports, on a seeded demo shop of its own."""
    if not DEFAULT_MODEL.exists():
        pytest.fail(f"No trained model at {DEFAULT_MODEL}: run `make train` (make test does).")
    config = isolated_config(
        tmp_path_factory.mktemp("stack"),
        action_port=free_port(),
        rasa_port=free_port(),
        gateway_port=free_port(),
        env={
            "AISLE_DATABASE_URL": str(demo_shop["database_url"]),
            "AISLE_INDEX_DIR": str(demo_index_dir),
        },
    )
    try:
        with Stack(config) as running:
            yield running
    finally:
        if config.log_dir.exists():
            shutil.copytree(config.log_dir, ARTIFACTS_DIR / "stack-logs", dirs_exist_ok=True)


@pytest.fixture
def shop_env(
    monkeypatch: pytest.MonkeyPatch, demo_shop: dict[str, Path | str], demo_index_dir: Path
) -> Iterator[str]:
    """The actions pointed at the seeded demo shop (read only) and its index."""
    monkeypatch.setenv("AISLE_DATABASE_URL", str(demo_shop["database_url"]))
    monkeypatch.setenv("AISLE_INDEX_DIR", str(demo_index_dir))
    reset_settings()
    yield str(demo_shop["database_url"])
    reset_settings()


@pytest.fixture
def writable_demo_shop(
    monkeypatch: pytest.MonkeyPatch, demo_shop: dict[str, Path | str], tmp_path: Path
) -> Iterator[str]:
    """The actions pointed at a private copy of the seeded demo shop, free to write.

    The session's demo shop is shared with the conversation tests, which expect
    it as seeded (order 10001 not on a return, 10004 not cancelled).
    """
    database = tmp_path / "shop.db"
    shutil.copy(Path(demo_shop["folder"]) / "pristine.db", database)
    url = f"sqlite:///{database}"
    monkeypatch.setenv("AISLE_DATABASE_URL", url)
    reset_settings()
    yield url
    reset_settings()
