"""Support hours: parsing and whether a moment is inside them, in the team's time zone."""

from __future__ import annotations

import datetime as dt

import pytest

from aisle.business_hours import ALWAYS, is_open, parse

UTC = dt.timezone.utc
HOURS = "mon-fri 09:00-17:00, sat 10:00-14:00"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (dt.datetime(2026, 12, 2, 9, 0, tzinfo=UTC), True),  # Wednesday, opening minute
        (dt.datetime(2026, 12, 2, 16, 59, tzinfo=UTC), True),
        (dt.datetime(2026, 12, 2, 17, 0, tzinfo=UTC), False),  # closing minute is closed
        (dt.datetime(2026, 12, 2, 3, 0, tzinfo=UTC), False),  # night
        (dt.datetime(2026, 12, 5, 11, 0, tzinfo=UTC), True),  # Saturday morning
        (dt.datetime(2026, 12, 5, 15, 0, tzinfo=UTC), False),
        (dt.datetime(2026, 12, 6, 11, 0, tzinfo=UTC), False),  # Sunday
    ],
)
def test_is_open(moment: dt.datetime, expected: bool) -> None:
    assert is_open(HOURS, "UTC", moment) is expected


def test_hours_are_read_in_the_teams_time_zone() -> None:
    moment = dt.datetime(2026, 12, 2, 14, 30, tzinfo=UTC)  # 09:30 in New York (UTC-5)
    assert is_open("mon-fri 09:00-10:00", "America/New_York", moment)
    assert not is_open("mon-fri 09:00-10:00", "UTC", moment)


def test_always_is_open_around_the_clock() -> None:
    for hour in range(24):
        assert is_open(ALWAYS, "UTC", dt.datetime(2026, 12, 6, hour, 30, tzinfo=UTC))


@pytest.mark.parametrize(
    "spec", ["mon-fri 9-17", "fri-mon 09:00-17:00", "mon 17:00-09:00", "xyz 09:00-10:00"]
)
def test_bad_hours_are_refused_with_the_bad_part(spec: str) -> None:
    with pytest.raises(ValueError, match="Bad support hours"):
        parse(spec)
