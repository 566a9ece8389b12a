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

    # The old id alone opens nothing any more: confirmed (a Rasa widget keeps its id) but
    # nothing is delivered, and a message without Alice's token starts a new conversation.
    mark_b = tab_b.mark()
    held = await tab_b.call("session_request", {"session_id": sid, "last_seen_id": None})
    assert held == {"session_id": sid, "state": "bot", "identity_required": True}
    replayed = await tab_b.call("resume", {"session_id": sid, "last_seen_id": 0})
    assert replayed["error"]["code"] == "no_session"
    said = await tab_b.call("user_uttered", {"message": "hi", "session_id": sid})
    assert isinstance(said["id"], int)
    fresh = tab_b.of("session_confirm")[-1]
    assert fresh != sid
    assert "customer_token" not in fake_rasa.webhook_calls[-1].get("metadata", {})
    assert not [
        e for name, e in tab_b.events[mark_b:] if name == "bot_uttered" and "next payment" in str(e)
    ]

    # The tab that proved who it is carries on.
    again = await tab_a.call("user_uttered", {"message": "thanks", "session_id": sid})
    assert isinstance(again["id"], int)
    assert fake_rasa.webhook_calls[-1]["metadata"]["customer_ref"] == "cus_alice"


async def test_a_later_connection_with_only_the_id_gets_nothing_of_the_verified_conversation(
    hub, clients
):
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
    late, late_confirm = await new_customer(
        clients, hub, session={"session_id": sid, "last_seen_id": None}
    )
    assert late_confirm == {"session_id": sid, "state": "bot", "identity_required": True}
    assert late.of("bot_uttered") == []
    assert late.of("user_uttered") == []
