"""Refunds: money back for cancelled orders and returned items.

A refund is ``pending`` when opened, ``approved`` once the shop has checked it
(within a day for a cancellation, after inspection for a return) and ``paid``
two to five days after approval, when the bank has posted it. Its status
follows from those instants and ``now``, like everything else in the demo.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from aisle.demo.drafts import RefundDraft
from aisle.demo.timeline import Timeline, later

PAYOUT_HOURS = (48.0, 120.0)
"""From approval to the money reaching the shopper."""


def refund(
    rng: random.Random,
    timeline: Timeline,
    *,
    amount: Decimal,
    method: str,
    created_at: dt.datetime,
    approved_at: dt.datetime,
) -> RefundDraft:
    """A refund opened at ``created_at`` and approved at ``approved_at``, as it stands now."""
    paid_at = later(rng, approved_at, *PAYOUT_HOURS)
    if paid_at < timeline.now:
        status = "paid"
    elif approved_at < timeline.now:
        status = "approved"
    else:
        status = "pending"
    return RefundDraft(amount, method, status, created_at, paid_at if status == "paid" else None)
