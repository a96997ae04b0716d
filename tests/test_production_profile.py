"""The production profile on the real services of this machine: the shop database
and Rasa's tracker store on PostgreSQL, Rasa's lock store on Redis
(deploy/endpoints.production.yml), replaying conversation tests end to end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text

from aisle import migrate
from aisle.database import get_engine, session_scope
from aisle.demo import generate_shop
from aisle.settings import PROJECT_ROOT
from aisle.stack import Stack, isolated_config
from aisle.story_replay import StoryReplayer, custom_actions_of, load_stories

pytestmark = pytest.mark.stack

REDIS_DB = 6
STORIES = [
    story
    for story in load_stories([PROJECT_ROOT / "tests" / "stories" / "test_orders.yml"])
    if story.name.startswith(("Delivered order", "Wrong email"))
]


@pytest.fixture(scope="module")
def production_stack(
    demo_index_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_databases: Callable[..., str],
    free_port: Callable[[], int],
) -> Iterator[tuple[Stack, str]]:
    shop_url = postgres_databases("aisle_shop")
    tracker_url = postgres_databases("aisle_tracker", create=False)
    migrate.upgrade(shop_url)
    with session_scope(shop_url) as session:
        generate_shop(session)  # the same demo shop the index was built from
    action_port = free_port()
    config = isolated_config(
        tmp_path_factory.mktemp("production"),
        action_port=action_port,
        rasa_port=free_port(),
        gateway_port=free_port(),
        env={
            "AISLE_DATABASE_URL": shop_url,
            "AISLE_INDEX_DIR": str(demo_index_dir),
            "AISLE_ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
            "AISLE_TRACKER_DB_HOST": "127.0.0.1",
            "AISLE_TRACKER_DB_PORT": "5432",
            "AISLE_TRACKER_DB_NAME": tracker_url.rsplit("/", 1)[1],
            "AISLE_TRACKER_DB_USER": "postgres",
            "AISLE_TRACKER_DB_PASSWORD": "",
            "AISLE_TRACKER_LOGIN_DB": "test",
            "AISLE_REDIS_HOST": "127.0.0.1",
            "AISLE_REDIS_PORT": "6379",
            "AISLE_REDIS_DB": str(REDIS_DB),
        },
    )
    config.endpoints = PROJECT_ROOT / "deploy" / "endpoints.production.yml"
    try:
        with Stack(config) as stack:
            yield stack, tracker_url
    finally:
        get_engine(shop_url).dispose()


def test_conversations_work_on_postgres_and_redis(production_stack: tuple[Stack, str]) -> None:
    stack, tracker_url = production_stack
    lock_commands_before = _redis_commands()
    replayer = StoryReplayer(stack.config.rasa_url, custom_actions_of(PROJECT_ROOT / "domain.yml"))
    try:
        results = [replayer.replay(story) for story in STORIES]
    finally:
        replayer.close()
    assert len(results) == 2
    for result in results:
        assert result.passed, "\n".join(result.failures)

    engine = create_engine(tracker_url)
    with engine.connect() as connection:
        conversations = connection.execute(
            text("SELECT COUNT(DISTINCT sender_id) FROM events WHERE sender_id LIKE 'story-%'")
        ).scalar_one()
    engine.dispose()
    assert conversations == 2, "Rasa's tracker store did not write to PostgreSQL"
    assert _redis_commands() - lock_commands_before >= 4, "Rasa's lock store did not use Redis"


def _redis_commands() -> int:
    """Lock writes and deletes Redis served so far (Rasa's RedisLockStore uses SET and DEL)."""
    stats = redis.Redis(host="127.0.0.1", port=6379).info("commandstats")
    return sum(
        int(stats.get(f"cmdstat_{command}", {}).get("calls", 0)) for command in ("set", "del")
    )
