from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import event

from store.db import create_engine_from_url, make_session_factory
from store.errors import InvalidDispute, OrderNotFound, StoreUnavailable
from store.repository import PaymentsRepository
from store.views import next_instalment
from tests.store.helpers import must

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)
CUSTOMERS = ("cus_alice", "cus_bob", "cus_carmen", "cus_dan")


def test_get_customer(payments_repository):
    alice = must(payments_repository.get_customer("cus_alice"))
    assert (alice.name, alice.email) == ("Alice Martin", "alice@example.com")
    assert payments_repository.get_customer("cus_nobody") is None


def test_list_customers_for_demo_page(payments_repository):
    assert [c.customer_ref for c in payments_repository.list_customers()] == list(CUSTOMERS)


def test_list_orders_only_returns_own_orders_newest_first(payments_repository):
    orders = payments_repository.list_orders("cus_alice")
    assert [o.order_ref for o in orders] == ["ORD-104377", "ORD-104233", "ORD-104301"]
    assert {o.customer_ref for o in orders} == {"cus_alice"}
    assert payments_repository.list_orders("cus_nobody") == []


def test_order_view_carries_everything(payments_repository, seed_today):
    order = must(payments_repository.get_order("cus_alice", "ORD-104233"))
    assert order.merchant_name == "Northwind Outdoor"
    assert (order.carrier, order.shipping_status) == ("DHL", "delivered")
    assert [i.sku for i in order.items] == ["NW-TENT-2P", "NW-STAKE-10"]
    plan = must(order.plan)
    assert plan.kind == "pay_in_4"
    assert [i.status for i in plan.instalments] == ["paid", "paid", "scheduled", "scheduled"]
    nxt = must(next_instalment(order, seed_today))
    assert (nxt.due_date, nxt.amount, nxt.currency) == (date(2026, 12, 6), Decimal("45.50"), "EUR")
    assert [p.instalment_sequence for p in order.payments] == [1, 2]


@pytest.mark.parametrize("owner", CUSTOMERS)
@pytest.mark.parametrize("other", CUSTOMERS)
def test_a_customer_never_sees_another_customers_orders(payments_repository, owner, other):
    """Whatever ref A types, get_order only returns A's own orders."""
    orders = payments_repository.list_orders(owner)
    assert orders
    for order in orders:
        expected = order.order_ref if other == owner else None
        for typed in (order.order_ref, order.order_ref.lower(), order.order_ref.split("-")[1]):
            found = payments_repository.get_order(other, typed)
            assert (found.order_ref if found else None) == expected


@pytest.mark.parametrize(
    ("order_ref", "email", "expected"),
    [
        ("ORD-104233", "alice@example.com", "ORD-104233"),
        ("ord 104233", "  ALICE@Example.COM ", "ORD-104233"),
        ("#104410", "bob@example.com", "ORD-104410"),
        ("ORD-104233", "bob@example.com", None),  # another customer's email
        ("ORD-104410", "alice@example.com", None),
        ("ORD-104233", "", None),
        ("ORD-104233", "alice@example", None),
        ("ORD-999999", "alice@example.com", None),
        ("not an order", "alice@example.com", None),
    ],
)
def test_anonymous_path_needs_ref_and_email_of_the_same_order(
    payments_repository, order_ref, email, expected
):
    found = payments_repository.get_order_by_email(order_ref, email)
    assert (found.order_ref if found else None) == expected


def test_list_orders_uses_a_fixed_number_of_queries(payments_repository, store_session_factory):
    """Eager loading: query count does not grow with the number of orders (no N+1)."""
    engine = store_session_factory.kw["bind"]
    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        payments_repository.list_orders("cus_carmen")  # 2 orders
        two = len(statements)
        statements.clear()
        payments_repository.list_orders("cus_dan")  # 3 orders
        three = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert two == three
    assert three <= 8


def test_open_dispute_for_authenticated_customer(payments_repository):
    dispute = payments_repository.open_dispute(
        "cus_alice", "ord 104377", "  Never arrived ", Decimal("89.99"), NOW
    )
    assert dispute.dispute_ref.startswith("DSP-")
    assert (dispute.order_ref, dispute.reason, dispute.status) == (
        "ORD-104377",
        "Never arrived",
        "open",
    )
    assert (dispute.amount, dispute.currency, dispute.opened_at) == (Decimal("89.99"), "USD", NOW)
    order = must(payments_repository.get_order("cus_alice", "ORD-104377"))
    assert [d.dispute_ref for d in order.disputes] == [dispute.dispute_ref]
    again = payments_repository.open_dispute("cus_alice", "ORD-104377", "retry", None, NOW)
    assert again.dispute_ref == dispute.dispute_ref  # no duplicate open disputes


def test_open_dispute_anonymous_needs_matching_email(payments_repository):
    dispute = payments_repository.open_dispute(
        None, "ORD-104233", "Charged twice", None, NOW, email="Alice@example.com"
    )
    assert dispute.amount is None
    with pytest.raises(OrderNotFound):
        payments_repository.open_dispute(
            None, "ORD-104233", "x", None, NOW, email="bob@example.com"
        )
    with pytest.raises(OrderNotFound):
        payments_repository.open_dispute(None, "ORD-104233", "x", None, NOW)


@pytest.mark.parametrize(
    ("customer", "order_ref", "reason", "amount", "now", "error"),
    [
        ("cus_bob", "ORD-104233", "x", None, NOW, OrderNotFound),
        ("cus_alice", "ORD-104233", "   ", None, NOW, InvalidDispute),
        ("cus_alice", "ORD-104233", "x", Decimal("182.01"), NOW, InvalidDispute),
        ("cus_alice", "ORD-104233", "x", Decimal("0"), NOW, InvalidDispute),
        ("cus_alice", "ORD-104233", "x", None, datetime(2026, 12, 1), InvalidDispute),
    ],
)
def test_open_dispute_refusals(
    payments_repository, customer, order_ref, reason, amount, now, error
):
    with pytest.raises(error):
        payments_repository.open_dispute(customer, order_ref, reason, amount, now)
    assert len(payments_repository.get_order("cus_alice", "ORD-104233").disputes) == 0


def test_unreachable_database_raises_store_unavailable(tmp_path, caplog):
    engine = create_engine_from_url(f"sqlite:///{tmp_path / 'empty.db'}")  # no schema
    repo = PaymentsRepository(make_session_factory(engine))
    with pytest.raises(StoreUnavailable) as info:
        repo.list_orders("cus_alice")
    assert info.value.operation == "list_orders"
    assert info.value.backend == "sqlite"
    assert "unavailable during list_orders" in caplog.text
    engine.dispose()


def test_postgres_server_down_raises_store_unavailable(tmp_path):
    url = f"postgresql+psycopg2://nobody@/x?host={tmp_path}&port=1"
    engine = create_engine_from_url(url)
    repo = PaymentsRepository(make_session_factory(engine))
    with pytest.raises(StoreUnavailable):
        repo.get_customer("cus_alice")
    engine.dispose()
