from dataclasses import FrozenInstanceError, replace
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from store.views import (
    InstalmentView,
    OrderView,
    PlanView,
    failed_instalments,
    next_instalment,
    overdue_instalments,
    remaining_balance,
)
from tests.store.helpers import must

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def _inst(
    seq: int, due: date, status: str, amount: str = "25.00", fee: str = "0.00"
) -> InstalmentView:
    return InstalmentView(
        sequence=seq,
        due_date=due,
        amount=Decimal(amount),
        currency="EUR",
        status=status,
        paid_at=NOW if status == "paid" else None,
        failure_code="insufficient_funds" if status == "failed" else None,
        late_fee=Decimal(fee),
    )


def _order(*instalments: InstalmentView) -> OrderView:
    plan = (
        PlanView(
            kind="pay_in_4",
            currency="EUR",
            total=Decimal("100.00"),
            created_at=NOW,
            instalments=tuple(instalments),
        )
        if instalments
        else None
    )
    return OrderView(
        order_ref="ORD-1",
        customer_ref="c",
        merchant_ref="m",
        merchant_name="M",
        merchant_support_url=None,
        merchant_support_email=None,
        status="placed",
        shipping_status="not_shipped",
        carrier=None,
        tracking_number=None,
        shipped_at=None,
        delivered_at=None,
        currency="EUR",
        total=Decimal("100.00"),
        placed_at=NOW,
        items=(),
        plan=plan,
        payments=(),
        refunds=(),
        disputes=(),
    )


ORDER = _order(
    _inst(1, date(2026, 11, 1), "paid"),
    _inst(2, date(2026, 11, 15), "overdue", fee="5.00"),
    _inst(3, date(2026, 11, 29), "failed"),
    _inst(4, date(2026, 12, 13), "scheduled"),
)


@pytest.mark.parametrize(
    ("today", "expected_seq"),
    [(date(2026, 12, 1), 4), (date(2026, 12, 13), 4), (date(2026, 12, 14), None)],
)
def test_next_instalment_is_the_next_scheduled_one(today, expected_seq):
    found = next_instalment(ORDER, today)
    assert (found.sequence if found else None) == expected_seq


def test_next_instalment_picks_earliest_due_date():
    order = _order(
        _inst(1, date(2026, 12, 20), "scheduled"), _inst(2, date(2026, 12, 5), "scheduled")
    )
    assert must(next_instalment(order, date(2026, 12, 1))).sequence == 2


def test_remaining_balance_counts_unpaid_amounts_and_fees():
    assert remaining_balance(ORDER) == Decimal("80.00")


def test_orders_without_plan_owe_nothing():
    order = _order()
    assert remaining_balance(order) == Decimal("0.00")
    assert next_instalment(order, date(2026, 12, 1)) is None
    assert failed_instalments(order) == ()
    assert overdue_instalments(order) == ()


def test_failed_and_overdue_are_separate():
    assert [i.sequence for i in failed_instalments(ORDER)] == [3]
    assert [i.sequence for i in overdue_instalments(ORDER)] == [2]


def test_views_are_frozen():
    with pytest.raises(FrozenInstanceError):
        ORDER.status = "cancelled"  # type: ignore[misc]
    assert replace(ORDER, status="cancelled").status == "cancelled"
