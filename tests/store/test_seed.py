from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from store import models
from store.repository import PaymentsRepository
from store.seed import main, seed_demo_data
from store.views import failed_instalments, next_instalment, overdue_instalments
from tests.store.helpers import must


def _snapshot(repo: PaymentsRepository) -> list[Any]:
    return [
        (
            c,
            [
                (o.order_ref, o.status, o.total, o.plan, o.refunds, o.disputes, o.payments, o.items)
                for o in repo.list_orders(c.customer_ref)
            ],
        )
        for c in repo.list_customers()
    ]


def _row_counts(session_factory: sessionmaker) -> dict[str, int]:
    with session_factory() as session:
        return {
            model.__tablename__: session.execute(select(func.count()).select_from(model)).scalar()
            for model in (
                models.Customer,
                models.Merchant,
                models.Order,
                models.OrderItem,
                models.InstalmentPlan,
                models.Instalment,
                models.Payment,
                models.Refund,
                models.Dispute,
            )
        }


def test_seed_is_idempotent_and_deterministic(
    payments_repository, store_session_factory, seed_today
):
    before, counts = _snapshot(payments_repository), _row_counts(store_session_factory)
    seed_demo_data(store_session_factory, seed_today)
    assert _snapshot(payments_repository) == before
    assert _row_counts(store_session_factory) == counts


def test_seed_leaves_other_data_alone(payments_repository, store_session_factory, seed_today):
    with store_session_factory() as session:
        session.add(
            models.Customer(
                customer_ref="cus_imported",
                name="I",
                email="i@example.com",
                created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
            )
        )
        session.commit()
    seed_demo_data(store_session_factory, seed_today)
    assert payments_repository.get_customer("cus_imported") is not None


def test_dates_follow_the_reference_day(store_session_factory):
    repo = PaymentsRepository(store_session_factory)
    for today in (date(2026, 1, 31), date(2030, 7, 15)):
        seed_demo_data(store_session_factory, today)
        order = must(repo.get_order("cus_alice", "ORD-104233"))
        assert must(next_instalment(order, today)).due_date == today + timedelta(days=5)


def test_demo_covers_every_story(payments_repository, seed_today):
    orders = {
        o.order_ref: o
        for c in payments_repository.list_customers()
        for o in payments_repository.list_orders(c.customer_ref)
    }
    assert {o.status for o in orders.values()} == {
        "placed",
        "shipped",
        "delivered",
        "cancelled",
        "returned",
    }
    assert {o.currency for o in orders.values()} == {"EUR", "GBP", "USD"}
    bob = orders["ORD-104410"]
    assert [(i.sequence, i.late_fee) for i in overdue_instalments(bob)] == [(2, Decimal("6.00"))]
    carmen = orders["ORD-104512"]
    assert [i.failure_code for i in failed_instalments(carmen)] == ["insufficient_funds"]
    assert all(i.status == "paid" for i in orders["ORD-104301"].plan.instalments)
    refunds = {r.status for o in orders.values() for r in o.refunds}
    assert {"processing", "completed"} <= refunds
    assert [d.status for d in orders["ORD-104530"].disputes] == ["open"]
    assert orders["ORD-104377"].tracking_number
    for order in orders.values():
        if order.plan:
            assert sum(i.amount for i in order.plan.instalments) == order.plan.total == order.total
    nexts = [next_instalment(o, seed_today) for o in orders.values()]
    assert all(n.due_date > seed_today for n in nexts if n)


def test_cli_prints_customers_and_emails(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["--database-url", url, "--today", "2026-12-01"]) == 0
    assert main(["--database-url", url, "--today", "2026-12-01"]) == 0
    out = capsys.readouterr().out
    assert "reference day 2026-12-01" in out
    assert "cus_carmen   carmen@example.es    ORD-104512, ORD-104530" in out
