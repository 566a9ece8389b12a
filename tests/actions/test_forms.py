"""validate_order_form and action_ask_order_number, run like Rasa runs them inside order_form."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker

from actions import replies
from actions.forms import (
    GET_HELP,
    ActionAskOrderNumber,
    ValidateOrderForm,
    previous_failures,
)
from tests.actions.conftest import make_tracker, run_action, texts, user_event

ACTIVATION = {"event": "active_loop", "name": "order_form"}


def form_tracker(
    *,
    metadata: dict[str, Any] | None = None,
    topic: str = "order_status",
    candidates: dict[str, Any] | None = None,
    slots: dict[str, Any] | None = None,
    earlier: list[dict[str, Any]] | None = None,
):
    """A tracker as the form sends it: this turn's slot candidates are the trailing events."""
    candidates = candidates or {}
    all_slots = {"requested_topic": topic, **(slots or {}), **candidates}
    return make_tracker(
        metadata=metadata,
        slots=all_slots,
        earlier_events=[ACTIVATION, *(earlier or [])],
        trailing_events=[{"event": "slot", "name": k, "value": v} for k, v in candidates.items()],
        active_loop={"name": "order_form"},
    )


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Slot values set by the validation (``requested_slot`` is checked via next_slot)."""
    return {
        e["name"]: e["value"]
        for e in events
        if e["event"] == "slot" and e["name"] != "requested_slot"
    }


def next_slot(tracker: Tracker, events: list[dict[str, Any]], domain: dict[str, Any]) -> Any:
    """What Rasa's FormAction asks next: the validation's choice, else its own from the domain."""
    chosen = [e["value"] for e in events if e["event"] == "slot" and e["name"] == "requested_slot"]
    if chosen:
        return chosen[-1]
    slots = {**tracker.slots, **slot_events(events)}
    required = domain["forms"]["order_form"]["required_slots"]
    return next((name for name in required if slots.get(name) is None), None)


async def test_signed_in_with_one_relevant_order_is_filled_without_asking(
    services, token_for, domain
):
    # Alice has one order still on its way (ORD-104377); "where is my order" means that one.
    tracker = form_tracker(metadata={"customer_token": token_for("cus_alice")})
    messages, events = await run_action(ValidateOrderForm(services), tracker, domain)
    assert messages == []
    assert slot_events(events) == {"order_number": "ORD-104377"}
    assert next_slot(tracker, events, domain) is None


@pytest.mark.parametrize("topic", ["next_payment", "late_fees"])
async def test_account_wide_topics_need_no_order(services, token_for, domain, topic):
    tracker = form_tracker(metadata={"customer_token": token_for("cus_alice")}, topic=topic)
    messages, events = await run_action(ValidateOrderForm(services), tracker, domain)
    assert messages == []
    assert slot_events(events) == {}
    assert next_slot(tracker, events, domain) is None


async def test_nothing_relevant_lets_the_action_answer_for_the_account(services, token_for, domain):
    tracker = form_tracker(
        metadata={"customer_token": token_for("cus_alice")}, topic="refund_status"
    )
    _, events = await run_action(ValidateOrderForm(services), tracker, domain)
    assert slot_events(events) == {}
    assert next_slot(tracker, events, domain) is None


async def test_several_candidates_are_asked_for_with_buttons(services, token_for, domain):
    metadata = {"customer_token": token_for("cus_bob")}
    tracker = form_tracker(metadata=metadata, topic="refund_status")
    messages, events = await run_action(ValidateOrderForm(services), tracker, domain)
    assert (messages, slot_events(events)) == ([], {})
    assert next_slot(tracker, events, domain) == "order_number"

    ask = make_tracker(metadata=metadata, slots={"requested_topic": "refund_status"})
    messages, _ = await run_action(ActionAskOrderNumber(services), ask)
    assert texts(messages) == ["Which order is the refund for?"]
    assert [b["title"] for b in messages[0]["buttons"]] == [
        "ORD-104460 · Lumen Electronics · Mini smart speaker",
        "ORD-104455 · Northwind Outdoor · Summit hiking boots, EU 43",
    ]


async def test_anonymous_is_asked_plainly(services):
    messages, _ = await run_action(ActionAskOrderNumber(services), make_tracker())
    assert texts(messages) == ["utter_ask_order_number"]


async def test_signed_in_order_number_is_normalised_and_checked(services, token_for, domain):
    tracker = form_tracker(
        metadata={"customer_token": token_for("cus_bob")},
        topic="payment_schedule",
        candidates={"order_number": "ord 104410"},
    )
    messages, events = await run_action(ValidateOrderForm(services), tracker, domain)
    assert messages == []
    assert slot_events(events) == {"order_number": "ORD-104410"}
    assert next_slot(tracker, events, domain) is None  # no email for signed-in customers


async def test_anonymous_needs_email_after_order_number(services, domain):
    tracker = form_tracker(candidates={"order_number": "#104233"})
    messages, events = await run_action(ValidateOrderForm(services), tracker, domain)
    assert messages == []
    assert slot_events(events) == {"order_number": "ORD-104233"}
    assert next_slot(tracker, events, domain) == "email"


async def test_anonymous_matching_pair_completes_the_form(services, domain):
    tracker = form_tracker(
        slots={"order_number": "ORD-104233"}, candidates={"email": " Alice@Example.com "}
    )
    messages, events = await run_action(ValidateOrderForm(services), tracker, domain)
    assert messages == []
    assert slot_events(events) == {"email": "alice@example.com"}
    assert next_slot(tracker, events, domain) is None


@pytest.mark.parametrize(
    ("slots", "candidates"),
    [
        ({"order_number": "ORD-104233"}, {"email": "bob@example.com"}),  # wrong email
        ({"email": "alice@example.com"}, {"order_number": "ORD-104410"}),  # wrong order
        ({}, {"order_number": "ORD-999999", "email": "alice@example.com"}),  # no such order
    ],
)
async def test_anonymous_mismatch_clears_both_without_saying_which(
    services, domain, slots, candidates
):
    tracker = form_tracker(slots=slots, candidates=candidates)
    messages, events = await run_action(ValidateOrderForm(services), tracker, domain)
    assert texts(messages) == ["utter_order_not_found"]
    assert slot_events(events) == {"order_number": None, "email": None}
    assert next_slot(tracker, events, domain) == "order_number"


@pytest.mark.parametrize(
    ("candidate", "response"),
    [
        ({"order_number": "hello there"}, "utter_order_number_invalid"),
        ({"order_number": "12"}, "utter_order_number_invalid"),
        ({"order_number": "x" * 500}, "utter_order_number_invalid"),
    ],
)
async def test_junk_order_numbers_are_rejected_politely(services, domain, candidate, response):
    tracker = form_tracker(candidates=candidate)
    messages, events = await run_action(ValidateOrderForm(services), tracker, domain)
    assert texts(messages) == [response]
    assert slot_events(events)["order_number"] is None


def rejected_turn(text: str) -> list[dict[str, Any]]:
    return [user_event(text), {"event": "slot", "name": "order_number", "value": None}]


def test_failures_are_counted_per_form_run():
    earlier_run = [ACTIVATION, *rejected_turn("a"), *rejected_turn("b"), *rejected_turn("c")]
    tracker = make_tracker(
        earlier_events=[*earlier_run, {"event": "active_loop", "name": None}, ACTIVATION,
                        *rejected_turn("d")],
    )  # fmt: skip
    assert previous_failures(tracker) == 1


async def test_second_failure_says_where_to_find_it(services, domain):
    tracker = form_tracker(earlier=rejected_turn("nope"), candidates={"order_number": "dunno"})
    messages, _ = await run_action(ValidateOrderForm(services), tracker, domain)
    assert texts(messages) == ["utter_order_number_invalid", GET_HELP]
    assert messages[1]["buttons"] == [replies.TALK_TO_PERSON_BUTTON]


async def test_first_failure_does_not_yet(services, domain):
    tracker = form_tracker(candidates={"order_number": "dunno"})
    messages, _ = await run_action(ValidateOrderForm(services), tracker, domain)
    assert texts(messages) == ["utter_order_number_invalid"]
