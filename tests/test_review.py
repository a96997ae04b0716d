"""Conversation review over Rasa's real tracker store, and exports that replay as tests."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from aisle.review import flags_of, main, review, transcript
from aisle.settings import PROJECT_ROOT
from aisle.stack import Stack
from aisle.story_export import annotate, export_story
from aisle.story_replay import StoryReplayer, custom_actions_of, load_stories
from aisle.tracker_events import Conversation, TrackerEvents


def user(text: str, intent: str, confidence: float = 0.95) -> dict[str, Any]:
    return {
        "event": "user",
        "timestamp": 1.0,
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": confidence}, "entities": []},
    }


def bot(response: str) -> dict[str, Any]:
    return {"event": "bot", "timestamp": 2.0, "text": "...", "metadata": {"utter_action": response}}


@pytest.mark.parametrize(
    "events, flags",
    [
        ([user("hi", "greet")], set()),
        (
            [user("blargh", "nlu_fallback", 0.4), bot("utter_default")],
            {"fallback", "low_confidence"},
        ),
        (
            [user("person please", "human_handoff"), {"event": "action", "name": "action_handoff"}],
            {"handoff"},
        ),
        ([user("purple tent", "product_search"), bot("utter_no_products_found")], {"zero_results"}),
        ([user('/inform{"return_item": "1"}', "inform", 0.0)], set()),  # a button, not a guess
    ],
)
def test_flags_say_what_went_wrong(events: list[dict[str, Any]], flags: set[str]) -> None:
    assert flags_of(Conversation("c", events)) == flags


def test_entities_are_annotated_as_the_test_format_writes_them() -> None:
    text = "order 10001 for a@b.co"
    entities = [
        {"entity": "order_number", "start": 6, "end": 11},
        {"entity": "email", "start": 16, "end": 22},
        {"entity": "broken", "start": 40, "end": 99},  # a span outside the text is left out
    ]
    assert annotate(text, entities) == "order [10001](order_number) for [a@b.co](email)"


@pytest.fixture(scope="module")
def tracker_store(stack: Stack) -> Iterator[tuple[TrackerEvents, httpx.Client]]:
    store = TrackerEvents(f"sqlite:///{stack.config.endpoints.parent / 'tracker.db'}")
    with httpx.Client(base_url=stack.config.rasa_url, timeout=60) as rasa:
        yield store, rasa
    store.close()


def chat(rasa: httpx.Client, *messages: str) -> str:
    sender = f"review-{uuid.uuid4().hex[:10]}"
    for text in messages:
        rasa.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
    return sender


@pytest.mark.stack
def test_review_finds_handoffs_and_exports_a_story_that_replays(
    tracker_store: tuple[TrackerEvents, httpx.Client], stack: Stack, tmp_path: Path
) -> None:
    store, rasa = tracker_store
    tracked = chat(rasa, "where is order 10002? my email is alex.rivera@example.com", "thanks")
    handed_over = chat(rasa, "hi", "can i speak to a human please")

    handoffs = {summary.sender_id for summary in review(store.conversations(), ["handoff"])}
    assert handed_over in handoffs and tracked not in handoffs

    conversation = store.conversation(tracked)
    assert conversation is not None
    assert transcript(conversation)[0].startswith("shopper: where is order 10002?")
    story_file = tmp_path / "test_reviewed.yml"
    assert "[email]" in export_story(conversation)  # redacted unless asked otherwise
    exported = export_story(conversation, "Reviewed: order status", keep_personal_data=True)
    story_file.write_text(exported, encoding="utf-8")
    [story] = load_stories([story_file])
    assert story.turns[0].intent == "track_order"
    assert story.turns[0].entities == [
        ("order_number", "10002"),
        ("email", "alex.rivera@example.com"),
    ]
    replayer = StoryReplayer(stack.config.rasa_url, custom_actions_of(PROJECT_ROOT / "domain.yml"))
    try:
        result = replayer.replay(story)
    finally:
        replayer.close()
    assert result.passed, result.failures


@pytest.mark.stack
def test_the_command_lists_shows_and_exports(
    tracker_store: tuple[TrackerEvents, httpx.Client],
    stack: Stack,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, rasa = tracker_store
    sender = chat(rasa, "let me talk to a person")
    url = ["--tracker-url", f"sqlite:///{stack.config.endpoints.parent / 'tracker.db'}"]
    assert main([*url, "list", "--filter", "handoff"]) == 0
    assert sender in capsys.readouterr().out
    assert main([*url, "show", sender]) == 0
    assert "handed over to a person" in capsys.readouterr().out
    assert main([*url, "export", sender]) == 0
    assert "action: action_handoff" in capsys.readouterr().out
    assert main([*url, "show", "no-such-conversation"]) == 1


def test_an_unreadable_store_names_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--tracker-url", f"sqlite:///{tmp_path / 'empty.db'}", "list"]) == 2
    assert "Check the URL" in capsys.readouterr().err


def test_the_command_filters_bad_csat_and_relabels_an_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_review_api import SEEDED, rate, write_tracker_store

    from aisle import migrate

    write_tracker_store(tmp_path / "tracker.db", SEEDED)
    shop = f"sqlite:///{tmp_path / 'shop.db'}"
    migrate.upgrade(shop)
    rate(shop, "shop-b", 2, dt.datetime(2026, 11, 10, 12))
    rate(shop, "shop-a", 5, dt.datetime(2026, 11, 10, 12))
    urls = ["--tracker-url", f"sqlite:///{tmp_path / 'tracker.db'}", "--database-url", shop]
    assert main([*urls, "list", "--filter", "bad_csat"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in listed] == ["shop-b"]
    assert "bad_csat" in listed[0]

    assert main([*urls, "export", "shop-a", "--label", "1=refund_status"]) == 0
    steps = yaml.safe_load(capsys.readouterr().out)["stories"][0]["steps"]
    assert [step["intent"] for step in steps if "user" in step] == ["greet", "refund_status"]
    assert main([*urls, "export", "shop-a", "--label", "1=buy_a_boat"]) == 1
    assert "'buy_a_boat' is not an intent in domain.yml" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*urls, "export", "shop-a", "--label", "refund_status"])
    assert "write TURN=INTENT" in capsys.readouterr().err
