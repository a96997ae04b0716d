"""Real rasa-sdk trackers and a runner for action tests (not fixtures: plain helpers)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import resources
from aisle.settings import get_settings

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs an action's coroutine to its end, also while Playwright's loop runs in this thread.

    The session's browser fixture (sync Playwright) keeps an event loop running in
    the main thread once a browser test has run, and ``asyncio.run`` refuses to
    start inside one: the coroutine then runs in a thread of its own.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def reset_settings() -> None:
    """Forgets cached settings and loaded resources, so the next use reads the environment."""
    get_settings.cache_clear()
    resources.reset()


def form_tracker(
    slots: dict[str, Any],
    text: str = "",
    intent: str = "inform",
    form: str | None = None,
    entities: list[dict[str, Any]] | None = None,
) -> Tracker:
    """A tracker as an action sees it right after the shopper's message ``text``."""
    return Tracker(
        sender_id="action-test",
        slots=slots,
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 0.99},
            "entities": entities or [],
        },
        events=[{"event": "user", "text": text}],
        paused=False,
        followup_action=None,
        active_loop={"name": form} if form else {},
        latest_action_name="action_listen",
    )


def run_action(
    action: Any, tracker: Tracker, domain: dict[str, Any]
) -> tuple[dict[str, Any], CollectingDispatcher]:
    """Runs ``action``; returns the slots it set (last value wins) and what it said."""
    dispatcher = CollectingDispatcher()
    events = run_sync(action.run(dispatcher, tracker, domain))
    slots = {event["name"]: event["value"] for event in events if event["event"] == "slot"}
    return slots, dispatcher


def said(dispatcher: CollectingDispatcher) -> str:
    """Every text the action uttered, one per line."""
    return "\n".join(message.get("text") or "" for message in dispatcher.messages)
