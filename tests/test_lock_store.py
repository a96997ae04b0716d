"""Aisle's Redis lock store (rasa_plugins/lock_store.py) on real Redis, under Rasa's Python:
a turn queued behind a replica that died holding the lock is served once the dead ticket
expires, and a turn queued behind a live one still waits for it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from aisle.stack import DEFAULT_RASA_BIN, PROJECT_ROOT

RASA_PYTHON = Path(DEFAULT_RASA_BIN).with_name("python")
LIFETIME_SECONDS = 3
HOLD_SECONDS = 1.5


@pytest.fixture(scope="module")
def waits() -> dict[str, float]:
    if not RASA_PYTHON.exists():
        pytest.fail(f"{RASA_PYTHON} is missing: run 'make rasa-env'")
    probe = subprocess.run(
        [str(RASA_PYTHON), "tests/lock_store_probe.py", "6379", str(HOLD_SECONDS)],
        cwd=PROJECT_ROOT,
        # Rasa itself puts its working directory on sys.path; a script gets its own folder.
        env={
            **os.environ,
            "PYTHONPATH": str(PROJECT_ROOT),
            "TICKET_LOCK_LIFETIME": str(LIFETIME_SECONDS),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    return dict(json.loads(probe.stdout.strip().splitlines()[-1]))


def test_a_turn_behind_a_dead_replica_is_served_when_its_ticket_expires(
    waits: dict[str, float],
) -> None:
    # Rasa's own RedisLockStore waits here until the caller gives up: both tickets expire
    # in the same poll and the queue is left empty.
    assert LIFETIME_SECONDS - 0.5 <= waits["dead"] <= LIFETIME_SECONDS + 2


def test_a_turn_behind_a_live_one_waits_for_it_to_finish(waits: dict[str, float]) -> None:
    assert HOLD_SECONDS - 0.1 <= waits["busy"] < LIFETIME_SECONDS
