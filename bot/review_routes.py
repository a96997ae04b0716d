"""The JSON API behind the review page and the dashboard (agents only: 401 without a session).

* ``GET /api/agent/review/conversations?filter=handoff&start=2026-11-01&end=2026-11-30``
  lists conversations newest first (``aisle.review``'s filters, all must hold);
* ``GET /api/agent/review/conversations/{id}`` is one conversation, turn by turn;
* ``POST /api/agent/review/conversations/{id}/export`` ``{"intents": {"0": "track_order"}}``
  returns it as a test story with the corrected labels, personal data redacted;
* ``GET /api/agent/analytics?start=&end=`` is ``aisle.analytics``' report with CSAT;
* ``GET /api/agent/analytics/charts/{name}.svg?start=&end=`` draws one of its charts.

Dates are UTC days, both ends included. Conversations come from Rasa's
tracker store (``AISLE_TRACKER_URL``), read-only through
``aisle.tracker_events``; CSAT ratings from the shop database.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from fastapi.concurrency import run_in_threadpool
from fastapi.requests import HTTPConnection
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError

from aisle import analytics_charts
from aisle.analytics import Analytics, compute, with_csat
from aisle.review import bad_csat_since, entries, review, summarise
from aisle.story_export import domain_intents, export_story, label_problems
from aisle.tracker_events import Conversation, TrackerEvents, TrackerStoreError
from bot.agent_auth import CurrentAgent
from bot.deps import SettingsDep, app_settings
from bot.review_schemas import (
    AnalyticsReport,
    ConversationRow,
    ConversationView,
    CsatView,
    ExportRequest,
    Flag,
    StoryExport,
    TranscriptEntry,
)

logger = logging.getLogger(__name__)

DEFAULT_DAYS = 30
"""The dashboard's range when none is given: the last 30 days, today included."""
MAX_ROWS = 1000
FIGURES_TTL_SECONDS = 10.0
"""How long one range's figures are reused (a dashboard view asks for them six times)."""

router = APIRouter(prefix="/api/agent")

T = TypeVar("T")


def tracker_events(connection: HTTPConnection) -> TrackerEvents:
    """The app's reader of Rasa's tracker store, made on first use (one engine per app)."""
    state = connection.app.state
    store: TrackerEvents | None = getattr(state, "tracker_events", None)
    if store is None:
        store = state.tracker_events = TrackerEvents(app_settings(connection).tracker_url)
    return store


TrackerDep = Annotated[TrackerEvents, Depends(tracker_events)]


@dataclass(frozen=True)
class DayRange:
    """[since, until) in UTC; ``None`` ends are open."""

    since: dt.datetime | None
    until: dt.datetime | None


def day_range(
    start: Annotated[dt.date | None, Query(description="first day (UTC), e.g. 2026-11-01")] = None,
    end: Annotated[dt.date | None, Query(description="last day (UTC), included")] = None,
) -> DayRange:
    """The query's days as datetimes; 422 when the range runs backwards."""
    if start is not None and end is not None and end < start:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"end ({end}) is before start ({start})."
        )
    return DayRange(_midnight(start), _midnight(end + dt.timedelta(days=1)) if end else None)


def _midnight(day: dt.date | None) -> dt.datetime | None:
    return None if day is None else dt.datetime.combine(day, dt.time(), dt.timezone.utc)


async def _guarded(call: Callable[[], T]) -> T:
    """Runs a blocking read in the thread pool; an unreadable store answers 503.

    The detail names the setting, never the URL (it may hold a password).
    """
    try:
        return await run_in_threadpool(call)
    except TrackerStoreError as exc:
        logger.error("%s", exc)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "Rasa's tracker store can't be read: check AISLE_TRACKER_URL (gateway log).",
        ) from exc
    except SQLAlchemyError as exc:
        logger.error("Shop database unreadable for review/analytics: %s", exc)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "The shop database can't be read."
        ) from exc


@router.get("/review/conversations", response_model=list[ConversationRow])
async def list_conversations(
    _agent: CurrentAgent,
    settings: SettingsDep,
    store: TrackerDep,
    days: Annotated[DayRange, Depends(day_range)],
    filters: Annotated[list[Flag], Query(alias="filter")] = [],  # noqa: B006 (FastAPI copies it)
    limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 200,
) -> list[ConversationRow]:
    """Conversations with every one of ``filter`` (repeatable), newest first."""

    def read() -> list[ConversationRow]:
        bad = bad_csat_since(settings.database_url, days.since)
        found = review(store.conversations(days.since, days.until), filters, bad)
        return [
            ConversationRow(
                id=summary.sender_id,
                started_at=summary.started_at,
                user_turns=summary.user_turns,
                flags=sorted(summary.flags),
                first_message=summary.first_message,
            )
            for summary in found[:limit]
        ]

    return await _guarded(read)


ConversationId = Annotated[str, Path(min_length=1, max_length=255)]


@router.get("/review/conversations/{conversation_id}", response_model=ConversationView)
async def get_conversation(
    conversation_id: ConversationId, _agent: CurrentAgent, settings: SettingsDep, store: TrackerDep
) -> ConversationView:
    """One conversation: who said what, each shopper turn with its intent and confidence."""
    conversation = await _guarded(lambda: _conversation(store, conversation_id))
    bad = await _guarded(lambda: bad_csat_since(settings.database_url))
    return ConversationView(
        id=conversation.sender_id,
        started_at=conversation.started_at,
        flags=sorted(summarise(conversation, bad).flags),
        entries=[TranscriptEntry.model_validate(asdict(entry)) for entry in entries(conversation)],
        intents=domain_intents(),
    )


@router.post("/review/conversations/{conversation_id}/export", response_model=StoryExport)
async def export_conversation(
    conversation_id: ConversationId, body: ExportRequest, _agent: CurrentAgent, store: TrackerDep
) -> StoryExport:
    """The conversation as a test story with the reviewer's labels; 422 names a bad label."""
    conversation = await _guarded(lambda: _conversation(store, conversation_id))
    problems = label_problems(conversation, body.intents, domain_intents())
    if problems:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "; ".join(problems))
    story = export_story(conversation, body.name, intents=body.intents)
    safe_id = re.sub(r"[^A-Za-z0-9_-]+", "_", conversation_id)[:60]
    return StoryExport(filename=f"test_reviewed_{safe_id}.yml", yaml=story)


def _conversation(store: TrackerEvents, conversation_id: str) -> Conversation:
    conversation = store.conversation(conversation_id)
    if conversation is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such conversation.")
    return conversation


def dashboard_range(
    start: Annotated[dt.date | None, Query(description="first day (UTC)")] = None,
    end: Annotated[dt.date | None, Query(description="last day (UTC), included")] = None,
) -> tuple[dt.date, dt.date]:
    """The dashboard's days; by default the last ``DEFAULT_DAYS`` up to today."""
    last = end or dt.datetime.now(dt.timezone.utc).date()
    first = start or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"end ({last}) is before start ({first})."
        )
    return first, last


DashboardDays = Annotated[tuple[dt.date, dt.date], Depends(dashboard_range)]


class RecentFigures:
    """The last few ranges' figures, kept ``FIGURES_TTL_SECONDS``.

    One dashboard view asks for the report and five charts of the same range
    at once; without this each of the six would read the whole range from the
    tracker store (about 0.4 s for 2,000 conversations on this machine).
    """

    def __init__(self) -> None:
        self._kept: dict[tuple[dt.date, dt.date], tuple[float, Analytics]] = {}
        self._lock = threading.Lock()

    def get(self, days: tuple[dt.date, dt.date], make: Callable[[], Analytics]) -> Analytics:
        now = time.monotonic()
        with self._lock:
            self._kept = {k: v for k, v in self._kept.items() if v[0] > now}
            kept = self._kept.get(days)
        if kept is not None:
            return kept[1]
        figures = make()
        with self._lock:
            self._kept[days] = (now + FIGURES_TTL_SECONDS, figures)
        return figures


def recent_figures(connection: HTTPConnection) -> RecentFigures:
    state = connection.app.state
    recent: RecentFigures | None = getattr(state, "recent_figures", None)
    if recent is None:
        recent = state.recent_figures = RecentFigures()
    return recent


RecentDep = Annotated[RecentFigures, Depends(recent_figures)]


async def _figures(
    store: TrackerEvents,
    database_url: str,
    days: tuple[dt.date, dt.date],
    recent: RecentFigures,
) -> Analytics:
    since = _midnight(days[0])
    until = _midnight(days[1] + dt.timedelta(days=1))

    def make() -> Analytics:
        return with_csat(compute(store.conversations(since, until)), database_url, since, until)

    return await _guarded(lambda: recent.get(days, make))


@router.get("/analytics", response_model=AnalyticsReport)
async def get_analytics(
    _agent: CurrentAgent,
    settings: SettingsDep,
    store: TrackerDep,
    days: DashboardDays,
    recent: RecentDep,
) -> AnalyticsReport:
    """The figures of the conversations in the range: rates, volumes, CSAT, latency."""
    figures = await _figures(store, settings.database_url, days, recent)
    fields = asdict(figures)
    fields["csat"] = CsatView.model_validate(fields["csat"]) if figures.csat else None
    return AnalyticsReport(start=days[0], end=days[1], **fields)


@router.get("/analytics/charts/{name}.svg", response_class=Response)
async def get_chart(
    name: str,
    _agent: CurrentAgent,
    settings: SettingsDep,
    store: TrackerDep,
    days: DashboardDays,
    recent: RecentDep,
) -> Response:
    """One chart of the range's figures as SVG (the dashboard shows it as an ``<img>``)."""
    if name not in analytics_charts.CHARTS:
        known = ", ".join(analytics_charts.CHARTS)
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No chart {name!r}; charts: {known}.")
    figures = await _figures(store, settings.database_url, days, recent)
    svg = await run_in_threadpool(analytics_charts.render_svg, name, figures)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
