"""Carriers, tracking numbers and the scans a parcel collects on its way.

Given when a parcel left and where it is now, this module writes the shipment
row and a believable scan history: picked up at a fulfilment centre, through a
carrier hub, out for delivery. When to ship and whether a parcel is late is
decided in ``fulfilment``; this module only renders it.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from dataclasses import dataclass

from aisle.demo import vocabulary as vocab
from aisle.demo.drafts import EventDraft, ShipmentDraft
from aisle.demo.timeline import Timeline, between

PICKED_UP = "Picked up"
DEPARTED = "Departed facility"
ARRIVED = "Arrived at facility"
OUT_FOR_DELIVERY = "Out for delivery"
DELIVERED = "Delivered"
LABEL_CREATED = "Shipping label created"


@dataclass(frozen=True)
class Carrier:
    """A carrier's share of parcels, usual transit time and public tracking page."""

    name: str
    weight: int
    transit_days: tuple[int, int]
    tracking_url: str


CARRIERS: dict[str, Carrier] = {
    "UPS": Carrier("UPS", 35, (2, 5), "https://www.ups.com/track?tracknum={number}"),
    "USPS": Carrier(
        "USPS", 30, (3, 6), "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}"
    ),
    "FedEx": Carrier("FedEx", 25, (2, 4), "https://www.fedex.com/fedextrack/?trknbr={number}"),
    "DHL": Carrier(
        "DHL",
        10,
        (2, 4),
        "https://www.dhl.com/us-en/home/tracking/tracking-express.html"
        "?submit=1&tracking-id={number}",
    ),
}


@dataclass(frozen=True)
class Route:
    """Where a parcel starts, the carrier hub it passes and where it ends."""

    origin: str
    hub: str
    destination: str


class Shipping:
    """Makes shipments with unique tracking numbers and their scan histories."""

    def __init__(self, rng: random.Random, timeline: Timeline) -> None:
        self._rng = rng
        self._timeline = timeline
        self._issued: set[str] = set()

    def pick_carrier(self) -> str:
        """A carrier by its share of parcels."""
        carriers = list(CARRIERS.values())
        return self._rng.choices(carriers, weights=[c.weight for c in carriers])[0].name

    def transit_days(self, carrier: str) -> int:
        """Days the carrier quotes from pickup to delivery."""
        return self._rng.randint(*CARRIERS[carrier].transit_days)

    def label_created(
        self, carrier: str, *, created_at: dt.datetime, estimated: dt.date
    ) -> ShipmentDraft:
        """Label printed, parcel not yet handed over: one scan, no ``shipped_at``."""
        origin = self._rng.choice(vocab.FULFILMENT_CENTRES)
        shipment = self._shipment(carrier, "label_created", None, estimated, None)
        shipment.events = [EventDraft(created_at, origin, LABEL_CREATED)]
        return shipment

    def delivered(
        self,
        carrier: str,
        destination: str,
        *,
        shipped_at: dt.datetime,
        estimated: dt.date,
        delivered_at: dt.datetime,
    ) -> ShipmentDraft:
        """A delivered parcel with 3-6 scans, the last one "Delivered"."""
        route = self._route(carrier, destination)
        middle = [(DEPARTED, route.origin), (ARRIVED, route.hub), (DEPARTED, route.hub)]
        kept = sorted(self._rng.sample(range(3), k=self._rng.randint(0, 3)))
        stops = [
            (PICKED_UP, route.origin),
            *(middle[i] for i in kept),
            (OUT_FOR_DELIVERY, route.destination),
        ]
        before_delivery = dt.timedelta(seconds=self._rng.randint(3600, 6 * 3600))
        out_at = max(delivered_at - before_delivery, shipped_at + dt.timedelta(hours=1))
        times = [*self._times(shipped_at, out_at, len(stops)), delivered_at]
        stops.append((DELIVERED, route.destination))
        shipment = self._shipment(carrier, "delivered", shipped_at, estimated, delivered_at)
        shipment.events = _events(stops, times)
        return shipment

    def in_transit(
        self, carrier: str, destination: str, *, shipped_at: dt.datetime, estimated: dt.date
    ) -> ShipmentDraft:
        """A parcel on its way, scanned within the last day; 2-5 scans."""
        route = self._route(carrier, destination)
        stops = [
            (PICKED_UP, route.origin),
            (DEPARTED, route.origin),
            (ARRIVED, route.hub),
            (DEPARTED, route.hub),
            (ARRIVED, route.destination),
        ]
        now = self._timeline.now
        days_under_way = (now - shipped_at).total_seconds() / 86_400
        count = max(2, min(len(stops), 2 + int(days_under_way)))
        recent = max(shipped_at + dt.timedelta(hours=1), now - dt.timedelta(hours=20))
        last_scan = between(self._rng, recent, now - dt.timedelta(minutes=15))
        shipment = self._shipment(carrier, "in_transit", shipped_at, estimated, None)
        shipment.events = _events(stops[:count], self._times(shipped_at, last_scan, count))
        return shipment

    def delayed(
        self,
        carrier: str,
        destination: str,
        *,
        shipped_at: dt.datetime,
        estimated: dt.date,
        last_scan_at: dt.datetime,
    ) -> ShipmentDraft:
        """A parcel past its estimated date and not scanned since ``last_scan_at``; 2-5 scans."""
        route = self._route(carrier, destination)
        stops = [
            (PICKED_UP, route.origin),
            (DEPARTED, route.origin),
            (ARRIVED, route.hub),
            (DEPARTED, route.hub),
        ]
        stops = stops[: self._rng.randint(2, 4)]
        if self._rng.random() < 0.5:
            stops.append((self._rng.choice(vocab.DELAY_DESCRIPTIONS), stops[-1][1]))
        shipment = self._shipment(carrier, "delayed", shipped_at, estimated, None)
        shipment.events = _events(stops, self._times(shipped_at, last_scan_at, len(stops)))
        return shipment

    def _shipment(
        self,
        carrier: str,
        status: str,
        shipped_at: dt.datetime | None,
        estimated: dt.date | None,
        delivered_at: dt.datetime | None,
    ) -> ShipmentDraft:
        number = self._tracking_number(carrier)
        return ShipmentDraft(
            carrier=carrier,
            tracking_number=number,
            tracking_url=CARRIERS[carrier].tracking_url.format(number=number),
            status=status,
            shipped_at=shipped_at,
            estimated_delivery=estimated,
            delivered_at=delivered_at,
        )

    def _tracking_number(self, carrier: str) -> str:
        """A number never issued before, in the carrier's usual format."""
        while True:
            number = self._format_number(carrier)
            if number not in self._issued:
                self._issued.add(number)
                return number

    def _format_number(self, carrier: str) -> str:
        rng = self._rng
        if carrier == "UPS":  # 1Z + 6-character shipper account + 2-digit service + 8 digits
            account = "".join(rng.choices(string.ascii_uppercase + string.digits, k=6))
            return f"1Z{account}{rng.choice(('01', '02', '03', '12'))}{_digits(rng, 8)}"
        if carrier == "FedEx":  # 12 digits
            return f"{rng.randint(1, 9)}{_digits(rng, 11)}"
        if carrier == "USPS":  # 22 digits, Priority Mail style
            return f"9400{_digits(rng, 18)}"
        return _digits(rng, 10)  # DHL Express waybill

    def _route(self, carrier: str, destination: str) -> Route:
        return Route(
            origin=self._rng.choice(vocab.FULFILMENT_CENTRES),
            hub=self._rng.choice(vocab.CARRIER_HUBS[carrier]),
            destination=destination,
        )

    def _times(self, start: dt.datetime, end: dt.datetime, count: int) -> list[dt.datetime]:
        """``count`` strictly increasing whole-second instants from ``start`` to ``end``.

        Distinct times keep the scan order stable when read back ordered by time.
        """
        start = start.replace(microsecond=0)
        if count == 1:
            return [start]
        span = max(int((end - start).total_seconds()), count)
        offsets = sorted(self._rng.sample(range(1, span), k=count - 2))
        return [start + dt.timedelta(seconds=s) for s in (0, *offsets, span)]


def _events(stops: list[tuple[str, str]], times: list[dt.datetime]) -> list[EventDraft]:
    return [
        EventDraft(at, location, description)
        for (description, location), at in zip(stops, times, strict=True)
    ]


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choices(string.digits, k=count))
