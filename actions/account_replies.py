"""Answers across a customer's orders, and about the card and payments behind a plan (issue 14).

Pure functions of store views like ``actions/replies.py``: the total still owed, what is due
this month, the card a plan is charged to (brand and last four only), the last payment that
went through, and the instalment after the one the customer was just told about.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from actions.replies import money, order_label
from common.formatting import format_date
from store.views import InstalmentView, OrderView, PaymentView, remaining_balance

_CARD = re.compile(
    r"(?i)^\s*(?P<brand>[a-z][a-z ]*?)?\s*(?:\bcard\s+)?ending(?:\s+in)?\s+(?P<last4>\d{4})\s*$"
)
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def card_parts(method: str) -> tuple[str, str] | None:
    """Brand (title case, "" when unknown) and last four digits of a payment method."""
    match = _CARD.match(method)
    if match is None:
        digits = re.findall(r"\d", method)
        return ("", "".join(digits[-4:])) if len(digits) >= 4 else None
    brand = (match.group("brand") or "").strip()
    brand = "" if brand.casefold() in ("", "card") else brand.title()
    return brand, match.group("last4")


def masked_card(method: str) -> str:
    """A payment method as brand and last four only ("Visa ending 4242")."""
    parts = card_parts(method)
    if parts is None:
        return "your card"
    brand, last4 = parts
    return f"{brand} ending {last4}" if brand else f"the card ending {last4}"


def latest_payment(order: OrderView) -> PaymentView | None:
    """The newest payment attempt on an order."""
    return max(order.payments, key=lambda p: p.created_at, default=None)


def card_on_file(orders: Sequence[OrderView]) -> str:
    """The card each plan (or order) is charged to, from its latest payment attempt."""
    by_card: dict[str, list[OrderView]] = {}
    for order in orders:
        payment = latest_payment(order)
        if payment is not None:
            by_card.setdefault(masked_card(payment.method), []).append(order)
    if not by_card:
        return "I can't see a card on any of your orders yet."
    lines = []
    for card, on in by_card.items():
        planned = [o for o in on if o.plan is not None]
        subject = planned or on
        refs = ", ".join(o.order_ref for o in subject)
        kind = "instalments for" if planned else "payment for"
        lines.append(f"The {kind} {refs} {'are' if planned else 'was'} charged to {card}.")
    lines.append(
        "To use a different card for your plans, go to Account > Payment methods in the app or "
        'on the website, add it and choose "Use for my plans". It applies from your next payment.'
    )
    return "\n".join(lines)


def card_on_file_for_order(order: OrderView) -> str:
    """The card one order is charged to."""
    payment = latest_payment(order)
    if payment is None:
        return f"There hasn't been a payment on {order_label(order)} yet, so no card is on it."
    card = masked_card(payment.method)
    what = "Its instalments are" if order.plan is not None else "It was"
    return (
        f"{_cap(order_label(order))}: {what} charged to {card}. To change the card for your "
        'plans, go to Account > Payment methods and choose "Use for my plans".'
    )


def succeeded_payments(orders: Sequence[OrderView]) -> list[tuple[PaymentView, OrderView]]:
    """Successful payments with their orders, newest first."""
    pairs = [(p, o) for o in orders for p in o.payments if p.status == "succeeded"]
    return sorted(pairs, key=lambda pair: pair[0].created_at, reverse=True)


def last_payment(orders: Sequence[OrderView]) -> str:
    """The last instalment collected, the last payment of any kind, and any later failure."""
    succeeded = succeeded_payments(orders)
    if not succeeded:
        return "I can't see a successful payment on your orders yet."
    lines = []
    instalments = [(p, o) for p, o in succeeded if p.instalment_sequence is not None]
    if instalments:
        payment, order = instalments[0]
        count = len(order.plan.instalments) if order.plan is not None else 0
        lines.append(
            f"Yes, your last instalment was collected: {money(payment.amount, payment.currency)} "
            f"on {format_date(payment.created_at.date())} for {order_label(order)} "
            f"(payment {payment.instalment_sequence} of {count})."
        )
    payment, order = succeeded[0]
    if not instalments or payment.instalment_sequence is None:
        lines.append(
            f"Your last successful payment was {money(payment.amount, payment.currency)} on "
            f"{format_date(payment.created_at.date())} for {order_label(order)}"
            + (", paid in full at checkout." if payment.instalment_sequence is None else ".")
        )
    newest = max(((p, o) for o in orders for p in o.payments), key=lambda pair: pair[0].created_at)
    if newest[0].status == "failed":
        failed, on = newest
        lines.append(
            f"Your most recent payment attempt, {money(failed.amount, failed.currency)} on "
            f"{format_date(failed.created_at.date())} for {order_label(on)}, didn't go through. "
            'Ask me "why was my payment declined?" for what to do.'
        )
    return "\n".join(lines)


def owed_across(orders: Sequence[OrderView]) -> str:
    """The total still owed over every order with a balance, per currency, with the breakdown."""
    owing = [(o, remaining_balance(o)) for o in orders if remaining_balance(o) > 0]
    if not owing:
        return "Good news: there's nothing left to pay on any of your orders."
    totals: dict[str, Decimal] = {}
    for order, balance in owing:
        totals[order.currency] = totals.get(order.currency, Decimal("0")) + balance
    total = " and ".join(money(t, c) for c, t in sorted(totals.items()))
    lines = [f"You owe {total} in total across your orders:"]
    lines.extend(
        f"- {money(balance, order.currency)} on {order_label(order)}" for order, balance in owing
    )
    lines.append(
        "You can pay any of them off early at any time in the app or on your account page, "
        "with no fee."
    )
    return "\n".join(lines)


def due_in_month(
    orders: Sequence[OrderView], today: date
) -> list[tuple[InstalmentView, OrderView]]:
    """Scheduled payments from ``today`` to the end of its month, soonest first."""
    due = [
        (i, o)
        for o in orders
        if o.plan is not None
        for i in o.plan.instalments
        if i.status == "scheduled"
        and i.due_date >= today
        and (i.due_date.year, i.due_date.month) == (today.year, today.month)
    ]
    due.sort(key=lambda pair: (pair[0].due_date, pair[1].order_ref))
    return due


def instalment_totals(due: Sequence[tuple[InstalmentView, OrderView]]) -> dict[str, Decimal]:
    """The instalments' amounts added up per currency."""
    totals: dict[str, Decimal] = {}
    for instalment, _ in due:
        totals[instalment.currency] = (
            totals.get(instalment.currency, Decimal("0")) + instalment.amount
        )
    return totals


def due_this_month(orders: Sequence[OrderView], today: date) -> str | None:
    """Every payment still due this calendar month; None when there are fewer than two."""
    due = due_in_month(orders, today)
    if len(due) < 2:
        return None
    totals = instalment_totals(due)
    items = "; ".join(
        f"{money(i.amount, i.currency)} on {format_date(i.due_date)} ({o.order_ref})"
        for i, o in due
    )
    total = " and ".join(money(t, c) for c, t in sorted(totals.items()))
    return f"Due in {_MONTH_NAMES[today.month - 1]}: {items}. That's {total} this month."


def following_instalment(order: OrderView, after: int) -> InstalmentView | None:
    """The first unpaid instalment of ``order`` after sequence ``after``."""
    if order.plan is None:
        return None
    later = [i for i in order.plan.instalments if i.sequence > after and i.status != "paid"]
    return min(later, key=lambda i: i.sequence, default=None)


def following_payment(order: OrderView, instalment: InstalmentView | None) -> str:
    """The payment after the one just told, or that there is none."""
    if instalment is None:
        return f"That was the last payment on {order_label(order)}. After it, the plan is paid off."
    count = len(order.plan.instalments) if order.plan is not None else instalment.sequence
    return (
        f"The payment after that is {money(instalment.amount, instalment.currency)} on "
        f"{format_date(instalment.due_date)} for {order_label(order)} "
        f"(payment {instalment.sequence} of {count})."
    )
