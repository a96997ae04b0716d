"""Conversation review: find the conversations worth a look, read one, export it as a test.

    python -m aisle.review list [--filter fallback --filter handoff ...] [--since 2026-11-01]
    python -m aisle.review show CONVERSATION_ID
    python -m aisle.review export CONVERSATION_ID [--name "..."] > tests/stories/test_reviewed.yml
    python -m aisle.review export CONVERSATION_ID --label 0=track_order --label 2=affirm

Conversations are read from Rasa's tracker store (``--tracker-url``, default
``AISLE_TRACKER_URL`` or the embedded SQLite store in var/). The filters
mark what a reviewer looks for: the bot did not understand (``fallback``),
guessed (``low_confidence``), handed over (``handoff``), found no product
(``zero_results``) or was rated 1 or 2 by the shopper (``bad_csat``: the
ratings are in the shop database, ``--database-url``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.exc import SQLAlchemyError

from aisle.csat import bad_csat_conversations
from aisle.database import session_scope
from aisle.settings import Settings
from aisle.story_export import domain_intents, export_story, label_problems
from aisle.tracker_events import (
    Conversation,
    TrackerEvents,
    TrackerStoreError,
    tracker_url_from_environment,
)

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
LOW_CONFIDENCE = 0.6
"""Below this intent confidence a turn counts as a guess (the fallback threshold is 0.7)."""
FLAGS = ("fallback", "low_confidence", "handoff", "zero_results", "bad_csat")


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
    if any(
        event.get("name") == "action_handoff" for event in conversation.of_type("action")
    ) or any(
        event.get("name") == "handoff_reason" and event.get("value")
        for event in conversation.of_type("slot")
    ):  # a failing action hands over without action_handoff (actions/escalation.py)
        found.add("handoff")
    if _said(conversation, "utter_no_products_found"):
        found.add("zero_results")
    return frozenset(found)


def bad_csat_since(database_url: str, since: dt.datetime | None = None) -> set[str]:
    """Conversations rated badly from ``since`` on (a rating comes after its conversation,
    so ratings up to now count for conversations of any range)."""
    with session_scope(database_url) as session:
        return bad_csat_conversations(session, since or EPOCH, dt.datetime.now(dt.timezone.utc))


def _intent(event: dict[str, Any]) -> tuple[str | None, float]:
    intent = (event.get("parse_data") or {}).get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def _said(conversation: Conversation, response: str) -> bool:
    return any(
        (event.get("metadata") or {}).get("utter_action") == response
        for event in conversation.of_type("bot")
    )


def summarise(conversation: Conversation, bad_csat: Collection[str] = ()) -> ConversationSummary:
    """``bad_csat``: the conversations a shopper rated badly (``aisle.csat``), flagged too."""
    users = conversation.of_type("user")
    flags = flags_of(conversation)
    if conversation.sender_id in bad_csat:
        flags |= {"bad_csat"}
    return ConversationSummary(
        sender_id=conversation.sender_id,
        started_at=conversation.started_at,
        user_turns=len(users),
        flags=flags,
        first_message=str(users[0].get("text") or "") if users else "",
    )


def review(
    conversations: Iterable[Conversation],
    wanted: Iterable[str] = (),
    bad_csat: Collection[str] = (),
) -> list[ConversationSummary]:
    """Summaries of the conversations with every wanted flag, newest first.

    The ratings live in the shop database, not the tracker store, so the
    caller passes the badly rated conversation ids (``bad_csat_since``).
    """
    wanted_flags = set(wanted)
    summaries = [summarise(conversation, bad_csat) for conversation in conversations]
    chosen = [s for s in summaries if s.user_turns and wanted_flags <= s.flags]
    return sorted(chosen, key=lambda summary: summary.started_at, reverse=True)


@dataclass(frozen=True)
class Entry:
    """One line of a conversation as a reviewer reads it.

    ``turn`` numbers the shopper's messages from 0 (what a relabelled export
    refers to); ``intent`` and ``confidence`` are what the bot understood.
    """

    speaker: Literal["shopper", "bot", "handoff"]
    at: dt.datetime
    text: str = ""
    turn: int | None = None
    intent: str | None = None
    confidence: float | None = None


def entries(conversation: Conversation) -> list[Entry]:
    """Who said what, with the intent understood; the hand-over marked where it happened."""
    found: list[Entry] = []
    turn = 0
    for event in conversation.events:
        at = dt.datetime.fromtimestamp(float(event.get("timestamp") or 0), dt.timezone.utc)
        if event.get("event") == "user":
            name, confidence = _intent(event)
            text = str(event.get("text") or "")
            found.append(Entry("shopper", at, text, turn, name, confidence))
            turn += 1
        elif event.get("event") == "bot" and event.get("text"):
            found.append(Entry("bot", at, str(event.get("text"))))
        elif event.get("event") == "action" and event.get("name") == "action_handoff":
            found.append(Entry("handoff", at))
    return found


def transcript(conversation: Conversation) -> list[str]:
    """The conversation as a reviewer reads it in a terminal."""
    lines = []
    for entry in entries(conversation):
        if entry.speaker == "shopper":
            lines.append(f"shopper: {entry.text}    [{entry.intent} {entry.confidence:.2f}]")
        elif entry.speaker == "bot":
            lines.append(f"bot:     {entry.text}")
        else:
            lines.append("---- handed over to a person ----")
    return lines


def _date(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)


def _label(text: str) -> tuple[int, str]:
    turn, separator, intent = text.partition("=")
    if not separator or not turn.strip().isdigit() or not intent.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: write TURN=INTENT, e.g. 0=track_order")
    return int(turn), intent.strip()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m aisle.review",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--tracker-url", default=tracker_url_from_environment())
    parser.add_argument(
        "--database-url",
        default=Settings().database_url,
        help="the shop database, for --filter bad_csat (default: AISLE_DATABASE_URL)",
    )
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
        "--label",
        action="append",
        type=_label,
        default=[],
        metavar="TURN=INTENT",
        help="correct an intent: shopper message number (from 0) = the intent meant; repeatable",
    )
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
    except SQLAlchemyError as error:
        print(
            f"Can't read the CSAT ratings in {args.database_url}: {error.__class__.__name__}. "
            "Check --database-url / AISLE_DATABASE_URL and migrate it (python -m aisle migrate).",
            file=sys.stderr,
        )
        return 2
    finally:
        store.close()


def _run(args: argparse.Namespace, store: TrackerEvents) -> int:
    if args.command == "list":
        bad_csat = (
            bad_csat_since(args.database_url, args.since) if "bad_csat" in args.filter else set()
        )
        for summary in review(store.conversations(args.since, args.until), args.filter, bad_csat):
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
        labels = dict(args.label)
        problems = label_problems(conversation, labels, domain_intents())
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 1
        print(export_story(conversation, args.name, args.keep_personal_data, labels), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
