"""What the widget and console need after a reload: context, live status, typing, snapshot."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from tests.hub.clients import RecordingClient
from tests.hub.conftest import RunningHub, login, new_customer, online_agent


async def _claimed(
    clients: Callable[..., RecordingClient], hub: RunningHub, **customer: Any
) -> tuple[RecordingClient, RecordingClient, dict[str, Any], dict[str, Any]]:
    agent = await online_agent(clients, hub)
    customer_client, confirm = await new_customer(clients, hub, **customer)
    await customer_client.call("request_human", {"session_id": confirm["session_id"]})
    offer = await agent.wait_for("offer")
    packet = await agent.call("claim", {"conversation_id": offer["conversation_id"]})
    return agent, customer_client, confirm, packet


async def test_context_after_a_console_reload_has_the_whole_transcript(hub, clients, fake_rasa):
    agent, customer, confirm, packet = await _claimed(clients, hub)
    conversation_id = packet["conversation"]["conversation_id"]
    await customer.call(
        "user_uttered", {"message": "are you there?", "session_id": confirm["session_id"]}
    )
    await agent.wait_for("message", lambda d: d.get("text") == "are you there?")
    await agent.disconnect()

    session = await login(hub, "ana")
    reloaded = clients(hub.url, "/agent")
    await reloaded.connect(auth={"token": session["token"]})
    snapshot = await reloaded.call("queue")
    assert [c["conversation_id"] for c in snapshot["mine"]] == [conversation_id]
    again = await reloaded.call("context", {"conversation_id": conversation_id})
    assert again["conversation"]["conversation_id"] == conversation_id
    texts = [m["text"] for m in again["transcript"]]
    assert texts[-1] == "are you there?"
    claimed_ids = [m["id"] for m in packet["transcript"]]
    assert [m["id"] for m in again["transcript"]][: len(claimed_ids)] == claimed_ids
    assert [m["sender_type"] for m in again["transcript"][len(claimed_ids) :]] == [
        "system",  # "Ana has joined the conversation."
        "customer",
    ]
    assert again["conversation"]["summary"] == packet["conversation"]["summary"]


async def test_context_is_only_for_the_owner(hub, clients, fake_rasa):
    _agent, _customer, _confirm, packet = await _claimed(clients, hub)
    other = await online_agent(clients, hub, "ben")
    ack = await other.call(
        "context", {"conversation_id": packet["conversation"]["conversation_id"]}
    )
    assert ack["error"]["code"] == "not_allowed"
    unknown = await other.call("context", {"conversation_id": "nope"})
    assert unknown["error"]["code"] == "not_found"


async def test_reconnecting_customer_gets_the_live_queue_position(hub, clients, fake_rasa):
    agent = await online_agent(clients, hub)
    first, _ = await new_customer(clients, hub)
    await first.call("request_human", {"session_id": _["session_id"]})
    customer, confirm = await new_customer(clients, hub)
    await customer.call("request_human", {"session_id": confirm["session_id"]})
    await customer.wait_for("handoff_status", lambda d: d["state"] == "queued")
    await customer.disconnect()

    back, again = await new_customer(
        clients,
        hub,
        session={"session_id": confirm["session_id"]},
    )
    assert again["state"] == "queued"
    live = await back.wait_for("handoff_status")
    assert live["state"] == "queued"
    assert live["current"] is True
    assert (live["position"], live["queue"], live["reason"]) == (2, "payments", "explicit_request")
    assert "estimated_wait_seconds" in live
    assert "message_id" not in live  # a repeat, not a new stored event

    mark = back.mark()
    await back.call("resume", {"session_id": confirm["session_id"], "last_seen_id": None})
    repeat = await back.wait_for("handoff_status", after=mark)
    assert (repeat["state"], repeat["position"]) == ("queued", 2)
    assert agent.of("error") == []


async def test_reconnecting_customer_learns_which_agent_has_them(hub, clients, fake_rasa):
    _agent, customer, confirm, _packet = await _claimed(clients, hub)
    await customer.disconnect()
    back, _ = await new_customer(
        clients,
        hub,
        session={"session_id": confirm["session_id"]},
    )
    live = await back.wait_for("handoff_status")
    assert live == {"state": "agent_joined", "agent_name": "Ana", "current": True}


async def test_no_status_is_repeated_while_with_the_bot(hub, clients, fake_rasa):
    customer, confirm = await new_customer(clients, hub)
    await customer.disconnect()
    back, _ = await new_customer(
        clients,
        hub,
        session={"session_id": confirm["session_id"]},
    )
    await back.call("resume", {"session_id": confirm["session_id"], "last_seen_id": None})
    assert back.of("handoff_status") == []


async def test_customer_typing_reaches_the_owning_agent_throttled(hub, clients, fake_rasa):
    agent, customer, confirm, packet = await _claimed(clients, hub)
    conversation_id = packet["conversation"]["conversation_id"]
    assert await customer.call("typing", {"session_id": confirm["session_id"]}) == {"ok": True}
    typing = await agent.wait_for("customer_typing")
    assert typing == {"conversation_id": conversation_id}
    await customer.call("typing", {"session_id": confirm["session_id"]})  # within the throttle
    await asyncio.sleep(0.2)
    assert len(agent.of("customer_typing")) == 1


async def test_typing_with_the_bot_goes_nowhere_and_wrong_sessions_are_refused(
    hub, clients, fake_rasa
):
    agent = await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    assert await customer.call("typing", {"session_id": confirm["session_id"]}) == {"ok": True}
    wrong = await customer.call("typing", {"session_id": "someone-else"})
    assert wrong["error"]["code"] == "unknown_session"
    await asyncio.sleep(0.2)
    assert agent.of("customer_typing") == []


async def test_snapshot_carries_presence_and_dispositions(hub, clients, fake_rasa):
    agent = await online_agent(clients, hub)
    snapshot = await agent.call("queue")
    assert snapshot["presence"] == "online"
    assert snapshot["dispositions"] == list(hub.service.config.dispositions)
    await agent.call("presence", {"status": "away"})
    pushed = await agent.wait_for("queue", lambda d: d["presence"] == "away")
    assert pushed["agent_id"] == snapshot["agent_id"]
