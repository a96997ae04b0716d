"""Is the assistant helping? Aggregates over the conversations of a date range.

Computed on demand from Rasa's tracker store (``aisle.tracker_events``), so
nothing is copied anywhere: the result holds counts and rates only, no
shopper id and no message text, and can be shown or exported as it is.

    python -m aisle.analytics [--since 2026-11-01] [--until 2026-12-01] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from aisle.csat import CsatSummary, csat_summary
from aisle.database import session_scope
from aisle.review import flags_of
from aisle.settings import Settings
from aisle.tracker_events import (
    Conversation,
    TrackerEvents,
    TrackerStoreError,
    tracker_url_from_environment,
)

FALLBACK_RESPONSE = "utter_default"
NO_RESULTS_RESPONSE = "utter_no_products_found"
HANDOFF_REASON_SLOT = "handoff_reason"


@dataclass(frozen=True)
class Analytics:
    """The figures of a set of conversations; rates are fractions (0.25 = 25 %)."""

    conversations: int
    user_turns: int
    containment_rate: float
    """Conversations that ended without a person."""
    handoff_rate: float
    handoff_reasons: dict[str, int]
    """Why the bot handed over: the ``handoff_reason`` slot ``action_handoff`` sets
    (actions/handoff.py ``REASONS``)."""
    fallback_rate: float
    """User turns the bot did not understand."""
    intent_volume: dict[str, int]
    searches: int
    zero_result_rate: float
    turn_latency_ms: dict[str, float] = field(default_factory=dict)
    """p50 / p95 / p99 from the shopper's message to the bot's last answer of the turn."""
    csat: CsatSummary | None = None
    """Ratings given in the range (from the shop database; ``None``: not read)."""


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def with_csat(
    figures: Analytics,
    database_url: str,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Analytics:
    """``figures`` with the CSAT ratings given in [since, until) (open ends: all of them)."""
    end = until or dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    with session_scope(database_url) as session:
        summary = csat_summary(session, since or EPOCH, end)
    return replace(figures, csat=summary)


def compute(conversations: Iterable[Conversation]) -> Analytics:
    talked = [c for c in conversations if c.of_type("user")]
    turns = [turn for conversation in talked for turn in _turns(conversation)]
    handed_over = [c for c in talked if "handoff" in flags_of(c)]
    searches = [turn for turn in turns if "action_search_products" in turn.actions]
    latencies = [turn.latency_ms for turn in turns if turn.latency_ms is not None]
    return Analytics(
        conversations=len(talked),
        user_turns=len(turns),
        containment_rate=_rate(len(talked) - len(handed_over), len(talked)),
        handoff_rate=_rate(len(handed_over), len(talked)),
        handoff_reasons=dict(Counter(turn.handoff_reason for turn in turns if turn.handed_over)),
        fallback_rate=_rate(sum(turn.fell_back for turn in turns), len(turns)),
        intent_volume=dict(Counter(turn.intent for turn in turns).most_common()),
        searches=len(searches),
        zero_result_rate=_rate(
            sum(NO_RESULTS_RESPONSE in t.responses for t in searches), len(searches)
        ),
        turn_latency_ms=_percentiles(latencies),
    )


@dataclass
class _Turn:
    intent: str
    started: float
    actions: list[str] = field(default_factory=list)
    responses: list[str] = field(default_factory=list)
    last_bot: float | None = None
    reason: str | None = None
    """The ``handoff_reason`` slot set in this turn, if any."""

    @property
    def handed_over(self) -> bool:
        """``action_handoff`` ran, or a failing action stored a handoff itself (its reason)."""
        return "action_handoff" in self.actions or self.reason is not None

    @property
    def handoff_reason(self) -> str:
        """The stored reason; without one (a handoff that could not be stored, or one
        from before the slot existed) the shopper's request, or ``unknown``."""
        if self.reason:
            return self.reason
        return "shopper_request" if self.intent == "human_handoff" else "unknown"

    @property
    def fell_back(self) -> bool:
        return self.intent == "nlu_fallback" or FALLBACK_RESPONSE in self.responses

    @property
    def latency_ms(self) -> float | None:
        return None if self.last_bot is None else (self.last_bot - self.started) * 1000


def _turns(conversation: Conversation) -> list[_Turn]:
    turns: list[_Turn] = []
    for event in conversation.events:
        kind = event.get("event")
        if kind == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            turns.append(_Turn(str(intent or "unknown"), float(event.get("timestamp") or 0)))
        elif turns and kind == "action":
            turns[-1].actions.append(str(event.get("name")))
        elif turns and kind == "slot" and event.get("name") == HANDOFF_REASON_SLOT:
            turns[-1].reason = str(event.get("value") or "") or None
        elif turns and kind == "bot":
            turns[-1].last_bot = float(event.get("timestamp") or 0)
            response = (event.get("metadata") or {}).get("utter_action")
            if response:
                turns[-1].responses.append(str(response))
    return turns


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _percentiles(samples: Sequence[float]) -> dict[str, float]:
    if not samples:
        return {}
    if len(samples) == 1:
        only = round(samples[0], 1)
        return {"p50": only, "p95": only, "p99": only}
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": round(cuts[49], 1), "p95": round(cuts[94], 1), "p99": round(cuts[98], 1)}


def _date(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aisle.analytics",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--tracker-url", default=tracker_url_from_environment())
    parser.add_argument("--since", type=_date)
    parser.add_argument("--until", type=_date)
    parser.add_argument(
        "--database-url",
        default=Settings().database_url,
        help="the shop database, where CSAT ratings are (default: AISLE_DATABASE_URL)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args(argv)
    store = TrackerEvents(args.tracker_url)
    try:
        figures = compute(store.conversations(args.since, args.until))
    except TrackerStoreError as error:
        print(error, file=sys.stderr)
        return 2
    finally:
        store.close()
    try:
        figures = with_csat(figures, args.database_url, args.since, args.until)
    except SQLAlchemyError as error:
        print(
            f"No CSAT figures: can't read {args.database_url} ({error.__class__.__name__})."
            " Migrate it (python -m aisle migrate) or pass --database-url.",
            file=sys.stderr,
        )
    print(json.dumps(asdict(figures)) if args.json else _table(figures))
    return 0


def _table(figures: Analytics) -> str:
    rows: list[tuple[str, Any]] = [
        ("conversations", figures.conversations),
        ("user turns", figures.user_turns),
        ("containment", f"{figures.containment_rate:.1%}"),
        ("handoff rate", f"{figures.handoff_rate:.1%}"),
        ("handoff reasons", figures.handoff_reasons or "-"),
        ("fallback rate", f"{figures.fallback_rate:.1%}"),
        ("searches", figures.searches),
        ("zero-result searches", f"{figures.zero_result_rate:.1%}"),
        ("turn latency ms", figures.turn_latency_ms or "-"),
        ("CSAT", _csat_line(figures.csat)),
        ("intents", figures.intent_volume),
    ]
    return "\n".join(f"{name:<22}{value}" for name, value in rows)


def _csat_line(summary: CsatSummary | None) -> str:
    if summary is None or summary.average is None:
        return "-"
    return f"{summary.average:.2f} of {summary.count} ratings {summary.distribution}"


if __name__ == "__main__":
    sys.exit(main())
