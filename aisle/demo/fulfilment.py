"""What happened to an order after it was placed: shipped, arrived, stalled, cancelled.

The outcome follows from the order's age, as in a real shop: yesterday's orders
are still processing, last week's are on their way, older ones have arrived; a
few stall or arrive in two parcels, a few are cancelled. Persona orders ask for
a fixed story instead (``Fulfiller.for_story``).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from aisle.demo.drafts import ShipmentDraft
from aisle.demo.shipping import Shipping
from aisle.demo.timeline import Timeline, between, daytime, later

CANCELLED_SHARE = 0.04
LABEL_CREATED_SHARE = 0.5
"""Share of processing orders whose label is already printed."""
PARTIAL_SHARE = 0.15
"""Share of multi-item orders placed 4-12 days ago that ship in two parcels."""
DELAYED_SHARE = 0.12
"""Share of orders placed 7-22 days ago whose parcel stalls."""
ARRIVAL_SHIFT_DAYS = (-1, 0, 1, 2)
ARRIVAL_SHIFT_WEIGHTS = (15, 65, 15, 5)
"""How many days after its estimate a parcel arrives: most on time."""


@dataclass
class Fulfilment:
    """An order's status, shipments and, if cancelled, when."""

    status: str
    shipments: list[ShipmentDraft] = field(default_factory=list)
    cancelled_at: dt.datetime | None = None


class Fulfiller:
    """Decides and renders the fulfilment of orders."""

    def __init__(self, rng: random.Random, timeline: Timeline, shipping: Shipping) -> None:
        self._rng = rng
        self._timeline = timeline
        self._shipping = shipping

    def for_generated(self, placed_at: dt.datetime, destination: str, n_items: int) -> Fulfilment:
        """A likely outcome for an order of this age."""
        age_days = self._hours_since(placed_at) / 24
        rng = self._rng
        if rng.random() < CANCELLED_SHARE:
            return self._cancelled(placed_at)
        if age_days < 1.5:
            return self._processing(placed_at, label=rng.random() < LABEL_CREATED_SHARE)
        if 4 <= age_days <= 12 and n_items >= 2 and rng.random() < PARTIAL_SHARE:
            return self._partially_shipped(placed_at, destination, (None, None))
        if 7 <= age_days <= 22 and rng.random() < DELAYED_SHARE:
            return self._stalled(placed_at, destination)
        return self._shipped(placed_at, destination)

    def for_story(
        self, story: str, placed_at: dt.datetime, destination: str, carriers: Sequence[str]
    ) -> Fulfilment:
        """The fixed outcome of a persona order (see ``personas``)."""
        tellers = {
            "delivered": self._delivered_on_time,
            "in_transit": self._due_in_two_days,
            "delayed": self._late_and_silent,
            "processing": self._not_shipped_yet,
            "cancelled": self._cancelled_within_hours,
            "partially_shipped": self._split_in_two,
        }
        if story not in tellers:
            raise ValueError(f"unknown persona story {story!r}")
        return tellers[story](placed_at, destination, carriers)

    def _delivered_on_time(
        self, placed_at: dt.datetime, destination: str, carriers: Sequence[str]
    ) -> Fulfilment:
        shipped_at = later(self._rng, placed_at, 10, 20)
        arrival = shipped_at.date() + dt.timedelta(days=self._shipping.transit_days(carriers[0]))
        parcel = self._shipping.delivered(
            carriers[0],
            destination,
            shipped_at=shipped_at,
            estimated=arrival,
            delivered_at=daytime(self._rng, arrival),
        )
        return Fulfilment("delivered", [parcel])

    def _due_in_two_days(
        self, placed_at: dt.datetime, destination: str, carriers: Sequence[str]
    ) -> Fulfilment:
        parcel = self._shipping.in_transit(
            carriers[0],
            destination,
            shipped_at=later(self._rng, placed_at, 10, 20),
            estimated=self._timeline.date_in(2),
        )
        return Fulfilment("shipped", [parcel])

    def _late_and_silent(
        self, placed_at: dt.datetime, destination: str, carriers: Sequence[str]
    ) -> Fulfilment:
        """Estimated three days ago, last scanned five days ago."""
        shipped_at = later(self._rng, placed_at, 10, 20)
        last_scan = between(self._rng, self._timeline.ago(5.25), self._timeline.ago(5))
        parcel = self._shipping.delayed(
            carriers[0],
            destination,
            shipped_at=shipped_at,
            estimated=self._timeline.date_in(-3),
            last_scan_at=last_scan,
        )
        return Fulfilment("shipped", [parcel])

    def _not_shipped_yet(
        self, placed_at: dt.datetime, destination: str, carriers: Sequence[str]
    ) -> Fulfilment:
        return Fulfilment("processing")

    def _cancelled_within_hours(
        self, placed_at: dt.datetime, destination: str, carriers: Sequence[str]
    ) -> Fulfilment:
        return Fulfilment("cancelled", cancelled_at=later(self._rng, placed_at, 1, 4))

    def _split_in_two(
        self, placed_at: dt.datetime, destination: str, carriers: Sequence[str]
    ) -> Fulfilment:
        return self._partially_shipped(placed_at, destination, (carriers[0], carriers[-1]))

    def _hours_since(self, instant: dt.datetime) -> float:
        return (self._timeline.now - instant).total_seconds() / 3600

    def _cancelled(self, placed_at: dt.datetime) -> Fulfilment:
        """Cancelled by the shopper within a day and a half, before anything shipped."""
        age_hours = self._hours_since(placed_at)
        latest = min(36.0, age_hours * 0.9)
        return Fulfilment(
            "cancelled", cancelled_at=later(self._rng, placed_at, min(0.2, latest), latest)
        )

    def _processing(self, placed_at: dt.datetime, *, label: bool) -> Fulfilment:
        """Not shipped yet; maybe the label is printed."""
        age_hours = self._hours_since(placed_at)
        if not label or age_hours < 2:
            return Fulfilment("processing")
        created_at = later(self._rng, placed_at, 1, min(20.0, age_hours - 0.5))
        estimated = self._timeline.date_in(self._rng.randint(3, 6))
        parcel = self._shipping.label_created(
            self._shipping.pick_carrier(), created_at=created_at, estimated=estimated
        )
        return Fulfilment("processing", [parcel])

    def _shipped(self, placed_at: dt.datetime, destination: str) -> Fulfilment:
        """Shipped within a day or so; delivered by now, or still on its way."""
        now, today = self._timeline.now, self._timeline.today
        shipped_at = later(self._rng, placed_at, 6, 36)
        if shipped_at > now - dt.timedelta(hours=3):
            return self._processing(placed_at, label=True)
        carrier = self._shipping.pick_carrier()
        estimated = shipped_at.date() + dt.timedelta(days=self._shipping.transit_days(carrier))
        shift = self._rng.choices(ARRIVAL_SHIFT_DAYS, weights=ARRIVAL_SHIFT_WEIGHTS)[0]
        arrival = max(
            estimated + dt.timedelta(days=shift), shipped_at.date() + dt.timedelta(days=1)
        )
        delivered_at = daytime(self._rng, arrival)
        if delivered_at >= now and estimated < today:
            # Late and still moving is the "delayed" story, told elsewhere: arrive on time.
            delivered_at = daytime(self._rng, estimated)
        if delivered_at < now:
            parcel = self._shipping.delivered(
                carrier,
                destination,
                shipped_at=shipped_at,
                estimated=estimated,
                delivered_at=delivered_at,
            )
            return Fulfilment("delivered", [parcel])
        parcel = self._shipping.in_transit(
            carrier, destination, shipped_at=shipped_at, estimated=estimated
        )
        return Fulfilment("shipped", [parcel])

    def _stalled(self, placed_at: dt.datetime, destination: str) -> Fulfilment:
        """Past its estimated date, no scan for three to eight days."""
        now, today = self._timeline.now, self._timeline.today
        shipped_at = later(self._rng, placed_at, 6, 30)
        carrier = self._shipping.pick_carrier()
        quoted = shipped_at.date() + dt.timedelta(days=self._shipping.transit_days(carrier))
        estimated = min(quoted, today - dt.timedelta(days=1))
        earliest = max(shipped_at + dt.timedelta(hours=12), now - dt.timedelta(days=8))
        last_scan = between(self._rng, earliest, now - dt.timedelta(days=3))
        parcel = self._shipping.delayed(
            carrier, destination, shipped_at=shipped_at, estimated=estimated, last_scan_at=last_scan
        )
        return Fulfilment("shipped", [parcel])

    def _partially_shipped(
        self, placed_at: dt.datetime, destination: str, carriers: tuple[str | None, str | None]
    ) -> Fulfilment:
        """Two parcels: the first delivered, the second (a later-shipped item) on its way."""
        now = self._timeline.now
        first_carrier, second_carrier = (c or self._shipping.pick_carrier() for c in carriers)
        first_shipped = later(self._rng, placed_at, 6, 24)
        delivered_at = later(self._rng, first_shipped, 36, 60)
        first = self._shipping.delivered(
            first_carrier,
            destination,
            shipped_at=first_shipped,
            estimated=delivered_at.date(),
            delivered_at=delivered_at,
        )
        second_shipped = between(self._rng, now - dt.timedelta(days=2), now - dt.timedelta(hours=8))
        second = self._shipping.in_transit(
            second_carrier,
            destination,
            shipped_at=second_shipped,
            estimated=self._timeline.date_in(self._rng.randint(1, 3)),
        )
        return Fulfilment("shipped", [first, second])
