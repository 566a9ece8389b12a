"""Card numbers through the real hub: real Socket.IO clients, a fake Rasa, a SQLite store.

A customer types a card number; the store, the bot's webhook, the agent's relay, the claim and
context packets and a ticket only ever hold the masked text, the customer's ack carries it, and
the note that we never need card numbers in chat comes once per conversation.
"""

from __future__ import annotations

import re
from typing import Any

from hub.domain.texts import MASKED_NOTE_TEXT
from tests.hub.clients import sender_of
from tests.hub.conftest import new_customer, online_agent

TYPED = "my card 4111 1111 1111 1111 was declined, why?"
MASKED = "my card •••• •••• •••• 1111 was declined, why?"
NOTE = MASKED_NOTE_TEXT["en", "card"]
# Thirteen digits or more, grouped or not: a full card number (a masked one keeps four).
# The card numbers this test types; a leak is any of them, however it is grouped, anywhere in
# what the hub stored or sent (ids are random hex and may hold long digit runs: not a leak).
TYPED_CARDS = ("4111111111111111", "5555555555554444", "378282246310005")


def _texts(value: Any) -> list[str]:
    """Every string anywhere in a JSON-like value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _texts(v)]
    return []


def _leaks(value: Any) -> list[str]:
    return [t for t in _texts(value) if any(card in re.sub(r"[ -]", "", t) for card in TYPED_CARDS)]


async def test_a_typed_card_number_is_masked_everywhere_and_noted_once(hub, clients, fake_rasa):
    agent = await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    sid = confirm["session_id"]

    ack = await customer.call(
        "user_uttered", {"message": TYPED, "session_id": sid, "client_msg_id": "m1"}
    )
    assert ack == {"id": ack["id"], "duplicate": False, "text": MASKED, "language": "en"}
    reply = await customer.wait_for("bot_uttered", lambda d: sender_of(d) == "bot")
    assert reply["text"] == f"bot reply to: {MASKED}"
    assert [call["message"] for call in fake_rasa.webhook_calls] == [MASKED]

    # A retry of the same message: the same stored (masked) text, nothing new.
    again = await customer.call(
        "user_uttered", {"message": TYPED, "session_id": sid, "client_msg_id": "m1"}
    )
    assert again == {"id": ack["id"], "duplicate": True, "text": MASKED, "language": "en"}

    # More card details later in the conversation: masked, but no second note.
    second = await customer.call(
        "user_uttered", {"message": "or 5555-5555-5555-4444, cvv 123", "session_id": sid}
    )
    assert second["text"] == "or •••• •••• •••• 4444, cvv •••"
    await customer.wait_for("bot_uttered", lambda d: "4444" in d.get("text", ""))
    plain = await customer.call("user_uttered", {"message": "thanks", "session_id": sid})
    assert "text" not in plain  # nothing masked, nothing to replace

    # A ticket left with card details in its note.
    ticket_ack = await customer.call(
        "leave_contact", {"email": "alice@example.com", "note": "card 4111111111111111"}
    )

    # The customer asks for a person; the agent claims and sees the transcript.
    await customer.call("user_uttered", {"message": "I want to talk to a human", "session_id": sid})
    offer = await agent.wait_for("offer")
    conversation_id = offer["conversation_id"]
    packet = await agent.call("claim", {"conversation_id": conversation_id})
    customer_lines = [m["text"] for m in packet["transcript"] if m["sender_type"] == "customer"]
    assert customer_lines[0] == MASKED

    # Customer -> agent while the agent has it; agent -> customer.
    await customer.call(
        "user_uttered", {"message": "it's 3782 822463 10005 actually", "session_id": sid}
    )
    relayed = await agent.wait_for(
        "message", lambda d: d.get("sender", {}).get("type") == "customer"
    )
    assert relayed["text"] == "it's •••• •••• •••• 0005 actually"
    await agent.call(
        "reply", {"conversation_id": conversation_id, "text": "never type 4111111111111111 here"}
    )
    said = await customer.wait_for("bot_uttered", lambda d: sender_of(d) == "agent")
    assert said["metadata"]["text"] == "never type •••• •••• •••• 1111 here"

    context = await agent.call("context", {"conversation_id": conversation_id})
    ticket = await agent.call("ticket", {"ticket_id": ticket_ack["ticket_id"]})
    stored = hub.service.messages.messages_after(conversation_id, None)
    seen = {
        "store": [m.text for m in stored],
        "webhook": fake_rasa.webhook_calls,
        "claim": packet,
        "context": context,
        "ticket": ticket,
        "relayed": agent.of("message"),
        "customer": customer.of("bot_uttered"),
    }
    leaks = {where: _leaks(value) for where, value in seen.items()}
    assert not any(leaks.values()), leaks
    assert ticket["note"] == "card •••• •••• •••• 1111"
    assert MASKED in [line["text"] for line in ticket["transcript"]]

    notes = [m for m in customer.of("bot_uttered") if m.get("text") == NOTE]
    assert len(notes) == 1
    assert sender_of(notes[0]) == "system"
    assert [m.text for m in stored].count(NOTE) == 1
