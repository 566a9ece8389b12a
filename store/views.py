"""Read-only views of payments data handed to actions and the hub, plus pure helpers.

Views are frozen dataclasses, never ORM objects, so no caller can lazy-load another customer's
rows or write by accident, and they can be passed across threads freely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True)
class CustomerView:
    """Who the customer is (for greetings and the demo page)."""

    customer_ref: str
    name: str
    email: str
    phone: str | None
    created_at: datetime


@dataclass(frozen=True)
class ItemView:
    """One order line; ``unit_price`` is in the order's currency."""

    sku: str
    description: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class InstalmentView:
    """One payment of a plan; ``currency`` is copied from the plan for convenient formatting."""

    sequence: int
    due_date: date
    amount: Decimal
    currency: str
    status: str
    paid_at: datetime | None
    failure_code: str | None
    late_fee: Decimal


@dataclass(frozen=True)
class PlanView:
    """The instalment plan of an order, instalments ordered by sequence."""

    kind: str
    currency: str
    total: Decimal
    created_at: datetime
    instalments: tuple[InstalmentView, ...]


@dataclass(frozen=True)
class PaymentView:
    """A charge or charge attempt; ``instalment_sequence`` links it to the plan, if any."""

    amount: Decimal
    currency: str
    method: str
    status: str
    failure_code: str | None
    created_at: datetime
    instalment_sequence: int | None


@dataclass(frozen=True)
class RefundView:
    """A refund and the date we told the customer to expect it by."""

    refund_ref: str
    amount: Decimal
    currency: str
    status: str
    reason: str | None
    requested_at: datetime
    expected_by: date | None
    completed_at: datetime | None


@dataclass(frozen=True)
class DisputeView:
    """A dispute on an order; ``amount`` None means the whole order is disputed."""

    dispute_ref: str
    order_ref: str
    reason: str
    amount: Decimal | None
    currency: str
    status: str
    opened_at: datetime


@dataclass(frozen=True)
class OrderView:
    """Everything the assistant may say about one order of one customer."""

    order_ref: str
    customer_ref: str
    merchant_ref: str
    merchant_name: str
    merchant_support_url: str | None
    merchant_support_email: str | None
    status: str
    shipping_status: str
    carrier: str | None
    tracking_number: str | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    currency: str
    total: Decimal
    placed_at: datetime
    items: tuple[ItemView, ...]
    plan: PlanView | None
    payments: tuple[PaymentView, ...]
    refunds: tuple[RefundView, ...]
    disputes: tuple[DisputeView, ...]


def _instalments(order: OrderView) -> tuple[InstalmentView, ...]:
    return order.plan.instalments if order.plan is not None else ()


def next_instalment(order: OrderView, today: date) -> InstalmentView | None:
    """The earliest ``scheduled`` instalment due on or after ``today``, or None.

    Overdue and failed instalments are not "next": they are reported by
    :func:`overdue_instalments` and :func:`failed_instalments`, which need different replies.
    """
    upcoming = [i for i in _instalments(order) if i.status == "scheduled" and i.due_date >= today]
    return min(upcoming, key=lambda i: (i.due_date, i.sequence), default=None)


def remaining_balance(order: OrderView) -> Decimal:
    """What the customer still owes on the plan: unpaid instalments plus their late fees.

    Orders without a plan were paid at checkout, so their balance is zero.
    """
    owed = sum(
        (i.amount + i.late_fee for i in _instalments(order) if i.status != "paid"),
        Decimal("0.00"),
    )
    return owed.quantize(Decimal("0.01"))


def failed_instalments(order: OrderView) -> tuple[InstalmentView, ...]:
    """Instalments whose last charge attempt failed (the "payment declined" flow)."""
    return tuple(i for i in _instalments(order) if i.status == "failed")


def overdue_instalments(order: OrderView) -> tuple[InstalmentView, ...]:
    """Instalments past due and unpaid (the "late fees" flow)."""
    return tuple(i for i in _instalments(order) if i.status == "overdue")
