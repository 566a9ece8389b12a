"""Each payments action's answers for signed-in and anonymous customers, from the demo data.

The demo data is seeded relative to 1 December 2026 (``seed_today``), so every date below is
fixed; the amounts are the seeded ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from sqlalchemy import select

from actions.declines import ActionPaymentDeclined
from actions.disputes import ActionOpenDispute
from actions.instalments import (
    ActionLateFees,
    ActionNextPayment,
    ActionPayEarly,
    ActionPaymentSchedule,
)
from actions.orders import ActionOrderStatus
from actions.refunds import ActionRefundStatus, ActionReturnItem
from store import models
from tests.actions.conftest import make_tracker, run_action, texts, user_event


def signed_in(token_for: Callable[[str], str], customer_ref: str, **slots: Any) -> Tracker:
    return make_tracker(metadata={"customer_token": token_for(customer_ref)}, slots=slots)


async def test_next_payment_for_one_order(services, token_for):
    tracker = signed_in(token_for, "cus_alice", order_number="ORD-104233")
    messages, events = await run_action(ActionNextPayment(services), tracker)
    assert texts(messages) == [
        "Your next payment is €45.50 on 6 December 2026 for your Northwind Outdoor order "
        "ORD-104233."
    ]
    # Remembered for "and the one after that?".
    assert events == [
        {"event": "slot", "timestamp": None, "name": "instalment_ref", "value": "ORD-104233#3"}
    ]


async def test_next_payment_across_orders_picks_the_soonest(services, token_for):
    tracker = signed_in(token_for, "cus_dan")
    messages, _ = await run_action(ActionNextPayment(services), tracker)
    assert texts(messages) == [
        "Your next payment is $99.99 on 13 December 2026 for your Lumen Electronics order "
        "ORD-104601.\nYou also have payments coming up on 1 other order. Ask me for the payment "
        "schedule of an order to see every date.\nDue in December: $99.99 on 13 December 2026 "
        "(ORD-104601); $9.99 on 14 December 2026 (ORD-104640); $9.99 on 28 December 2026 "
        "(ORD-104640). That's $119.97 this month."
    ]


async def test_next_payment_mentions_overdue_first(services, token_for):
    messages, _ = await run_action(ActionNextPayment(services), signed_in(token_for, "cus_bob"))
    (text,) = texts(messages)
    overdue, upcoming, this_month = text.split("\n")
    assert this_month.startswith("Due in December: £62.25 on 9 December 2026 (ORD-104410)")
    assert overdue == (
        "Your payment of £62.25 that was due on 25 November 2026 for your Lumen Electronics "
        "order ORD-104410 is overdue, plus a late fee of £6.00 (£68.25 in all to catch up). "
        "You can pay it now in the app or on your account page (Orders > ORD-104410 > Pay now)."
    )
    assert upcoming == (
        "Your next payment is £62.25 on 9 December 2026 for your Lumen Electronics order "
        "ORD-104410."
    )


async def test_next_payment_mentions_declined_first(services, token_for):
    messages, _ = await run_action(ActionNextPayment(services), signed_in(token_for, "cus_carmen"))
    (text,) = texts(messages)
    assert text.startswith(
        "Your payment of €100.00 that was due on 29 November 2026 for your Casa Verde Hogar "
        "order ORD-104512 was declined and is still unpaid."
    )
    assert text.endswith(
        "Your next payment is €100.00 on 29 December 2026 for your Casa Verde Hogar order "
        "ORD-104512."
    )


async def test_next_payment_on_an_order_paid_at_checkout(services, token_for):
    tracker = signed_in(token_for, "cus_alice", order_number="ord 104377")
    messages, _ = await run_action(ActionNextPayment(services), tracker)
    assert texts(messages) == [
        "Your Northwind Outdoor order ORD-104377 was paid in full at checkout, so there are no "
        "payments due on it."
    ]


async def test_payment_schedule_lists_every_instalment(services, token_for):
    tracker = signed_in(token_for, "cus_bob", order_number="#104410")
    messages, _ = await run_action(ActionPaymentSchedule(services), tracker)
    assert texts(messages) == [
        "Here's the payment plan for your Lumen Electronics order ORD-104410 (pay in 4, "
        "£249.00 in total):\n"
        "1. £62.25 on 11 November 2026: paid\n"
        "2. £62.25 on 25 November 2026: overdue, late fee £6.00\n"
        "3. £62.25 on 9 December 2026: due\n"
        "4. £62.25 on 23 December 2026: due"
    ]


async def test_pay_early_gives_balance_and_how(services, token_for):
    tracker = signed_in(token_for, "cus_bob", order_number="ORD-104410")
    messages, _ = await run_action(ActionPayEarly(services), tracker)
    assert texts(messages) == [
        "Your Lumen Electronics order ORD-104410 isn't paid off yet: you have £192.75 left to "
        "pay (3 payments, including £6.00 in late fees). You can pay it all off early, or just "
        "the next payment, at any time in the app or on your account page "
        "(Orders > ORD-104410 > Pay now). There's no fee for paying early."
    ]


async def test_late_fees_lists_overdue_payments(services, token_for):
    messages, _ = await run_action(ActionLateFees(services), signed_in(token_for, "cus_bob"))
    (text,) = texts(messages)
    assert "£62.25 that was due on 25 November 2026" in text
    assert "late fee of £6.00" in text


async def test_late_fees_without_overdue_payments_explains_the_policy(services, token_for):
    messages, _ = await run_action(ActionLateFees(services), signed_in(token_for, "cus_alice"))
    assert texts(messages) == [
        "Good news: none of your payments are overdue, so you don't owe any late fees.",
        "utter_late_fees_policy",
    ]


async def test_order_status_in_transit(services, token_for):
    tracker = signed_in(token_for, "cus_alice", order_number="ORD-104377")
    messages, _ = await run_action(ActionOrderStatus(services), tracker)
    assert texts(messages) == [
        "Your Northwind Outdoor order ORD-104377 (Ridge rain jacket, size M) is on its way with "
        "UPS since 29 November 2026. The UPS tracking number is 1Z999AA10123456784."
    ]


async def test_order_status_delivered(services, token_for):
    tracker = signed_in(token_for, "cus_alice", order_number="ORD-104233")
    messages, _ = await run_action(ActionOrderStatus(services), tracker)
    assert texts(messages) == [
        "Your Northwind Outdoor order ORD-104233 (Trailhead 2-person tent and Aluminium tent "
        "stakes (10)) was delivered on 13 November 2026. The DHL tracking number is "
        "JD014600006281234567."
    ]


async def test_order_status_picks_the_only_order_in_progress(services, token_for):
    messages, _ = await run_action(ActionOrderStatus(services), signed_in(token_for, "cus_alice"))
    assert "ORD-104377" in texts(messages)[0]


async def test_refund_status_processing(services, token_for):
    tracker = signed_in(token_for, "cus_bob", order_number="ORD-104455")
    messages, _ = await run_action(ActionRefundStatus(services), tracker)
    assert texts(messages) == [
        "Your refund of £89.99 for your Northwind Outdoor order ORD-104455 (ref RF-20455) is "
        "being processed. You should have it by 6 December 2026."
    ]


async def test_refund_status_completed(services, token_for):
    tracker = signed_in(token_for, "cus_bob", order_number="ORD-104460")
    messages, _ = await run_action(ActionRefundStatus(services), tracker)
    assert texts(messages) == [
        "Your refund of £120.00 for your Lumen Electronics order ORD-104460 (ref RF-20460) was "
        "paid back on 25 November 2026. Banks can take a few working days to show it on your "
        "statement."
    ]


async def test_refund_status_with_several_candidates_offers_buttons(services, token_for):
    messages, _ = await run_action(ActionRefundStatus(services), signed_in(token_for, "cus_bob"))
    (message,) = messages
    assert message["text"] == "Which order is the refund for?"
    assert message["buttons"] == [  # newest order first
        {
            "title": "ORD-104460 · Lumen Electronics · Mini smart speaker",
            "payload": '/inform{"order_number":"ORD-104460"}',
        },
        {
            "title": "ORD-104455 · Northwind Outdoor · Summit hiking boots, EU 43",
            "payload": '/inform{"order_number":"ORD-104455"}',
        },
    ]


async def test_refund_status_without_any_refund(services, token_for):
    messages, _ = await run_action(ActionRefundStatus(services), signed_in(token_for, "cus_alice"))
    assert texts(messages) == ["I can't see any refunds on your orders at the moment."]


async def test_return_item_explains_how_for_that_merchant(services, token_for):
    tracker = signed_in(token_for, "cus_alice", order_number="ORD-104233")
    messages, _ = await run_action(ActionReturnItem(services), tracker)
    assert texts(messages) == [
        "To send something back from your Northwind Outdoor order ORD-104233, start the return "
        "with Northwind Outdoor at https://northwind.example/help or help@northwind.example. "
        "Once Northwind Outdoor has received it, we refund you and adjust your remaining "
        "payments."
    ]


async def test_return_item_mentions_the_refund_under_way(services, token_for):
    tracker = signed_in(token_for, "cus_bob", order_number="ORD-104455")
    messages, _ = await run_action(ActionReturnItem(services), tracker)
    (text,) = texts(messages)
    assert text.startswith("Your Northwind Outdoor order ORD-104455 is already marked as returned.")
    assert "refund of £89.99" in text


async def test_payment_declined_explains_reason_and_retry(services, token_for):
    messages, _ = await run_action(
        ActionPaymentDeclined(services), signed_in(token_for, "cus_carmen")
    )
    assert texts(messages) == [
        "Your payment of €100.00 due on 29 November 2026 for your Casa Verde Hogar order "
        "ORD-104512 didn't go through: your bank declined it for insufficient funds. Please make "
        "sure there's enough money in the account before we try again. We'll try the payment "
        "again automatically on 2 December 2026. You can also pay it yourself right now in the "
        "app or on your account page (Orders > ORD-104512 > Pay now). If it's still unpaid on "
        "6 December 2026, a late fee may be added."
    ]


async def test_payment_declined_when_nothing_failed(services, token_for):
    tracker = signed_in(token_for, "cus_alice", order_number="ORD-104233")
    messages, _ = await run_action(ActionPaymentDeclined(services), tracker)
    assert texts(messages) == [
        "I can't see any declined payment on your Northwind Outdoor order ORD-104233."
    ]


async def test_open_dispute_records_it_and_routes_to_disputes(
    services, token_for, payments_repository
):
    tracker = make_tracker(
        metadata={"customer_token": token_for("cus_alice")},
        slots={"order_number": "ORD-104233"},
        text="ORD-104233",
        earlier_events=[
            user_event(
                "the tent arrived torn and the shop ignores me",
                {"customer_token": token_for("cus_alice")},
                intent="dispute_charge",
            )
        ],
    )
    messages, events = await run_action(ActionOpenDispute(services), tracker)
    assert events == [SlotSet("handoff_reason", "topic"), SlotSet("handoff_queue", "disputes")]
    order = payments_repository.get_order("cus_alice", "ORD-104233")
    assert order is not None
    (dispute,) = order.disputes
    assert dispute.reason == "the tent arrived torn and the shop ignores me"
    assert dispute.status == "open"
    assert texts(messages) == [
        "I'm sorry you've had trouble with this purchase. I've opened a dispute on your "
        f"Northwind Outdoor order ORD-104233 (ref {dispute.dispute_ref}) and I'm passing it to "
        "our disputes team, who will look into it with Northwind Outdoor."
    ]


async def test_open_dispute_twice_reuses_the_open_one(services, token_for):
    tracker = signed_in(token_for, "cus_carmen", order_number="ORD-104530")
    messages, events = await run_action(ActionOpenDispute(services), tracker)
    assert texts(messages) == [
        "There's already an open dispute on your Casa Verde Hogar order ORD-104530 (ref "
        "DSP-30530). I'm passing you to our disputes team so they can update you."
    ]
    assert SlotSet("handoff_queue", "disputes") in events


# --- anonymous users: order number + email, both matching ----------------------------------


@pytest.mark.parametrize("email", ["alice@example.com", "  ALICE@Example.com "])
async def test_anonymous_with_matching_order_and_email(services, email):
    tracker = make_tracker(slots={"order_number": "ORD-104233", "email": email})
    messages, _ = await run_action(ActionNextPayment(services), tracker)
    assert texts(messages) == [
        "Your next payment is €45.50 on 6 December 2026 for your Northwind Outdoor order "
        "ORD-104233."
    ]


@pytest.mark.parametrize(
    ("order_number", "email"),
    [
        ("ORD-104233", "bob@example.com"),  # a real email of another customer
        ("ORD-104410", "alice@example.com"),  # a real order of another customer
        ("ORD-999999", "alice@example.com"),  # no such order
    ],
)
async def test_anonymous_with_mismatching_pair_learns_nothing(services, order_number, email):
    tracker = make_tracker(slots={"order_number": order_number, "email": email})
    messages, events = await run_action(ActionOrderStatus(services), tracker)
    assert texts(messages) == ["utter_order_not_found"]
    assert events == [SlotSet("order_number", None), SlotSet("email", None)]


async def test_anonymous_without_email_is_asked_for_both(services):
    tracker = make_tracker(slots={"order_number": "ORD-104233"})
    messages, _ = await run_action(ActionOrderStatus(services), tracker)
    assert texts(messages) == [
        "To look that up I need your order number and the email address you used for the "
        "order. What's your order number?"
    ]


async def test_anonymous_dispute_is_recorded_in_email_scope(services, store_session_factory):
    tracker = make_tracker(slots={"order_number": "ORD-104640", "email": "dan@example.com"})
    _, events = await run_action(ActionOpenDispute(services), tracker)
    assert SlotSet("handoff_reason", "topic") in events
    with store_session_factory() as session:
        reasons = session.execute(select(models.Dispute.reason)).scalars().all()
    assert "Customer disputed a charge in the chat (no details given)" in reasons


async def test_junk_order_number_is_rejected(services, token_for):
    tracker = signed_in(token_for, "cus_alice", order_number="my order")
    messages, events = await run_action(ActionOrderStatus(services), tracker)
    assert texts(messages) == ["utter_order_number_invalid"]
    assert events == [SlotSet("order_number", None)]
