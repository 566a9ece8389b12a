"""Binding an anonymous conversation to a verified customer cuts off every other holder.

Before (issue 13), a second tab sharing the anonymous session stayed in the conversation's room
after the first tab sent a signed token: it received the bot's answers about the customer's
orders and could keep asking, its messages reaching Rasa in the customer's conversation.
"""

from __future__ import annotations

import asyncio

from tests.hub.conftest import customer_token, new_customer


async def test_binding_cuts_off_every_other_holder_of_the_anonymous_session(
    hub, clients, fake_rasa
):
    tab_a, confirm = await new_customer(clients, hub)
    sid = confirm["session_id"]
    tab_b, confirm_b = await new_customer(clients, hub, session={"session_id": sid})
    assert confirm_b["session_id"] == sid  # both tabs hold the anonymous session

    mark_b = tab_b.mark()
    ack = await tab_a.call(
        "user_uttered",
        {
            "message": "when is my next payment?",
            "session_id": sid,
            "metadata": {"customer_token": customer_token("cus_alice")},
        },
    )
    assert isinstance(ack["id"], int)
    await tab_a.wait_for("bot_uttered", lambda d: "next payment" in (d.get("text") or ""))
    await asyncio.sleep(0.2)
    # Nothing of the verified conversation reached the anonymous tab.
    assert [name for name, _ in tab_b.events[mark_b:]] == []

    calls_before = len(fake_rasa.webhook_calls)
    for event, payload in [
        ("user_uttered", {"message": "when is my next payment?", "session_id": sid}),
        ("resume", {"session_id": sid, "last_seen_id": 0}),
        ("request_human", {"session_id": sid}),
    ]:
        refused = await tab_b.call(event, payload)
        assert refused["error"]["code"] == "session_ended", event
    assert len(fake_rasa.webhook_calls) == calls_before
    assert all(name == "error" for name, _ in tab_b.events[mark_b:])

    # The old id and key open nothing any more: the tab gets a new, empty conversation.
    fresh = await tab_b.call("session_request", {"session_id": sid})
    assert fresh["session_id"] != sid
    replayed = await tab_b.call("resume", {"session_id": fresh["session_id"], "last_seen_id": 0})
    assert replayed["replayed"] == 0
    said = await tab_b.call("user_uttered", {"message": "hi", "session_id": fresh["session_id"]})
    assert isinstance(said["id"], int)
    assert "customer_token" not in fake_rasa.webhook_calls[-1].get("metadata", {})

    # The tab that proved who it is carries on.
    again = await tab_a.call("user_uttered", {"message": "thanks", "session_id": sid})
    assert isinstance(again["id"], int)
    assert fake_rasa.webhook_calls[-1]["metadata"]["customer_ref"] == "cus_alice"


async def test_a_later_connection_with_the_anonymous_key_gets_a_new_session(hub, clients):
    tab_a, confirm = await new_customer(clients, hub)
    sid = confirm["session_id"]
    await tab_a.call(
        "user_uttered",
        {
            "message": "hi",
            "session_id": sid,
            "metadata": {"customer_token": customer_token("cus_alice")},
        },
    )
    _late, late_confirm = await new_customer(clients, hub, session={"session_id": sid})
    assert late_confirm["session_id"] != sid
