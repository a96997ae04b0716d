"""Conversation review: find the conversations worth a look, read one, export it as a test.

    python -m aisle.review list [--filter fallback --filter handoff ...] [--since 2026-11-01]
    python -m aisle.review show CONVERSATION_ID
    python -m aisle.review export CONVERSATION_ID [--name "..."] > tests/stories/test_reviewed.yml

Conversations are read from Rasa's tracker store (``--tracker-url``, default
``AISLE_TRACKER_URL`` or the embedded SQLite store in var/). The filters
mark what a reviewer looks for: the bot did not understand (``fallback``),
guessed (``low_confidence``), handed over (``handoff``) or found no product
(``zero_results``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aisle.story_export import export_story
from aisle.tracker_events import (
    Conversation,
    TrackerEvents,
    TrackerStoreError,
    tracker_url_from_environment,
)

LOW_CONFIDENCE = 0.6
"""Below this intent confidence a turn counts as a guess (the fallback threshold is 0.7)."""
FLAGS = ("fallback", "low_confidence", "handoff", "zero_results")


@dataclass(frozen=True)
class ConversationSummary:
    sender_id: str
    started_at: dt.datetime
    user_turns: int
    flags: frozenset[str]
    first_message: str


def flags_of(conversation: Conversation) -> frozenset[str]:
    """What a reviewer would want to know about this conversation at a glance."""
    found = set()
    users = conversation.of_type("user")
    if any(_intent(event)[0] == "nlu_fallback" for event in users) or _said(
        conversation, "utter_default"
    ):
        found.add("fallback")
    typed = [event for event in users if not str(event.get("text") or "").startswith("/")]
    if any(_intent(event)[1] < LOW_CONFIDENCE for event in typed):
        found.add("low_confidence")
    if any(event.get("name") == "action_handoff" for event in conversation.of_type("action")):
        found.add("handoff")
    if _said(conversation, "utter_no_products_found"):
        found.add("zero_results")
    return frozenset(found)


def _intent(event: dict[str, Any]) -> tuple[str | None, float]:
    intent = (event.get("parse_data") or {}).get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def _said(conversation: Conversation, response: str) -> bool:
    return any(
        (event.get("metadata") or {}).get("utter_action") == response
        for event in conversation.of_type("bot")
    )


def summarise(conversation: Conversation) -> ConversationSummary:
    users = conversation.of_type("user")
    return ConversationSummary(
        sender_id=conversation.sender_id,
        started_at=conversation.started_at,
        user_turns=len(users),
        flags=flags_of(conversation),
        first_message=str(users[0].get("text") or "") if users else "",
    )


def review(
    conversations: Iterable[Conversation], wanted: Iterable[str] = ()
) -> list[ConversationSummary]:
    """Summaries of the conversations with every wanted flag, newest first."""
    wanted_flags = set(wanted)
    summaries = [summarise(conversation) for conversation in conversations]
    chosen = [s for s in summaries if s.user_turns and wanted_flags <= s.flags]
    return sorted(chosen, key=lambda summary: summary.started_at, reverse=True)


def transcript(conversation: Conversation) -> list[str]:
    """The conversation as a reviewer reads it: who said what, with the intent understood."""
    lines = []
    for event in conversation.events:
        if event.get("event") == "user":
            name, confidence = _intent(event)
            lines.append(f"shopper: {event.get('text')}    [{name} {confidence:.2f}]")
        elif event.get("event") == "bot" and event.get("text"):
            lines.append(f"bot:     {event.get('text')}")
        elif event.get("event") == "action" and event.get("name") == "action_handoff":
            lines.append("---- handed over to a person ----")
    return lines


def _date(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m aisle.review",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--tracker-url", default=tracker_url_from_environment())
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="conversations, newest first, with their flags")
    listing.add_argument("--filter", action="append", choices=FLAGS, default=[])
    listing.add_argument("--since", type=_date, help="e.g. 2026-11-01 (UTC)")
    listing.add_argument("--until", type=_date, help="exclusive")
    show = commands.add_parser("show", help="one conversation's transcript")
    show.add_argument("conversation_id")
    export = commands.add_parser("export", help="one conversation as a test story (YAML)")
    export.add_argument("conversation_id")
    export.add_argument("--name", help="the story's name")
    export.add_argument(
        "--keep-personal-data",
        action="store_true",
        help="keep emails, phones, cards and addresses (default: redacted; stories are committed)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    store = TrackerEvents(args.tracker_url)
    try:
        return _run(args, store)
    except TrackerStoreError as error:
        print(error, file=sys.stderr)
        return 2
    finally:
        store.close()


def _run(args: argparse.Namespace, store: TrackerEvents) -> int:
    if args.command == "list":
        for summary in review(store.conversations(args.since, args.until), args.filter):
            flags = ",".join(sorted(summary.flags)) or "-"
            print(
                f"{summary.sender_id}\t{summary.started_at:%Y-%m-%d %H:%M}\t"
                f"{summary.user_turns} turns\t{flags}\t{summary.first_message[:60]}"
            )
        return 0
    conversation = store.conversation(args.conversation_id)
    if conversation is None:
        print(f"No conversation {args.conversation_id!r} in {args.tracker_url}", file=sys.stderr)
        return 1
    if args.command == "show":
        print("\n".join(transcript(conversation)))
    else:
        print(export_story(conversation, args.name, args.keep_personal_data), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
