"""Hub-built summaries reach the agent; metadata tokens bind anonymous conversations safely."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hub.clients import RecordingClient
from tests.hub.conftest import customer_token, new_customer, online_agent


async def _packet(agent: RecordingClient) -> dict[str, Any]:
    offer = await agent.wait_for("offer")
    packet: dict[str, Any] = await agent.call(
        "claim", {"conversation_id": offer["conversation_id"]}
    )
    return packet


async def test_button_handoff_carries_a_hub_summary(hub, clients, fake_rasa):
    agent = await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub, token=customer_token("cus_alice"))
    sid = confirm["session_id"]
    await customer.call("user_uttered", {"message": "where is order 104233?", "session_id": sid})
    await customer.wait_for("bot_uttered")
    await customer.call("request_human", {"session_id": sid})
    summary = (await _packet(agent))["conversation"]["summary"]
    assert summary.startswith(
        'Handoff: the customer asked for a person ("Talk to a person" button).'
    )
    assert "Customer: verified, cus_alice." in summary
    assert "Orders mentioned: ORD-104233." in summary
    assert '"where is order 104233?"' in summary
    assert 'Bot last said: "bot reply to: where is order 104233?"' in summary


async def test_guard_handoff_summary_quotes_the_request(hub, clients, fake_rasa):
    agent = await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    await customer.call(
        "user_uttered",
        {"message": "I want to talk to a human", "session_id": confirm["session_id"]},
    )
    summary = (await _packet(agent))["conversation"]["summary"]
    assert "the customer asked for a person (said" in summary
    assert "Customer: anonymous (not verified)." in summary


async def test_fail_open_summary_says_the_bot_failed(hub, clients, fake_rasa):
    agent = await online_agent(clients, hub)
    await fake_rasa.stop()
    customer, confirm = await new_customer(clients, hub)
    await customer.call(
        "user_uttered", {"message": "refund ORD-104233", "session_id": confirm["session_id"]}
    )
    await customer.wait_for("handoff_status", lambda d: d["state"] == "queued")
    summary = (await _packet(agent))["conversation"]["summary"]
    assert summary.startswith("Handoff: the bot could not answer (technical failure)")
    assert "ORD-104233" in summary


async def test_empty_bot_summary_is_replaced_by_the_hubs(hub, clients, fake_rasa):
    def reply(body):
        return [
            {"recipient_id": body["sender"], "text": "Let me get someone."},
            {
                "recipient_id": body["sender"],
                "custom": {"handoff": {"reason": "frustration", "summary": ""}},
            },
        ]

    fake_rasa.reply = reply
    agent = await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    await customer.call(
        "user_uttered", {"message": "this is hopeless", "session_id": confirm["session_id"]}
    )
    summary = (await _packet(agent))["conversation"]["summary"]
    assert summary.startswith("Handoff: the customer seemed frustrated.")
    assert 'Bot last said: "Let me get someone."' in summary


async def test_metadata_token_binds_an_anonymous_conversation(hub, clients, fake_rasa):
    agent = await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    sid = confirm["session_id"]
    await customer.call(
        "user_uttered",
        {
            "message": "hi",
            "session_id": sid,
            "metadata": {"customer_token": customer_token("cus_bob")},
        },
    )
    await customer.wait_for("bot_uttered")
    # Later messages without metadata still carry the verified identity to Rasa.
    mark = customer.mark()
    await customer.call("user_uttered", {"message": "and my refund?", "session_id": sid})
    await customer.wait_for("bot_uttered", after=mark)
    assert fake_rasa.webhook_calls[1]["metadata"]["customer_ref"] == "cus_bob"
    await customer.call("request_human", {"session_id": sid})
    packet = await _packet(agent)
    assert packet["conversation"]["customer_ref"] == "cus_bob"
    assert packet["customer"]["customer_ref"] == "cus_bob"
    assert packet["orders"]


@pytest.mark.parametrize("bound_by", ["connection", "metadata"])
async def test_a_second_identity_is_refused_and_nothing_is_stored(
    hub, clients, fake_rasa, bound_by
):
    alice = customer_token("cus_alice")
    customer, confirm = await new_customer(
        clients, hub, token=alice if bound_by == "connection" else None
    )
    sid = confirm["session_id"]
    await customer.call(
        "user_uttered",
        {"message": "hello", "session_id": sid, "metadata": {"customer_token": alice}},
    )
    await customer.wait_for("bot_uttered")
    ack = await customer.call(
        "user_uttered",
        {
            "message": "show me bob's orders",
            "session_id": sid,
            "metadata": {"customer_token": customer_token("cus_bob")},
        },
    )
    assert ack["error"]["code"] == "identity_mismatch"
    error = await customer.wait_for("error")
    assert error["code"] == "identity_mismatch"
    assert "cus_" not in error["message"]
    grant = hub.service.sessions.open_session(sid, "cus_alice")
    assert grant.session_id == sid  # the conversation is (still) Alice's
    stored = hub.service.messages.messages_after(grant.conversation_id, None)
    assert [m.text for m in stored if m.sender_type == "customer"] == ["hello"]
    assert [call["message"] for call in fake_rasa.webhook_calls] == ["hello"]
