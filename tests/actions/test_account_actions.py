"""Issue 14's account facts: card on file, last payment, the payment after, totals owed.

Demo data seeded relative to 1 December 2026 (``seed_today``), as in test_actions.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker

from actions.account import ActionCardOnFile, ActionFollowingPayment, ActionLastPayment
from actions.account_replies import masked_card
from actions.forms import GET_HELP, ActionOrderNumberHelp
from actions.instalments import ActionPayEarly
from tests.actions.conftest import make_tracker, run_action, texts


def signed_in(token_for: Callable[[str], str], customer_ref: str, **slots: Any) -> Tracker:
    return make_tracker(metadata={"customer_token": token_for(customer_ref)}, slots=slots)


def test_card_is_masked_to_brand_and_last_four():
    assert masked_card("Visa ending 4242") == "Visa ending 4242"
    assert masked_card("card ending 7777") == "the card ending 7777"
    assert masked_card("mastercard ending in 5100") == "Mastercard ending 5100"


async def test_card_on_file_across_orders(services, token_for):
    messages, _ = await run_action(ActionCardOnFile(services), signed_in(token_for, "cus_alice"))
    (text,) = texts(messages)
    assert "The instalments for ORD-104233, ORD-104301 are charged to Visa ending 4242." in text
    assert "Payment methods" in text


async def test_card_on_file_for_one_order(services, token_for):
    tracker = signed_in(token_for, "cus_dan", order_number="ORD-104601")
    messages, _ = await run_action(ActionCardOnFile(services), tracker)
    (text,) = texts(messages)
    assert text.startswith(
        "Your Lumen Electronics order ORD-104601: Its instalments are charged to Visa ending 0005."
    )


async def test_last_payment_prefers_the_last_instalment(services, token_for):
    messages, _ = await run_action(ActionLastPayment(services), signed_in(token_for, "cus_alice"))
    (text,) = texts(messages)
    assert text.startswith(
        "Yes, your last instalment was collected: €45.50 on 22 November 2026 for your "
        "Northwind Outdoor order ORD-104233 (payment 2 of 4)."
    )
    # The jacket paid at checkout on 28 November is the last payment of any kind.
    assert "$89.99 on 28 November 2026" in text


async def test_last_payment_mentions_a_later_failure(services, token_for):
    messages, _ = await run_action(ActionLastPayment(services), signed_in(token_for, "cus_carmen"))
    (text,) = texts(messages)
    assert "€100.00 on 30 October 2026" in text
    assert "didn't go through" in text


async def test_following_payment_continues_after_the_one_told(services, token_for):
    tracker = signed_in(token_for, "cus_alice", instalment_ref="ORD-104233#3")
    messages, events = await run_action(ActionFollowingPayment(services), tracker)
    assert texts(messages) == [
        "The payment after that is €45.50 on 20 December 2026 for your Northwind Outdoor order "
        "ORD-104233 (payment 4 of 4)."
    ]
    assert {e["name"]: e["value"] for e in events} == {
        "instalment_ref": "ORD-104233#4",
        "order_number": "ORD-104233",
    }
    tracker = signed_in(token_for, "cus_alice", instalment_ref="ORD-104233#4")
    messages, events = await run_action(ActionFollowingPayment(services), tracker)
    assert texts(messages)[0].startswith("That was the last payment on your Northwind Outdoor")
    assert events == []


async def test_total_owed_across_orders(services, token_for):
    messages, _ = await run_action(ActionPayEarly(services), signed_in(token_for, "cus_dan"))
    (text,) = texts(messages)
    assert text.startswith("You owe $429.93 in total across your orders:")
    assert "- $399.96 on your Lumen Electronics order ORD-104601" in text
    assert "- $29.97 on your Northwind Outdoor order ORD-104640" in text


async def test_order_number_help_for_anonymous_offers_a_person_but_does_not_hand_off(services):
    messages, events = await run_action(ActionOrderNumberHelp(services), make_tracker())
    assert texts(messages) == [GET_HELP]
    assert "confirmation email" in GET_HELP
    assert "account page" in GET_HELP
    assert messages[0]["buttons"] == [{"title": "Talk to a person", "payload": "/request_human"}]
    assert events == []


async def test_order_number_help_for_signed_in_offers_their_orders(services, token_for):
    messages, _ = await run_action(ActionOrderNumberHelp(services), signed_in(token_for, "cus_bob"))
    assert [b["payload"] for b in messages[0]["buttons"]] == [
        '/inform{"order_number":"ORD-104460"}',
        '/inform{"order_number":"ORD-104410"}',
        '/inform{"order_number":"ORD-104455"}',
    ]
