"""Personal data is redacted from kept text; order numbers and ordinary words are not."""

from __future__ import annotations

import logging

import pytest

from aisle.pii import RedactingFilter, luhn_valid, pseudonym, redact, redact_logs


@pytest.mark.parametrize(
    "text, expected",
    [
        ("email is alex.rivera@example.com thanks", "email is [email] thanks"),
        ("card 4111 1111 1111 1111 was charged twice", "card [card] was charged twice"),
        ("card 4111-1111-1111-1111", "card [card]"),
        ("my visa 4012888888881881", "my visa [card]"),
        ("call me on +1 415 555 0134", "call me on [phone]"),
        ("or (415) 555-0134 after 5", "or [phone] after 5"),
        ("send it to 1458 Valencia Street, Apt 3 please", "send it to [address] please"),
        ("12 Station Road, Springfield", "[address], Springfield"),
        ("where is order 10001", "where is order 10001"),  # order numbers are not personal
        ("orders 10001 10002 please", "orders 10001 10002 please"),
        ("tracking 1Z6S455M0338358564", "tracking 1Z6S455M0338358564"),
        ("tent for 2 people under 150", "tent for 2 people under 150"),
        ("size 10 boots", "size 10 boots"),
        ("1234 5678 9012 3456 is not a card", "1234 5678 9012 3456 is not a card"),  # fails Luhn
    ],
)
def test_redaction(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_luhn() -> None:
    assert luhn_valid("4111111111111111") and luhn_valid("79927398713")
    assert not luhn_valid("4111111111111112")


def test_pseudonyms_are_stable_and_unreadable() -> None:
    first = pseudonym("conversation-42", "secret")
    assert first == pseudonym("conversation-42", "secret")
    assert first != pseudonym("conversation-43", "secret")
    assert first != pseudonym("conversation-42", "other secret")
    assert "conversation-42" not in first


def test_log_lines_are_redacted_before_they_are_written(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("aisle.test_pii")
    caplog.handler.addFilter(RedactingFilter())
    logger.warning("Verification failed for %s with %s", "10001", "eve@example.com")
    assert caplog.records[-1].getMessage() == "Verification failed for 10001 with [email]"


def test_redact_logs_installs_the_filter_once() -> None:
    logger = logging.getLogger("aisle.test_pii.install")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        redact_logs(logger)
        redact_logs(logger)
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    finally:
        logger.removeHandler(handler)
