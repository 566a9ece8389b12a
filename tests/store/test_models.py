from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from store import models

UTC = timezone.utc
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _customer(ref: str = "cus_x", created_at: datetime = NOW) -> models.Customer:
    return models.Customer(customer_ref=ref, name="X", email="x@example.com", created_at=created_at)


def _order(customer: models.Customer, merchant: models.Merchant, **overrides: Any) -> models.Order:
    values = dict(
        order_ref="ORD-900001",
        customer=customer,
        merchant=merchant,
        status="placed",
        currency="EUR",
        total=Decimal("10.00"),
        placed_at=NOW,
    )
    values.update(overrides)
    return models.Order(**values)


@pytest.fixture
def session(store_session_factory):
    with store_session_factory() as session:
        yield session


@pytest.fixture
def parents(session):
    customer = _customer()
    merchant = models.Merchant(merchant_ref="mer_x", name="Shop")
    session.add_all([customer, merchant])
    session.commit()
    return customer, merchant


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"total": Decimal("-1.00")}, IntegrityError),
        ({"currency": "eur"}, IntegrityError),
        ({"currency": "EURO"}, (IntegrityError, StatementError)),
        ({"status": "lost"}, StatementError),
        ({"shipping_status": "teleported"}, StatementError),
        ({"total": 10.0}, StatementError),
        ({"total": Decimal("10.001")}, StatementError),
        ({"placed_at": datetime(2026, 12, 1, 12, 0)}, StatementError),
    ],
)
def test_order_constraints_reject_bad_values(session, parents, overrides, error):
    session.add(_order(*parents, **overrides))
    with pytest.raises(error):
        session.commit()


def test_check_constraints_hold_against_raw_sql(session, parents):
    """The database itself refuses bad statuses, not only the ORM."""
    session.add(_order(*parents))
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(text("UPDATE orders SET status = 'lost'"))


def test_instalment_constraints(session, parents):
    order = _order(*parents)
    order.plan = models.InstalmentPlan(
        kind="pay_in_4", currency="EUR", total=Decimal("10.00"), created_at=NOW
    )
    order.plan.instalments.append(
        models.Instalment(
            sequence=1, due_date=date(2026, 12, 1), amount=Decimal("2.50"), status="scheduled"
        )
    )
    order.plan.instalments.append(
        models.Instalment(
            sequence=1, due_date=date(2026, 12, 15), amount=Decimal("2.50"), status="scheduled"
        )
    )
    session.add(order)
    with pytest.raises(IntegrityError):  # duplicate sequence within a plan
        session.commit()


def test_foreign_keys_are_enforced(session):
    with pytest.raises(IntegrityError):
        session.execute(
            text(
                "INSERT INTO order_items (order_id, sku, description, quantity, unit_price) "
                "VALUES (999, 'X', 'x', 1, 1.00)"
            )
        )


def test_money_and_time_round_trip(store_session_factory, parents):
    cest = timezone(timedelta(hours=2))
    with store_session_factory() as session:
        customer, merchant = (session.merge(p) for p in parents)
        session.add(
            _order(
                customer,
                merchant,
                total=Decimal("9999999999.99"),
                placed_at=datetime(2026, 6, 1, 14, 30, tzinfo=cest),
            )
        )
        session.commit()
    with store_session_factory() as session:
        order = session.execute(select(models.Order)).scalar_one()
        assert order.total == Decimal("9999999999.99")
        assert isinstance(order.total, Decimal)
        assert order.placed_at == datetime(2026, 6, 1, 12, 30, tzinfo=UTC)
        assert order.placed_at.tzinfo == UTC
        assert order.shipping_status == "not_shipped"


def test_late_fee_defaults_to_zero(store_session_factory, parents):
    with store_session_factory() as session:
        customer, merchant = (session.merge(p) for p in parents)
        order = _order(customer, merchant)
        order.plan = models.InstalmentPlan(
            kind="pay_in_3", currency="EUR", total=Decimal("10.00"), created_at=NOW
        )
        order.plan.instalments.append(
            models.Instalment(
                sequence=1, due_date=date(2026, 12, 1), amount=Decimal("3.34"), status="paid"
            )
        )
        session.add(order)
        session.commit()
    with store_session_factory() as session:
        assert session.execute(select(models.Instalment.late_fee)).scalar_one() == Decimal("0.00")
