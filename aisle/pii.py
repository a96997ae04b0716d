"""Personal data out of logs and kept transcripts: redaction and pseudonyms.

Shoppers type emails, phone numbers, card numbers and addresses into the
chat. What the bot needs it reads at once (the order form checks the email);
what is kept longer (log lines, transcripts for review and analytics) keeps
the shape of the message with the personal parts replaced by a label:
"my card 4111 1111 1111 1111 was charged twice" ->
"my card [card] was charged twice". Order numbers are not personal and stay.

Card numbers are only called cards when they pass the Luhn check, so an
order or tracking number that happens to be long is not mistaken for one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# 13-19 digits, optionally grouped by spaces or dashes: a card number candidate.
CARD_CANDIDATE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
# A phone number: optional +country, then at least 10 digits in groups.
PHONE = re.compile(r"(?<![\w-])\+?\(?\d{1,4}\)?(?:[ .-]?\(?\d{2,4}\)?){2,5}(?![\w-])")
STREET_SUFFIXES = (
    "street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl"
    "|terrace|close|crescent|square|sq|parkway|highway|hwy"
)
ADDRESS = re.compile(
    rf"\b\d{{1,6}}[a-z]?(?:\s+[A-Za-z][\w'.-]*){{1,4}}\s+(?:{STREET_SUFFIXES})\b\.?"
    r"(?:,?\s*(?:apt|apartment|flat|unit|suite|#)\s*[\w-]+)?",
    re.IGNORECASE,
)


def luhn_valid(digits: str) -> bool:
    """The card-number checksum: true for real card numbers, false for most other digit runs."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[card]" if luhn_valid(digits) else match.group()


def _phone(match: re.Match[str]) -> str:
    groups = re.findall(r"\d+", match.group())
    if all(len(group) == 5 for group in groups):  # "10001 10002": order numbers, not a phone
        return match.group()
    return "[phone]" if 10 <= sum(len(group) for group in groups) <= 15 else match.group()


_RULES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (EMAIL, "[email]"),
    (CARD_CANDIDATE, _card),
    (PHONE, _phone),
    (ADDRESS, "[address]"),
)


def redact(text: str) -> str:
    """``text`` with emails, card numbers, phone numbers and street addresses replaced."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def pseudonym(identifier: str, secret: str) -> str:
    """A stable stand-in for a shopper id: the same id gives the same pseudonym, unreadably."""
    digest = hmac.new(secret.encode(), identifier.encode(), hashlib.sha256).hexdigest()
    return f"shopper-{digest[:16]}"


class RedactingFilter(logging.Filter):
    """Redacts every log record's message before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact_logs(logger: logging.Logger | None = None) -> None:
    """Installs ``RedactingFilter`` on the handlers of ``logger`` (default: the root logger).

    Filters on a logger do not see records of its child loggers, while
    handler filters see every record the handler writes, so the filter goes
    on the handlers.
    """
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
