"""CSAT ratings: stored once per ending, comments redacted, summarised over a date range."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select

from aisle import migrate
from aisle.csat import InvalidRating, bad_csat_conversations, csat_summary, record_rating
from aisle.database import get_engine, session_scope
from aisle.models import CsatRating

WIDE = (dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1))


def test_a_repeated_rating_replaces_the_first(database_url: str) -> None:
    with session_scope(database_url) as session:
        record_rating(session, "conv-csat-1", 2, "slow", "goodbye")
        record_rating(session, "conv-csat-1", 4, None, "goodbye")
        record_rating(session, "conv-csat-1", 5, None, "handoff_closed")
    with session_scope(database_url) as session:
        rows = {row.trigger: row.rating for row in session.scalars(select(CsatRating))}
    assert rows == {"goodbye": 4, "handoff_closed": 5}


def test_comment_is_stored_redacted(database_url: str) -> None:
    with session_scope(database_url) as session:
        record_rating(
            session, "conv-csat-2", 1, "mail me at ada@example.com or 555-123-4567", "goodbye"
        )
    with session_scope(database_url) as session:
        comment = session.scalars(select(CsatRating.comment)).one()
    assert comment is not None
    assert "ada@example.com" not in comment and "555-123-4567" not in comment
    assert comment.startswith("mail me at")


@pytest.mark.parametrize(
    ("rating", "comment", "trigger"),
    [
        (0, None, "goodbye"),
        (6, None, "goodbye"),
        (True, None, "goodbye"),
        (3, None, "later"),
        (3, "x" * 1001, "goodbye"),
    ],
)
def test_impossible_ratings_are_refused(
    sqlite_url: str, rating: int, comment: str | None, trigger: str
) -> None:
    migrate.upgrade(sqlite_url)
    with session_scope(sqlite_url) as session, pytest.raises(InvalidRating):
        record_rating(session, "conv-csat-3", rating, comment, trigger)


def test_summary_counts_only_the_date_range(database_url: str) -> None:
    ratings = {"a": 5, "b": 5, "c": 4, "d": 1, "e": 2}
    with session_scope(database_url) as session:
        for conversation, rating in ratings.items():
            record_rating(session, f"conv-sum-{conversation}", rating, None, "goodbye")
        old = record_rating(session, "conv-sum-old", 1, None, "goodbye")
        old.created_at = dt.datetime(2020, 5, 1)
    with session_scope(database_url) as session:
        recent = csat_summary(session, dt.datetime(2021, 1, 1), WIDE[1])
        everything = csat_summary(session, *WIDE)
        bad = bad_csat_conversations(session, dt.datetime(2021, 1, 1), WIDE[1])
        nothing = csat_summary(session, dt.datetime(2019, 1, 1), dt.datetime(2019, 2, 1))
    assert recent.count == 5 and recent.average == pytest.approx(17 / 5)
    assert recent.distribution == {1: 1, 2: 1, 3: 0, 4: 1, 5: 2}
    assert everything.count == 6 and everything.distribution[1] == 2
    assert bad == {"conv-sum-d", "conv-sum-e"}
    assert nothing.count == 0 and nothing.average is None


def test_migration_goes_up_and_down(sqlite_url: str) -> None:
    migrate.upgrade(sqlite_url)
    assert "csat_ratings" in inspect(get_engine(sqlite_url)).get_table_names()
    migrate.downgrade(sqlite_url, "0003")
    assert "csat_ratings" not in inspect(get_engine(sqlite_url)).get_table_names()
    get_engine(sqlite_url).dispose()
