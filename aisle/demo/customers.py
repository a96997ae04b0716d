"""Customers of the demo shop, with the addresses their orders ship to.

The ``customers`` table keeps only a postcode; the full address stays in memory
(``CustomerDraft.address``) so the order generator can print it on orders and
route parcels to the right city.
"""

from __future__ import annotations

import logging
import random
import re
import unicodedata

from aisle.demo import vocabulary as vocab
from aisle.demo.drafts import Address, CustomerDraft
from aisle.demo.personas import PERSONA_CUSTOMERS, PersonaCustomer
from aisle.demo.timeline import Timeline

logger = logging.getLogger(__name__)


def build_customers(
    rng: random.Random, timeline: Timeline, n_customers: int
) -> list[CustomerDraft]:
    """The persona customers first, then generated ones up to ``n_customers``."""
    customers = [_persona(timeline, persona) for persona in PERSONA_CUSTOMERS]
    emails = {customer.email for customer in customers}
    while len(customers) < n_customers:
        name = random_name(rng)
        email = _unique_email(rng, name, emails)
        address = random_address(rng)
        created_at = timeline.ago(rng.uniform(200, 1100))
        customers.append(CustomerDraft(email, name, address.postcode, created_at, address))
    logger.info("Generated %d customers", len(customers))
    return customers


def random_name(rng: random.Random) -> str:
    """A first and last name, e.g. "María López"."""
    return f"{rng.choice(vocab.FIRST_NAMES)} {rng.choice(vocab.LAST_NAMES)}"


def random_address(rng: random.Random) -> Address:
    """A plausible address in one of the vocabulary's cities, ZIP code matching the city."""
    city, state, zip_prefix = rng.choice(vocab.CITIES)
    name, suffix = rng.choice(vocab.STREET_NAMES), rng.choice(vocab.STREET_SUFFIXES)
    street = f"{rng.randint(10, 9899)} {name} {suffix}"
    if rng.random() < 0.25:
        street += f", Apt {rng.randint(1, 40)}"
    return Address(street, city, state, f"{zip_prefix}{rng.randint(1, 99):02d}")


def _persona(timeline: Timeline, persona: PersonaCustomer) -> CustomerDraft:
    address = Address(persona.street, persona.city, persona.state, persona.postcode)
    return CustomerDraft(persona.email, persona.name, persona.postcode, timeline.ago(400), address)


def _unique_email(rng: random.Random, name: str, taken: set[str]) -> str:
    """A lower-case address on an ``example.*`` domain that nobody else has."""
    first, last = (_ascii_slug(part) for part in name.split(" ", 1))
    domain = rng.choice(vocab.EMAIL_DOMAINS)
    number = rng.randint(1, 99)
    candidates = (
        f"{first}.{last}{number}",
        f"{first}.{last}",
        f"{first}{last}",
        f"{first[0]}{last}{number}",
        f"{first}_{last}{number}",
    )
    local = rng.choice(candidates)
    email = f"{local}@{domain}"
    suffix = 2
    while email in taken:
        email = f"{local}{suffix}@{domain}"
        suffix += 1
    taken.add(email)
    return email


def _ascii_slug(text: str) -> str:
    """Plain lower-case ASCII for emails: "Hernández" -> "hernandez", "Hye-jin" -> "hyejin"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())
