"""Time for the demo shop, measured back from a fixed ``today``.

Every timestamp the generator writes is derived from ``Timeline.now`` and a
seeded random source, never from the wall clock, so the same seed and the same
``today`` give the same shop to the second. ``now`` is midnight at the start of
``today`` (naive UTC): everything generated lies strictly before it, so all of
it is already in the past whenever on ``today`` the demo is used.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Timeline:
    """The demo's clock: ``today`` and the instants computed from it."""

    today: dt.date

    @property
    def now(self) -> dt.datetime:
        """Midnight at the start of ``today``; the newest instant in the data."""
        return dt.datetime.combine(self.today, dt.time.min)

    def ago(self, days: float) -> dt.datetime:
        """The instant ``days`` before ``now``, to the whole second."""
        return self.now - dt.timedelta(seconds=round(days * SECONDS_PER_DAY))

    def date_in(self, days: int) -> dt.date:
        """The calendar date ``days`` after ``today`` (negative: before)."""
        return self.today + dt.timedelta(days=days)


def between(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    """A random whole-second instant in ``[start, end]``; ``start`` if the span is empty."""
    span = int((end - start).total_seconds())
    if span <= 0:
        return start
    return start + dt.timedelta(seconds=rng.randint(0, span))


def later(
    rng: random.Random, start: dt.datetime, min_hours: float, max_hours: float
) -> dt.datetime:
    """A random instant ``min_hours`` to ``max_hours`` after ``start``."""
    low = start + dt.timedelta(seconds=round(min_hours * 3600))
    high = start + dt.timedelta(seconds=round(max_hours * 3600))
    return between(rng, low, high)


def daytime(rng: random.Random, day: dt.date) -> dt.datetime:
    """An instant on ``day`` in US delivery hours (14:00-23:30 UTC, about 9 am-7 pm Eastern)."""
    start = dt.datetime.combine(day, dt.time(14, 0))
    return between(rng, start, start + dt.timedelta(hours=9, minutes=30))
