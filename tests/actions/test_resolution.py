"""Order resolution over the demo customers' own orders (actions/resolution.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from actions import topics
from actions.resolution import resolve
from store.mapping import order_view
from store.seed import build_demo_rows
from store.views import OrderView

TODAY = date(2026, 12, 3)


@pytest.fixture(scope="module")
def orders() -> dict[str, list[OrderView]]:
    rows = build_demo_rows(TODAY)
    return {
        c.customer_ref: sorted(
            (order_view(o) for o in c.orders), key=lambda o: o.placed_at, reverse=True
        )
        for c in rows
    }


def refs(result) -> list[str]:
    return [o.order_ref for o in result.orders]


@pytest.mark.parametrize(
    ("customer", "text", "expected"),
    [
        ("cus_alice", "has the tent arrived?", ["ORD-104233"]),
        ("cus_alice", "when's the next payment on the TENTS", ["ORD-104233"]),
        ("cus_alice", "where's my laptop", ["ORD-104301"]),
        ("cus_dan", "where's my telly", ["ORD-104601"]),
        ("cus_dan", "the television please", ["ORD-104601"]),
        ("cus_bob", "refund for my shoes", ["ORD-104455"]),
        ("cus_bob", "did the headphnes arrive", ["ORD-104410"]),  # typo: RapidFuzz
        ("cus_carmen", "the lamp", ["ORD-104512"]),  # "Lámpara de arco"
        ("cus_carmen", "my rug", ["ORD-104530"]),
        ("cus_alice", "the €182 one", ["ORD-104233"]),
        ("cus_bob", "my 249 pound order", ["ORD-104410"]),
        ("cus_dan", "the $599.94 order", ["ORD-104601"]),
        ("cus_alice", "my latest order", ["ORD-104377"]),
        ("cus_alice", "my oldest order", ["ORD-104301"]),
        ("cus_alice", "the order i placed on 30 November", ["ORD-104377"]),
        ("cus_dan", "my October order", ["ORD-104601"]),
        ("cus_alice", "ORD-104301 please", ["ORD-104301"]),
    ],
)
def test_one_order_is_named(orders, customer, text, expected):
    result = resolve(text, orders[customer], today=TODAY)
    assert refs(result) == expected
    assert result.one is not None


def test_merchant_with_two_orders_is_ambiguous(orders):
    result = resolve("where's my Northwind order?", orders["cus_alice"], today=TODAY)
    assert result.ambiguous
    assert set(refs(result)) == {"ORD-104233", "ORD-104377"}


def test_question_narrows_several_matches_to_the_orders_it_can_be_about(orders):
    # Bob has two Lumen orders; only one has a payment plan.
    result = resolve(
        "next payment on my Lumen order",
        orders["cus_bob"],
        today=TODAY,
        relevant=lambda o: topics.is_answerable(topics.NEXT_PAYMENT, o, TODAY),
    )
    assert refs(result) == ["ORD-104410"]


def test_item_and_merchant_together_intersect(orders):
    result = resolve("the Northwind tent", orders["cus_alice"], today=TODAY)
    assert refs(result) == ["ORD-104233"]


def test_something_the_customer_does_not_have_is_not_found(orders):
    result = resolve("has the sofa arrived?", orders["cus_alice"], today=TODAY)
    assert result.not_found
    assert result.one is None


def test_someone_elses_order_number_is_not_found(orders):
    result = resolve("where is ORD-104410", orders["cus_alice"], today=TODAY)
    assert result.not_found


def test_other_order_is_relative_to_the_current_one(orders):
    result = resolve(
        "and my other refund?",
        orders["cus_bob"],
        today=TODAY,
        current="ORD-104455",
        relevant=lambda o: topics.is_answerable(topics.REFUND_STATUS, o, TODAY),
    )
    assert refs(result) == ["ORD-104460"]


def test_nothing_named_keeps_the_conversation_order(orders):
    result = resolve("how much remains?", orders["cus_dan"], today=TODAY)
    assert not result.named
    assert result.orders == ()


def test_account_wide_and_anaphora_flags(orders):
    assert resolve("how much do I owe in total?", orders["cus_dan"], today=TODAY).all_orders
    assert resolve("when's the next payment on it", orders["cus_dan"], today=TODAY).anaphoric


def test_ordinary_words_name_no_order(orders):
    for text in (
        "I want to talk to a person",
        "I want to cancel",
        "when is my next payment?",
        "why was my payment declined",
    ):
        for customer_orders in orders.values():
            assert not resolve(text, customer_orders, today=TODAY).named, text


def test_button_payloads_are_left_to_the_slot_mapping(orders):
    result = resolve('/inform{"order_number":"ORD-104233"}', orders["cus_alice"], today=TODAY)
    assert not result.named


def test_dates_are_relative_to_today(orders):
    yesterday = resolve("the order from yesterday", orders["cus_dan"], today=TODAY)
    assert refs(yesterday) == ["ORD-104640"]
    ago = resolve("the one i ordered 3 days ago", orders["cus_alice"], today=TODAY)
    assert refs(ago) == ["ORD-104377"]
    assert TODAY - timedelta(days=3) == orders["cus_alice"][0].placed_at.date()
