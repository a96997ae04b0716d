"""Returns policy and RMA creation, on a seeded demo shop in SQLite and in PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from aisle import returns
from aisle.database import session_scope
from aisle.demo import generate_shop
from aisle.demo.personas import (
    DEMO_ORDERS,
    DEMO_RETURN_RMA,
    OTHER_CUSTOMER_ORDER,
    RETURN_WINDOW_DAYS,
)
from aisle.models import Order, ProductVariant, Refund, ReturnRequest
from aisle.order_source import ItemView, OrderView, SqlOrderSource
from aisle.return_policy import (
    DEFAULT_POLICY_FILE,
    PolicyError,
    ReturnPolicy,
    check_item,
    check_order,
    load_return_policy,
)
from aisle.returns import ReturnRefused, create_return, exchange_options

TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 15, 30)
POLICY = ReturnPolicy(
    return_window_days=30,
    final_sale_returnable=False,
    resolutions=["refund", "exchange", "store_credit"],
    exchange_requires_stock=True,
    reasons=["Too small", "Too big", "Damaged", "Changed my mind", "Other"],
    instructions="Write {rma_number} on the parcel.",
)


@pytest.fixture
def shop(database_url: str) -> str:
    with session_scope(database_url) as session:
        generate_shop(session, seed=7, today=TODAY, n_products=60, n_customers=30, n_orders=80)
    return database_url


def order_of(url: str, number: str) -> OrderView:
    order = SqlOrderSource(url).get_order(number)
    assert order is not None
    return order


def jacket_and_socks(url: str) -> tuple[OrderView, ItemView, ItemView]:
    """Order 10001: a returnable jacket and final-sale socks."""
    order = order_of(url, DEMO_ORDERS["delivered"])
    [jacket] = [item for item in order.items if not item.final_sale]
    [socks] = [item for item in order.items if item.final_sale]
    return order, jacket, socks


def day(date: dt.date) -> str:
    return f"{date:%a} {date.day} {date:%b}"


def count(url: str, model: type[ReturnRequest] | type[Refund]) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def stock_of(url: str, sku: str) -> int:
    with session_scope(url) as session:
        variant = session.get(ProductVariant, sku)
        assert variant is not None
        return variant.stock


# The policy file


def test_the_shops_policy_file_loads() -> None:
    """The demo's stories (10001 returnable, its socks not) rely on these values."""
    policy = load_return_policy()
    assert policy.return_window_days == RETURN_WINDOW_DAYS
    assert not policy.final_sale_returnable
    assert "RMA-000042" in policy.instructions_for("RMA-000042")
    assert load_return_policy(DEFAULT_POLICY_FILE) == policy


def test_policy_that_is_not_yaml_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "return_policy.yml"
    broken.write_text("return_window_days: 30\nreasons: [too small\n")
    with pytest.raises(PolicyError, match=r"return_policy\.yml is not valid YAML"):
        load_return_policy(broken)


@pytest.mark.parametrize(
    "line, key, message",
    [
        ("return_window_days: thirty", "return_window_days", "valid integer"),
        ("return_window_days: -1", "return_window_days", "greater than or equal to 0"),
        ("final_sale_returnable: maybe", "final_sale_returnable", "valid boolean"),
        ("resolutions: [refund, repair]", "resolutions.1", "'refund', 'exchange'"),
        ("reasons: []", "reasons", "at least 1 item"),
        ("instructions: Pack it and send it.", "instructions", "{rma_number}"),
        ("instructions: 'Send {rma_number} to {address}'", "instructions", "no placeholder"),
        ("return_windows_days: 30", "return_windows_days", "unknown key"),
    ],
)
def test_bad_policy_value_names_the_file_and_the_key(
    tmp_path: Path, line: str, key: str, message: str
) -> None:
    policy_file = tmp_path / "return_policy.yml"
    document = yaml.safe_load(DEFAULT_POLICY_FILE.read_text())
    document.update(yaml.safe_load(line))
    policy_file.write_text(yaml.safe_dump(document))
    with pytest.raises(PolicyError) as raised:
        load_return_policy(policy_file)
    assert str(policy_file) in str(raised.value)
    assert f"{key}: " in str(raised.value)
    assert message in str(raised.value)


def test_missing_or_empty_policy_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"Cannot read the return policy .*nowhere\.yml"):
        load_return_policy(tmp_path / "nowhere.yml")
    empty = tmp_path / "empty.yml"
    empty.write_text("")
    with pytest.raises(PolicyError, match=r"empty\.yml must be a mapping"):
        load_return_policy(empty)


# Eligibility


def test_delivered_order_within_the_window_may_be_returned(shop: str) -> None:
    order, jacket, socks = jacket_and_socks(shop)
    assert order.delivered_at is not None
    last_day = order.delivered_at.date() + dt.timedelta(days=30)
    eligibility = check_item(order, jacket, 1, POLICY, TODAY)
    assert eligibility.allowed and eligibility.code == "ok"
    assert eligibility.explanation == f"This item can be returned until {day(last_day)}."
    by_id = {line.item.id: line for line in check_order(order, POLICY, TODAY)}
    assert by_id[jacket.id].allowed and by_id[jacket.id].returnable_quantity == 1
    assert not by_id[socks.id].allowed and by_id[socks.id].returnable_quantity == 0


def test_final_sale_item_is_refused_with_its_sentence(shop: str) -> None:
    order, _, socks = jacket_and_socks(shop)
    eligibility = check_item(order, socks, 1, POLICY, TODAY)
    assert not eligibility.allowed and eligibility.code == "final_sale"
    assert (
        eligibility.explanation
        == f"The {socks.title} was sold as final sale, so it can't be returned."
    )
    lenient = POLICY.model_copy(update={"final_sale_returnable": True})
    assert check_item(order, socks, 1, lenient, TODAY).allowed


def test_window_closes_after_its_last_day(shop: str) -> None:
    order, jacket, _ = jacket_and_socks(shop)
    assert order.delivered_at is not None
    delivered = order.delivered_at.date()
    last_day = delivered + dt.timedelta(days=30)
    assert check_item(order, jacket, 1, POLICY, last_day).allowed
    eligibility = check_item(order, jacket, 1, POLICY, last_day + dt.timedelta(days=1))
    assert eligibility.code == "window_closed"
    assert eligibility.explanation == (
        f"The 30-day return window for this order closed on {day(last_day)} "
        f"(it was delivered on {day(delivered)})."
    )
    next_year = check_item(order, jacket, 1, POLICY, delivered + dt.timedelta(days=400))
    assert f"{day(last_day)} {last_day.year}" in next_year.explanation


@pytest.mark.parametrize("story", ["in_transit", "processing", "partially_shipped"])
def test_order_not_delivered_yet_is_refused(shop: str, story: str) -> None:
    order = order_of(shop, DEMO_ORDERS[story])
    [first, *_] = order.items
    eligibility = check_item(order, first, 1, POLICY, TODAY)
    assert eligibility.code == "not_delivered"
    still_out = (
        "Part of this order is still on its way"
        if story == "partially_shipped"
        else "hasn't been delivered yet"
    )
    assert still_out in eligibility.explanation
    assert not any(line.allowed for line in check_order(order, POLICY, TODAY))


def test_cancelled_order_is_refused(shop: str) -> None:
    order = order_of(shop, DEMO_ORDERS["cancelled"])
    assert order.cancelled_at is not None
    eligibility = check_item(order, order.items[0], 1, POLICY, TODAY)
    assert eligibility.code == "cancelled"
    cancelled_on = day(order.cancelled_at.date())
    assert eligibility.explanation == (
        f"This order was cancelled on {cancelled_on}, so there is nothing to return."
    )


@pytest.mark.parametrize("number", [DEMO_ORDERS["returned"], OTHER_CUSTOMER_ORDER])
def test_items_already_on_a_return_are_refused(shop: str, number: str) -> None:
    order = order_of(shop, number)
    [request] = order.returns
    for line in check_order(order, POLICY, TODAY):
        assert line.eligibility.code == "already_returned"
        assert line.eligibility.explanation == (
            f"The {line.item.title} is already on a return ({request.rma_number})."
        )


def test_more_units_than_are_left_are_refused(shop: str) -> None:
    order, jacket, _ = jacket_and_socks(shop)
    eligibility = check_item(order, jacket, 2, POLICY, TODAY)
    assert eligibility.code == "quantity_exceeds"
    assert (
        eligibility.explanation
        == f"You bought 1 of the {jacket.title}, so you can return at most 1."
    )
    three = dataclasses.replace(jacket, quantity=3, returned_quantity=1)
    assert check_item(order, three, 2, POLICY, TODAY).allowed
    eligibility = check_item(order, three, 3, POLICY, TODAY)
    assert eligibility.code == "quantity_exceeds"
    assert eligibility.explanation.endswith(
        "and 1 is already on a return, so you can return at most 2 more."
    )
    with pytest.raises(ValueError):
        check_item(order, jacket, 0, POLICY, TODAY)


# Opening returns


@pytest.mark.parametrize(
    "resolution, method", [("refund", "original_payment"), ("store_credit", "store_credit")]
)
def test_return_writes_rma_items_and_pending_refund(
    shop: str, resolution: str, method: str
) -> None:
    _, jacket, _ = jacket_and_socks(shop)
    before = count(shop, ReturnRequest)
    with session_scope(shop) as session:
        opened = create_return(
            session,
            f"#{DEMO_ORDERS['delivered']} ",
            [(jacket.id, 1)],
            "too SMALL",
            resolution,
            POLICY,
            TODAY,
            now=NOW,
        )
    assert opened.rma_number == f"RMA-{before + 1:06d}"
    assert opened.instructions == f"Write {opened.rma_number} on the parcel."
    assert opened.status == "requested" and opened.reason == "Too small"
    assert opened.refund is not None and opened.refund.amount == jacket.unit_price
    with session_scope(shop) as session:
        request = session.scalar(
            select(ReturnRequest).where(ReturnRequest.rma_number == opened.rma_number)
        )
        assert request is not None
        assert (request.status, request.reason, request.resolution) == (
            "requested",
            "Too small",
            resolution,
        )
        assert request.created_at == NOW
        assert [(str(line.order_item_id), line.quantity) for line in request.items] == [
            (jacket.id, 1)
        ]
        refund = session.scalar(select(Refund).where(Refund.return_id == request.id))
        assert refund is not None
        assert (refund.status, refund.method, refund.paid_at) == ("pending", method, None)
        assert refund.amount == jacket.unit_price * 1 == Decimal(str(jacket.unit_price))
    order = order_of(shop, DEMO_ORDERS["delivered"])
    assert {item.id: item.returned_quantity for item in order.items}[jacket.id] == 1
    assert [refund.rma_number for refund in order.refunds] == [opened.rma_number]


def test_return_is_checked_again_from_the_database(shop: str) -> None:
    _, jacket, socks = jacket_and_socks(shop)
    number = DEMO_ORDERS["delivered"]
    before = (count(shop, ReturnRequest), count(shop, Refund))
    far_later = TODAY + dt.timedelta(days=90)
    with pytest.raises(ReturnRefused, match="return window"), session_scope(shop) as session:
        create_return(session, number, [(jacket.id, 1)], "Damaged", "refund", POLICY, far_later)
    assert (count(shop, ReturnRequest), count(shop, Refund)) == before
    with session_scope(shop) as session:
        create_return(
            session, number, [(jacket.id, 1)], "Damaged", "refund", POLICY, TODAY, now=NOW
        )
    before = (count(shop, ReturnRequest), count(shop, Refund))
    for items, code in [([(jacket.id, 1)], "already_returned"), ([(socks.id, 1)], "final_sale")]:
        with pytest.raises(ReturnRefused) as refused, session_scope(shop) as session:
            create_return(session, number, items, "Damaged", "refund", POLICY, TODAY)
        assert refused.value.code == code
    assert (count(shop, ReturnRequest), count(shop, Refund)) == before


def test_a_second_return_gets_the_next_number(shop: str) -> None:
    first_number, first_item = DEMO_ORDERS["delivered"], jacket_and_socks(shop)[1].id
    second_number, second_item = another_returnable_line(shop, exclude=first_number)
    with session_scope(shop) as session:
        first = create_return(
            session, first_number, [(first_item, 1)], "Other", "refund", POLICY, TODAY
        )
    with session_scope(shop) as session:
        second = create_return(
            session, second_number, [(second_item, 1)], "Other", "refund", POLICY, TODAY
        )
    assert (
        int(second.rma_number.removeprefix("RMA-"))
        == int(first.rma_number.removeprefix("RMA-")) + 1
    )


def test_a_taken_rma_number_is_retried_once(
    shop: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Two shoppers computing the same next number: the unique constraint makes one retry."""
    _, jacket, _ = jacket_and_socks(shop)
    expected = f"RMA-{count(shop, ReturnRequest) + 1:06d}"
    guesses = iter([DEMO_RETURN_RMA])
    real_next: Callable[..., str] = returns._next_rma_number
    monkeypatch.setattr(
        returns, "_next_rma_number", lambda session: next(guesses, None) or real_next(session)
    )
    with session_scope(shop) as session:
        opened = create_return(
            session, DEMO_ORDERS["delivered"], [(jacket.id, 1)], "Other", "refund", POLICY, TODAY
        )
    assert opened.rma_number == expected
    assert count(shop, ReturnRequest) == int(expected.removeprefix("RMA-"))
    assert "RMA number was taken" in caplog.text


@pytest.mark.parametrize("resolution", ["refund", "exchange"])
def test_a_rolled_back_return_leaves_nothing(shop: str, resolution: str) -> None:
    """Savepoints must stay nested on SQLite too: the caller's rollback undoes everything."""
    _, jacket, _ = jacket_and_socks(shop)
    sku = exchange_sku_with_stock(shop, jacket.id)
    wanted = sku if resolution == "exchange" else None
    before = (count(shop, ReturnRequest), count(shop, Refund), stock_of(shop, sku))
    with pytest.raises(RuntimeError), session_scope(shop) as session:
        number = DEMO_ORDERS["delivered"]
        create_return(
            session, number, [(jacket.id, 1)], "Too big", resolution, POLICY, TODAY, wanted
        )
        raise RuntimeError("the conversation failed afterwards")
    assert (count(shop, ReturnRequest), count(shop, Refund), stock_of(shop, sku)) == before


def test_wrong_arguments_are_errors_not_refusals(shop: str) -> None:
    _, jacket, _ = jacket_and_socks(shop)
    number = DEMO_ORDERS["delivered"]
    cases: list[tuple[type[Exception], Callable[..., object]]] = [
        (
            LookupError,
            lambda s: create_return(s, "99999", [("1", 1)], "Other", "refund", POLICY, TODAY),
        ),
        (
            LookupError,
            lambda s: create_return(s, number, [("999", 1)], "Other", "refund", POLICY, TODAY),
        ),
        (ValueError, lambda s: create_return(s, number, [], "Other", "refund", POLICY, TODAY)),
        (
            ValueError,
            lambda s: create_return(s, number, [(jacket.id, 0)], "Other", "refund", POLICY, TODAY),
        ),
        (
            ValueError,
            lambda s: create_return(s, number, [(jacket.id, 1)], "Bored", "refund", POLICY, TODAY),
        ),
        (
            ValueError,
            lambda s: create_return(
                s, number, [(jacket.id, 1)], "Other", "exchange", POLICY, TODAY
            ),
        ),
    ]
    for error, call in cases:
        with pytest.raises(error), session_scope(shop) as session:
            call(session)
    no_exchange = POLICY.model_copy(update={"resolutions": ("refund",)})
    with pytest.raises(ValueError, match="does not offer"), session_scope(shop) as session:
        create_return(
            session, number, [(jacket.id, 1)], "Other", "store_credit", no_exchange, TODAY
        )


# Exchanges


def test_exchange_options_are_other_in_stock_variants_of_the_product(shop: str) -> None:
    _, jacket, _ = jacket_and_socks(shop)
    with session_scope(shop) as session:
        options = exchange_options(session, jacket.id)
        bought = session.get(ProductVariant, jacket.sku)
        assert bought is not None
        siblings = {v.sku for v in bought.product.variants if v.sku != jacket.sku and v.stock > 0}
    assert options and {option.sku for option in options} == siblings
    assert all(option.stock > 0 for option in options)
    with pytest.raises(LookupError), session_scope(shop) as session:
        exchange_options(session, "not-an-id")


def test_exchange_reserves_the_wanted_variant(shop: str) -> None:
    _, jacket, _ = jacket_and_socks(shop)
    sku = exchange_sku_with_stock(shop, jacket.id)
    stock = stock_of(shop, sku)
    refunds = count(shop, Refund)
    with session_scope(shop) as session:
        opened = create_return(
            session,
            DEMO_ORDERS["delivered"],
            [(jacket.id, 1)],
            "Too big",
            "exchange",
            POLICY,
            TODAY,
            sku,
        )
    assert opened.resolution == "exchange" and opened.exchange_sku == sku and opened.refund is None
    assert stock_of(shop, sku) == stock - 1
    assert count(shop, Refund) == refunds


def test_exchange_refused_when_out_of_stock_or_another_product(shop: str) -> None:
    _, jacket, socks = jacket_and_socks(shop)
    sku = exchange_sku_with_stock(shop, jacket.id)
    with session_scope(shop) as session:
        variant = session.get(ProductVariant, sku)
        assert variant is not None
        variant.stock = 0
        colour, size = variant.colour, variant.size
    before = count(shop, ReturnRequest)
    cases = [
        (sku, "out_of_stock"),
        (socks.sku, "other_product"),
        ("NO-SUCH-SKU", "unknown_variant"),
    ]
    for wanted, code in cases:
        with pytest.raises(ReturnRefused) as refused, session_scope(shop) as session:
            create_return(
                session,
                DEMO_ORDERS["delivered"],
                [(jacket.id, 1)],
                "Too big",
                "exchange",
                POLICY,
                TODAY,
                wanted,
            )
        assert refused.value.code == code
    assert str(refused.value) == refused.value.explanation
    with pytest.raises(ReturnRefused) as refused, session_scope(shop) as session:
        create_return(
            session,
            DEMO_ORDERS["delivered"],
            [(jacket.id, 1)],
            "Too big",
            "exchange",
            POLICY,
            TODAY,
            sku,
        )
    assert refused.value.explanation == (
        f"Sorry, the {jacket.title} in {colour}, size {size} is out of stock, "
        "so we can't exchange for it right now."
    )
    assert count(shop, ReturnRequest) == before and stock_of(shop, sku) == 0


def exchange_sku_with_stock(url: str, order_item_id: str) -> str:
    with session_scope(url) as session:
        options = exchange_options(session, order_item_id)
    assert options, "the demo jacket should come in other sizes"
    return options[0].sku


def another_returnable_line(url: str, exclude: str) -> tuple[str, str]:
    """Some other order's line the policy accepts today (the demo has several)."""
    source = SqlOrderSource(url)
    with session_scope(url) as session:
        numbers = session.scalars(select(Order.number).where(Order.status == "delivered")).all()
    for number in numbers:
        order = source.get_order(number)
        if number == exclude or order is None:
            continue
        for line in check_order(order, POLICY, TODAY):
            if line.allowed:
                return number, line.item.id
    raise AssertionError("the demo shop has no other returnable order")
