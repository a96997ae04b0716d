"""Ordinal words as list positions: "the second one", "the 3rd", "the last".

Shoppers point at items of a list the bot showed (return items, product cards)
the same way, so both readers share one table. Negative positions count from the
end, as in Python ("last" is -1).
"""

from __future__ import annotations

ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "last": -1,
}
