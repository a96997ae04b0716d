"""Customer satisfaction (CSAT): the 1-5 rating a shopper gives when a conversation ends.

The widget asks once per ending (the bot's goodbye, or an agent closing a
handoff); asking again for the same ending replaces the earlier answer, so a
shopper who changes their mind is counted once. Comments are redacted before
they are stored because ratings feed the analytics, which keep no personal data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, get_args

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aisle.agents import utc_now
from aisle.models import CsatRating
from aisle.pii import redact

CsatTrigger = Literal["goodbye", "handoff_closed"]
TRIGGERS: tuple[str, ...] = get_args(CsatTrigger)
RATINGS = range(1, 6)
MAX_COMMENT_CHARS = 1000
BAD_RATING = 2
"""Ratings up to this one count as a bad experience worth a reviewer's look."""


class InvalidRating(ValueError):
    """A rating the shopper could not have meant (out of range, unknown trigger, huge comment)."""


@dataclass(frozen=True)
class CsatSummary:
    """Ratings over a date range: how many, their mean, and how many of each score."""

    count: int
    average: float | None
    distribution: dict[int, int] = field(default_factory=dict)


def record_rating(
    session: Session,
    conversation_id: str,
    rating: int,
    comment: str | None,
    trigger: str,
) -> CsatRating:
    """Stores (or replaces) the rating of one conversation's ending."""
    _check(rating, comment, trigger)
    stored_comment = redact(comment.strip()) if comment and comment.strip() else None
    row = session.scalar(
        select(CsatRating).where(
            CsatRating.conversation_id == conversation_id, CsatRating.trigger == trigger
        )
    )
    if row is None:
        row = CsatRating(conversation_id=conversation_id, trigger=trigger)
        session.add(row)
    row.rating = rating
    row.comment = stored_comment
    row.created_at = utc_now()
    session.flush()
    return row


def _check(rating: int, comment: str | None, trigger: str) -> None:
    if isinstance(rating, bool) or not isinstance(rating, int) or rating not in RATINGS:
        raise InvalidRating(f"a rating is a whole number from 1 to 5, not {rating!r}")
    if trigger not in TRIGGERS:
        raise InvalidRating(f"unknown CSAT trigger {trigger!r}; use one of {', '.join(TRIGGERS)}")
    if comment is not None and len(comment) > MAX_COMMENT_CHARS:
        raise InvalidRating(f"the comment is over {MAX_COMMENT_CHARS} characters")


def csat_summary(session: Session, start: dt.datetime, end: dt.datetime) -> CsatSummary:
    """Ratings given in ``[start, end)``."""
    counts = dict(
        session.execute(
            select(CsatRating.rating, func.count())
            .where(CsatRating.created_at >= _naive_utc(start))
            .where(CsatRating.created_at < _naive_utc(end))
            .group_by(CsatRating.rating)
        ).all()
    )
    distribution = {score: int(counts.get(score, 0)) for score in RATINGS}
    total = sum(distribution.values())
    average = sum(score * n for score, n in distribution.items()) / total if total else None
    return CsatSummary(count=total, average=average, distribution=distribution)


def bad_csat_conversations(
    session: Session, start: dt.datetime, end: dt.datetime, max_rating: int = BAD_RATING
) -> set[str]:
    """Conversations rated ``max_rating`` or lower in ``[start, end)``: review filter bad_csat."""
    query = (
        select(CsatRating.conversation_id)
        .where(CsatRating.rating <= max_rating)
        .where(CsatRating.created_at >= _naive_utc(start))
        .where(CsatRating.created_at < _naive_utc(end))
    )
    return set(session.scalars(query))


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    """Rows hold naive UTC (``utc_now``); callers may pass aware datetimes."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
