"""Which orders matter for which payment question (the ``requested_topic`` slot's values).

Used in three places that must agree: the form fills the order by itself when exactly one
order is relevant, offers the relevant orders as buttons when there are several, and the
actions pick the order the same way when the form was skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from store.views import (
    InstalmentView,
    OrderView,
    failed_instalments,
    next_instalment,
    overdue_instalments,
    remaining_balance,
)

ORDER_STATUS = "order_status"
NEXT_PAYMENT = "next_payment"
PAYMENT_SCHEDULE = "payment_schedule"
PAY_EARLY = "pay_early"
LATE_FEES = "late_fees"
REFUND_STATUS = "refund_status"
RETURN_ITEM = "return_item"
PAYMENT_DECLINED = "payment_declined"
DISPUTE_CHARGE = "dispute_charge"
CARD_ON_FILE = "card_on_file"
LAST_PAYMENT = "last_payment"

# Topics an authenticated customer gets answered across all their orders without choosing one.
ACCOUNT_WIDE_TOPICS = frozenset({NEXT_PAYMENT, LATE_FEES, PAY_EARLY, CARD_ON_FILE, LAST_PAYMENT})

_UNDELIVERED_ORDER_STATUSES = frozenset({"placed", "shipped"})

Predicate = Callable[[OrderView, date], bool]


def _in_progress(order: OrderView, today: date) -> bool:
    return order.status in _UNDELIVERED_ORDER_STATUSES


def _has_payments_due(order: OrderView, today: date) -> bool:
    return (
        next_instalment(order, today) is not None
        or bool(overdue_instalments(order))
        or bool(failed_instalments(order))
    )


def _has_plan(order: OrderView, today: date) -> bool:
    return order.plan is not None


def _has_balance(order: OrderView, today: date) -> bool:
    return remaining_balance(order) > Decimal("0")


def _has_late_fees(order: OrderView, today: date) -> bool:
    return bool(unpaid_with_fees(order))


def _has_refunds(order: OrderView, today: date) -> bool:
    return bool(order.refunds)


def _delivered(order: OrderView, today: date) -> bool:
    return order.status == "delivered"


def _has_declines(order: OrderView, today: date) -> bool:
    return bool(failed_instalments(order)) or any(p.status == "failed" for p in order.payments)


def _any(order: OrderView, today: date) -> bool:
    return True


def _has_payments(order: OrderView, today: date) -> bool:
    return bool(order.payments)


_RELEVANCE: dict[str, Predicate] = {
    ORDER_STATUS: _in_progress,
    NEXT_PAYMENT: _has_payments_due,
    PAYMENT_SCHEDULE: _has_plan,
    PAY_EARLY: _has_balance,
    LATE_FEES: _has_late_fees,
    REFUND_STATUS: _has_refunds,
    RETURN_ITEM: _delivered,
    PAYMENT_DECLINED: _has_declines,
    DISPUTE_CHARGE: _any,
    CARD_ON_FILE: _has_payments,
    LAST_PAYMENT: _has_payments,
}

# Which orders a question can be answered about at all (a payment question needs a plan, a
# refund question a refund): narrows several orders that match what the customer said, and
# drops a remembered order when the new question cannot be about it.
_ANSWERABLE: dict[str, Predicate] = {
    NEXT_PAYMENT: _has_plan,
    PAYMENT_SCHEDULE: _has_plan,
    PAY_EARLY: _has_plan,
    LATE_FEES: _has_plan,
    REFUND_STATUS: _has_refunds,
    PAYMENT_DECLINED: _has_declines,
    CARD_ON_FILE: _has_payments,
    LAST_PAYMENT: _has_payments,
}


def is_answerable(topic: str | None, order: OrderView, today: date) -> bool:
    """Whether the ``topic`` question can be about ``order`` at all (unknown topics: yes)."""
    predicate = _ANSWERABLE.get(topic or "", _any)
    return predicate(order, today)


def is_relevant(topic: str | None, order: OrderView, today: date) -> bool:
    """Whether ``order`` is one the customer is likely asking about for ``topic``.

    Unknown or missing topics treat every order as relevant, so the customer is asked.
    """
    predicate = _RELEVANCE.get(topic or "", _any)
    return predicate(order, today)


def relevant_orders(topic: str | None, orders: list[OrderView], today: date) -> list[OrderView]:
    """The orders relevant to ``topic``, in the given (newest first) order."""
    return [order for order in orders if is_relevant(topic, order, today)]


def unpaid_with_fees(order: OrderView) -> tuple[InstalmentView, ...]:
    """Overdue instalments, plus any other unpaid instalment that carries a late fee."""
    overdue = overdue_instalments(order)
    plan = order.plan
    others = (
        tuple(
            i
            for i in plan.instalments
            if i.status != "paid" and i.status != "overdue" and i.late_fee > 0
        )
        if plan is not None
        else ()
    )
    return overdue + others
