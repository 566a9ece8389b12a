"""The assistant's wording for payment answers, as pure functions of store views.

Kept apart from the actions so the words can be read, reviewed and tested in one place without
a tracker or a database. Money and dates always go through ``common.formatting`` so every reply
reads "€45.50 on 5 December 2026".

Fixed texts that a conversation designer edits live in ``domain.yml`` (the ``RESPONSE_*`` names
below); texts here are the ones that need data from the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal

from actions.topics import unpaid_with_fees
from common.formatting import format_date, format_money
from store.views import (
    InstalmentView,
    OrderView,
    RefundView,
    failed_instalments,
    next_instalment,
    overdue_instalments,
    remaining_balance,
)

# Responses in domain.yml.
RESPONSE_RECORDS_UNAVAILABLE = "utter_records_unavailable"
RESPONSE_ORDER_NUMBER_INVALID = "utter_order_number_invalid"
RESPONSE_EMAIL_INVALID = "utter_email_invalid"
RESPONSE_ORDER_NOT_FOUND = "utter_order_not_found"
RESPONSE_CHOOSE_ORDER = "utter_choose_order"
RESPONSE_ASK_ORDER_NUMBER = "utter_ask_order_number"
RESPONSE_LATE_FEES_POLICY = "utter_late_fees_policy"

# Collections policy the answers explain; the late-fee grace period matches
# utter_late_fees_policy in domain.yml.
RETRY_AFTER_DAYS = 3
LATE_FEE_GRACE_DAYS = 7

TALK_TO_PERSON_BUTTON: dict[str, str] = {"title": "Talk to a person", "payload": "/request_human"}

UNEXPECTED_ERROR = (
    "Sorry, something went wrong on my side while looking that up. Please try again in a "
    "moment, or I can bring in a person from our team to help."
)
NEED_ORDER_AND_EMAIL = (
    "To look that up I need your order number and the email address you used for the order. "
    "What's your order number?"
)
NO_ORDERS_ON_ACCOUNT = (
    "I can't see any orders on your account. If you ordered with a different account, please "
    "sign in with that one and ask me again."
)
NO_ORDER_MATCHES = (
    "I couldn't match that to any of the orders on your account, so I won't guess. "
    "Here are your orders:"
)
SEVERAL_ORDERS_MATCH = "More than one of your orders fits that. Which one do you mean?"
HOW_TO_PAY = "in the app or on your account page (Orders > {ref} > Pay now)"

_FAILURE_REASONS: dict[str, tuple[str, str]] = {
    "insufficient_funds": (
        "your bank declined it for insufficient funds",
        "Please make sure there's enough money in the account before we try again.",
    ),
    "card_expired": (
        "the card on file has expired",
        "Please add a new card in the app or on your account page under Payment methods.",
    ),
    "do_not_honor": (
        "your bank declined it without telling us why",
        "Your bank can tell you the reason, so it's worth giving them a quick call.",
    ),
    "authentication_failed": (
        "the payment wasn't approved in your bank's security check",
        "Paying in the app lets you approve the payment with your bank straight away.",
    ),
    "card_declined": (
        "your card was declined",
        "Please check with your bank, or add a different card under Payment methods.",
    ),
    "processing_error": (
        "of a technical problem on our side, not because of your card",
        "You don't need to do anything about your card.",
    ),
}
_UNKNOWN_FAILURE = (
    "the payment didn't go through",
    "Please check your card details, or add a different card under Payment methods.",
)

_STATUS_WORDS = {
    "scheduled": "due",
    "paid": "paid",
    "overdue": "overdue",
    "failed": "declined, not paid yet",
}

_PLAN_NAMES = {
    "pay_in_3": "pay in 3",
    "pay_in_4": "pay in 4",
    "monthly_3": "3 monthly payments",
    "monthly_6": "6 monthly payments",
    "monthly_12": "12 monthly payments",
    "monthly_24": "24 monthly payments",
}

_CHOOSE_TEXTS = {
    "refund_status": "Which order is the refund for?",
    "return_item": "Which order would you like to return something from?",
    "payment_declined": "Which order's payment was declined?",
    "dispute_charge": "Which order would you like to dispute?",
    "pay_early": "Which order would you like to pay off early?",
    "payment_schedule": "Which order's payment schedule would you like to see?",
}

# What to say to an authenticated customer when no order fits the topic at all.
NOTHING_RELEVANT: dict[str, str] = {
    "payment_schedule": (
        "None of your orders is on a payment plan: they were all paid in full at checkout."
    ),
    "pay_early": "Good news: there's nothing left to pay on any of your orders.",
    "refund_status": "I can't see any refunds on your orders at the moment.",
    "payment_declined": "I can't see any declined payments on your orders.",
}


def money(amount: Decimal, currency: str) -> str:
    """Money for people ("€45.50")."""
    return format_money(amount, currency)


def order_label(order: OrderView) -> str:
    """How replies name an order: "your Northwind Outdoor order ORD-104233"."""
    return f"your {order.merchant_name} order {order.order_ref}"


def order_button(order: OrderView) -> dict[str, str]:
    """A button that answers the form's question with this order."""
    payload = json.dumps({"order_number": order.order_ref}, separators=(",", ":"))
    title = f"{order.order_ref} · {order.merchant_name}"
    if order.items:
        first = order.items[0].description
        title += f" · {first}" + (" …" if len(order.items) > 1 else "")
    return {"title": title, "payload": f"/inform{payload}"}


def order_buttons(orders: Iterable[OrderView]) -> list[dict[str, str]]:
    """One button per order."""
    return [order_button(order) for order in orders]


def choose_order_text(topic: str | None) -> str:
    """The question asked when an authenticated customer has several candidate orders."""
    return _CHOOSE_TEXTS.get(topic or "", "Which order do you mean?")


def order_not_on_account(order_ref: str) -> str:
    """Unknown order for a signed-in customer.

    Identical whether the order does not exist or belongs to someone else, so nobody can probe
    other customers' order numbers.
    """
    return (
        f"I couldn't find order {order_ref} on your account. Could you check the number? "
        "It's in your order confirmation email."
    )


# --- order status ----------------------------------------------------------------------------


def describe_items(order: OrderView) -> str:
    """The items in one phrase: "Trailhead 2-person tent and Mini smart speaker (2)"."""
    names = [
        item.description if item.quantity == 1 else f"{item.description} ({item.quantity})"
        for item in order.items
    ]
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def order_status(order: OrderView) -> str:
    """Status, items, shipping state and tracking of one order."""
    label = order_label(order)
    items = describe_items(order)
    subject = f"{label[0].upper()}{label[1:]}" + (f" ({items})" if items else "")
    carrier = order.carrier or "the carrier"
    tracking = (
        f" The {carrier} tracking number is {order.tracking_number}."
        if order.tracking_number
        else ""
    )
    if order.status == "cancelled":
        return f"{subject} was cancelled, so it won't be sent."
    if order.status == "returned" or order.shipping_status == "returned":
        return f"{subject} was returned to {order.merchant_name}."
    if order.shipping_status == "delivered" or order.status == "delivered":
        when = (
            f" on {format_date(order.delivered_at.date())}"
            if order.delivered_at is not None
            else ""
        )
        return f"{subject} was delivered{when}." + tracking
    if order.shipping_status == "out_for_delivery":
        return f"{subject} is out for delivery with {carrier} today." + tracking
    if order.shipping_status == "in_transit":
        since = (
            f" since {format_date(order.shipped_at.date())}" if order.shipped_at is not None else ""
        )
        return f"{subject} is on its way with {carrier}{since}." + tracking
    if order.shipping_status == "label_created":
        return (
            f"{subject} is packed and has a shipping label; {carrier} hasn't collected it yet."
            + tracking
        )
    return (
        f"{subject} was placed on {format_date(order.placed_at.date())} and hasn't shipped yet. "
        f"{order.merchant_name} will send it soon."
    )


# --- instalments -----------------------------------------------------------------------------


def _instalment_amount(instalment: InstalmentView) -> str:
    return money(instalment.amount, instalment.currency)


def _late_fee_clause(instalment: InstalmentView) -> str:
    if instalment.late_fee > 0:
        total = money(instalment.amount + instalment.late_fee, instalment.currency)
        return (
            f", plus a late fee of {money(instalment.late_fee, instalment.currency)} "
            f"({total} in all to catch up)"
        )
    return ""


def missed_payment(order: OrderView, instalment: InstalmentView) -> str:
    """One overdue or declined instalment, said before anything upcoming."""
    state = "is overdue" if instalment.status == "overdue" else "was declined and is still unpaid"
    return (
        f"Your payment of {_instalment_amount(instalment)} that was due on "
        f"{format_date(instalment.due_date)} for {order_label(order)} {state}"
        f"{_late_fee_clause(instalment)}. You can pay it now "
        f"{HOW_TO_PAY.format(ref=order.order_ref)}."
    )


def upcoming_payment(order: OrderView, instalment: InstalmentView) -> str:
    """The contract sentence: "Your next payment is €45.50 on 5 December 2026 for ..."."""
    return (
        f"Your next payment is {_instalment_amount(instalment)} on "
        f"{format_date(instalment.due_date)} for {order_label(order)}."
    )


def missed_instalments(order: OrderView) -> list[InstalmentView]:
    """Overdue and declined instalments of an order, oldest first."""
    missed = list(overdue_instalments(order)) + list(failed_instalments(order))
    return sorted(missed, key=lambda i: (i.due_date, i.sequence))


def next_payment_for_order(order: OrderView, today: date) -> str:
    """Next payment of one order, missed ones first."""
    lines = [missed_payment(order, i) for i in missed_instalments(order)]
    upcoming = next_instalment(order, today)
    if upcoming is not None:
        lines.append(upcoming_payment(order, upcoming))
    elif not lines:
        lines.append(nothing_due(order))
    return "\n".join(lines)


def nothing_due(order: OrderView) -> str:
    """No payments left on an order: paid at checkout, or the plan is paid off."""
    if order.plan is None:
        return (
            f"{_capitalise(order_label(order))} was paid in full at checkout, so there are no "
            "payments due on it."
        )
    paid = [i for i in order.plan.instalments if i.paid_at is not None]
    last = max(paid, key=lambda i: i.paid_at or i.due_date, default=None)
    when = ""
    if last is not None and last.paid_at is not None:
        when = (
            f" The last payment, {_instalment_amount(last)}, was made on "
            f"{format_date(last.paid_at.date())}."
        )
    return (
        f"{_capitalise(order_label(order))} is fully paid off "
        f"({money(order.plan.total, order.plan.currency)}). There are no more payments due.{when}"
    )


def next_payment_across(orders: Sequence[OrderView], today: date) -> str:
    """Next payment over all of a customer's orders: missed ones first, then the soonest."""
    lines = [missed_payment(order, i) for order in orders for i in missed_instalments(order)]
    upcoming = [
        (instalment, order)
        for order in orders
        if (instalment := next_instalment(order, today)) is not None
    ]
    upcoming.sort(key=lambda pair: (pair[0].due_date, pair[0].sequence, pair[1].order_ref))
    if upcoming:
        instalment, order = upcoming[0]
        lines.append(upcoming_payment(order, instalment))
        others = len(upcoming) - 1
        if others:
            plural = "s" if others > 1 else ""
            lines.append(
                f"You also have payments coming up on {others} other order{plural}. "
                "Ask me for the payment schedule of an order to see every date."
            )
    elif not lines:
        lines.append("You don't have any payments coming up. Everything is paid.")
    return "\n".join(lines)


def payment_schedule(order: OrderView) -> str:
    """Every instalment of an order's plan with its status."""
    plan = order.plan
    if plan is None:
        return nothing_due(order)
    kind = _PLAN_NAMES.get(plan.kind, plan.kind.replace("_", " "))
    lines = [
        f"Here's the payment plan for {order_label(order)} "
        f"({kind}, {money(plan.total, plan.currency)} in total):"
    ]
    for instalment in plan.instalments:
        status = _STATUS_WORDS.get(instalment.status, instalment.status)
        fee = (
            f", late fee {money(instalment.late_fee, instalment.currency)}"
            if instalment.late_fee > 0 and instalment.status != "paid"
            else ""
        )
        lines.append(
            f"{instalment.sequence}. {_instalment_amount(instalment)} on "
            f"{format_date(instalment.due_date)}: {status}{fee}"
        )
    return "\n".join(lines)


def pay_early(order: OrderView) -> str:
    """Remaining balance and how to pay it off early."""
    balance = remaining_balance(order)
    if order.plan is None or balance <= 0:
        return nothing_due(order)
    unpaid = [i for i in order.plan.instalments if i.status != "paid"]
    fees = sum((i.late_fee for i in unpaid), Decimal("0.00"))
    count = len(unpaid)
    detail = f"{count} payment{'s' if count != 1 else ''}"
    if fees > 0:
        detail += f", including {money(fees, order.plan.currency)} in late fees"
    return (
        f"{_capitalise(order_label(order))} isn't paid off yet: you have "
        f"{money(balance, order.plan.currency)} left to pay ({detail}). You can pay it all off "
        "early, or just the next payment, at any time "
        f"{HOW_TO_PAY.format(ref=order.order_ref)}. There's no fee for paying early."
    )


def late_fees(orders: Sequence[OrderView]) -> str | None:
    """Overdue instalments with their fees, or None when nothing is overdue (say the policy)."""
    lines = []
    for order in orders:
        for instalment in unpaid_with_fees(order):
            lines.append(missed_payment(order, instalment))
    if not lines:
        return None
    lines.append(catch_up_total(orders))
    lines.append(
        "Paying a missed payment stops any further late fee on it. If you're finding it hard "
        "to pay, tell me and I'll put you in touch with our team."
    )
    return "\n".join(lines)


def catch_up_total(orders: Sequence[OrderView]) -> str:
    """What the customer pays now to be back on track: missed payments plus their fees."""
    totals: dict[str, Decimal] = {}
    for order in orders:
        for instalment in unpaid_with_fees(order):
            owed = instalment.amount + instalment.late_fee
            totals[instalment.currency] = totals.get(instalment.currency, Decimal("0")) + owed
    amounts = " and ".join(money(total, currency) for currency, total in sorted(totals.items()))
    return f"To get back on track, pay {amounts} now."


NO_LATE_FEES = "Good news: none of your payments are overdue, so you don't owe any late fees."


# --- refunds and returns ---------------------------------------------------------------------


def refund(order: OrderView, item: RefundView) -> str:
    """One refund: amount, state in plain words, and when to expect it."""
    amount = money(item.amount, item.currency)
    what = f"Your refund of {amount} for {order_label(order)} (ref {item.refund_ref})"
    if item.status == "completed":
        when = (
            f" on {format_date(item.completed_at.date())}" if item.completed_at is not None else ""
        )
        return (
            f"{what} was paid back{when}. Banks can take a few working days to show it on "
            "your statement."
        )
    expected = (
        f" You should have it by {format_date(item.expected_by)}."
        if item.expected_by is not None
        else ""
    )
    if item.status == "processing":
        return f"{what} is being processed.{expected}"
    if item.status == "requested":
        return (
            f"{what} has been requested and is waiting for {order.merchant_name} to confirm "
            f"it.{expected}"
        )
    if item.status == "rejected":
        return (
            f"{what} wasn't approved by {order.merchant_name}. If you think that's wrong, I can "
            "open a dispute for you or bring in a person from our team."
        )
    return f"{what} has the status {item.status}.{expected}"


def refund_status(order: OrderView) -> str:
    """All refunds on an order, or a pointer to returns when there are none."""
    if not order.refunds:
        return (
            f"I can't see a refund on {order_label(order)}. If you've sent something back, "
            f"the refund starts once {order.merchant_name} has received it. Ask me how to "
            "return an item if you haven't started a return yet."
        )
    return "\n".join(refund(order, item) for item in order.refunds)


def return_item(order: OrderView) -> str:
    """How to return something from this order's merchant, and refunds already under way."""
    merchant = order.merchant_name
    contacts = [c for c in (order.merchant_support_url, order.merchant_support_email) if c]
    how = (
        f"start the return with {merchant} at " + " or ".join(contacts)
        if contacts
        else f"contact {merchant} to start the return"
    )
    lines: list[str] = []
    if order.status == "cancelled":
        lines.append(
            f"{_capitalise(order_label(order))} was cancelled, so there's nothing to send back."
        )
    elif order.status == "returned":
        lines.append(f"{_capitalise(order_label(order))} is already marked as returned.")
    elif order.status != "delivered":
        lines.append(
            f"{_capitalise(order_label(order))} hasn't been delivered yet. Once it arrives, {how}."
        )
    else:
        lines.append(
            f"To send something back from {order_label(order)}, {how}. Once {merchant} has "
            "received it, we refund you and adjust your remaining payments."
        )
    lines.extend(refund(order, item) for item in order.refunds)
    return "\n".join(lines)


# --- declined payments -----------------------------------------------------------------------


def failure_reason(code: str | None) -> tuple[str, str]:
    """The failure code in plain words, and what the customer can do about it."""
    return _FAILURE_REASONS.get(code or "", _UNKNOWN_FAILURE)


def declined_payment(order: OrderView, instalment: InstalmentView, today: date) -> str:
    """A failed instalment: why, what to do, when we retry and when a fee could apply."""
    reason, advice = failure_reason(instalment.failure_code)
    retry_on = instalment.due_date + timedelta(days=RETRY_AFTER_DAYS)
    fee_from = instalment.due_date + timedelta(days=LATE_FEE_GRACE_DAYS)
    pay_now = f"You can also pay it yourself right now {HOW_TO_PAY.format(ref=order.order_ref)}."
    if retry_on > today:
        retry = f"We'll try the payment again automatically on {format_date(retry_on)}."
    else:
        retry = "Our automatic retry has already happened, so please pay it yourself."
    if instalment.late_fee > 0:
        fee = f" A late fee of {money(instalment.late_fee, instalment.currency)} has been added."
    elif fee_from > today:
        fee = f" If it's still unpaid on {format_date(fee_from)}, a late fee may be added."
    else:
        fee = ""
    return (
        f"Your payment of {_instalment_amount(instalment)} due on "
        f"{format_date(instalment.due_date)} for {order_label(order)} didn't go through: "
        f"{reason}. {advice} {retry} {pay_now}{fee}"
    )


def declined_payments(order: OrderView, today: date) -> str:
    """Every declined instalment of an order, or a reassurance when there is none."""
    failed = failed_instalments(order)
    if not failed:
        return f"I can't see any declined payment on {order_label(order)}."
    return "\n".join(declined_payment(order, instalment, today) for instalment in failed)


# --- disputes --------------------------------------------------------------------------------


def dispute_opened(order: OrderView, dispute_ref: str, already_open: bool) -> str:
    """Confirmation of a (new or existing) dispute before the disputes team takes over."""
    if already_open:
        return (
            f"There's already an open dispute on {order_label(order)} (ref {dispute_ref}). "
            "I'm passing you to our disputes team so they can update you."
        )
    return (
        f"I'm sorry you've had trouble with this purchase. I've opened a dispute on "
        f"{order_label(order)} (ref {dispute_ref}) and I'm passing it to our disputes team, "
        f"who will look into it with {order.merchant_name}."
    )


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]
