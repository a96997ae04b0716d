"""When the support team works, e.g. ``"mon-fri 09:00-17:00, sat 10:00-14:00"``.

Read from ``AISLE_SUPPORT_HOURS`` in the team's time zone (``AISLE_SUPPORT_TIMEZONE``), so a
shopper who asks for a person at night is told so and offered a ticket instead of a dead wait.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = "mon-sun 00:00-24:00"

_WINDOW = re.compile(
    r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+(?P<start>\d{2}:\d{2})-(?P<end>\d{2}:\d{2})$"
)


@dataclass(frozen=True)
class Window:
    """Open from ``start`` to ``end`` minutes after midnight on each of ``days`` (0 = Monday)."""

    days: frozenset[int]
    start: int
    end: int


def parse(spec: str) -> list[Window]:
    """Parses comma-separated windows; raises ``ValueError`` naming the bad part."""
    windows = []
    for part in (p.strip().lower() for p in spec.split(",") if p.strip()):
        match = _WINDOW.match(part)
        if not match or match["first"] not in DAYS or (match["last"] or "mon") not in DAYS:
            raise ValueError(f"Bad support hours {part!r}; write e.g. 'mon-fri 09:00-17:00'.")
        first = DAYS.index(match["first"])
        last = DAYS.index(match["last"]) if match["last"] else first
        start, end = _minutes(match["start"]), _minutes(match["end"])
        if not 0 <= start < end <= 24 * 60 or last < first:
            raise ValueError(f"Bad support hours {part!r}: the range is empty or backwards.")
        windows.append(Window(frozenset(range(first, last + 1)), start, end))
    return windows


def is_open(spec: str, timezone: str, now: dt.datetime | None = None) -> bool:
    """Tells whether ``now`` (aware; default: the current time) is inside the support hours."""
    local = (now or dt.datetime.now(dt.timezone.utc)).astimezone(ZoneInfo(timezone))
    minute = local.hour * 60 + local.minute
    return any(
        local.weekday() in window.days and window.start <= minute < window.end
        for window in parse(spec)
    )


def _minutes(value: str) -> int:
    hours, minutes = (int(part) for part in value.split(":"))
    if minutes >= 60:
        raise ValueError(f"Bad time {value!r}.")
    return hours * 60 + minutes
