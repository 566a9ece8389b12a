"""Only real client events are dispatchable, and every agent event passes one session check.

Before (issue 13), any ``on_<name>`` method was a client event: ``queues_signal``, an
internal handler, answered a logged-out socket with queue snapshots.
"""

from __future__ import annotations

import asyncio

import pytest

from connectors.agent import AgentNamespace
from connectors.customer import CustomerNamespace
from tests.hub.conftest import new_customer, online_agent

AGENT_EVENTS = sorted(AgentNamespace.client_events)


async def _quiet(client, seconds: float = 0.3) -> int:
    """Wait until no event has arrived for ``seconds``; returns the log position."""
    while True:
        mark = client.mark()
        await asyncio.sleep(seconds)
        if client.mark() == mark:
            return mark


@pytest.mark.parametrize("namespace", [AgentNamespace, CustomerNamespace])
def test_the_allow_list_names_exactly_the_event_handlers(namespace):
    handlers = {name[3:] for name in dir(namespace) if name.startswith("on_")}
    assert handlers - {"connect", "disconnect"} == namespace.client_events


@pytest.mark.parametrize(
    "event", ["queues_signal", "sessions_signal", "payassist:queues_changed", "handle"]
)
async def test_internal_handlers_are_not_client_events(hub, clients, event):
    agent = await online_agent(clients, hub)
    mark = await _quiet(agent)
    ack = await agent.call(event, ["queue:payments"])
    assert ack == {"error": {"code": "unknown_event", "message": ack["error"]["message"]}}
    await asyncio.sleep(0.3)
    assert [name for name, _ in agent.events[mark:]] == ["error"]
    assert agent.sio.connected


async def test_internal_handlers_are_not_customer_events(hub, clients):
    customer, _confirm = await new_customer(clients, hub)
    ack = await customer.call("live_status", {"session_id": "x"})
    assert ack["error"]["code"] == "unknown_event"


@pytest.mark.parametrize("event", AGENT_EVENTS)
async def test_every_agent_event_checks_the_session_first(hub, clients, event):
    """Revoked in the store (as by another process), before this hub's sweep: refused.

    The check comes before the payload is parsed, except for ``reply``, whose session is
    checked inside its own write (so it gets a well-formed payload here).
    """
    agent = await online_agent(clients, hub)
    assert hub.service.agents.logout(agent.sio.connection_auth["token"]) is not None
    mark = await _quiet(agent)
    payload = {"conversation_id": "c" * 32, "text": "hi"} if event == "reply" else {"not": 1}
    ack = await agent.call(event, payload)
    assert ack["error"]["code"] == "unauthorized"
    await agent.dropped()
    assert [name for name, _ in agent.events[mark:]] == ["error"]


@pytest.mark.parametrize("event", ["disconnect", "connect", "connect_error"])
async def test_an_agent_emitting_a_reserved_name_is_refused_and_keeps_its_conversation(
    hub, clients, event
):
    """Before, ``disconnect`` set the agent offline and requeued its conversation."""
    agent = await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    await customer.call("request_human", {"session_id": confirm["session_id"]})
    conversation_id = (await agent.wait_for("offer"))["conversation_id"]
    await agent.call("claim", {"conversation_id": conversation_id})
    mark = await _quiet(agent)
    ack = await agent.call(event, "io client disconnect")
    assert ack["error"]["code"] == "unknown_event"
    await asyncio.sleep(0.3)  # a requeue sweep runs every 0.1 s in these hubs
    assert [name for name, _ in agent.events[mark:]] == ["error"]
    assert agent.sio.connected
    agent_id = (await agent.call("queue"))["agent_id"]
    assert hub.service.presence.agent(agent_id).presence == "online"
    conversation = hub.service.sessions.get_conversation(conversation_id)
    assert (conversation.state, conversation.owner_agent_id) == ("agent", agent_id)
    await customer.call(
        "user_uttered", {"message": "still there?", "session_id": confirm["session_id"]}
    )
    relayed = await agent.wait_for("message", lambda d: d["text"] == "still there?")
    assert relayed["conversation_id"] == conversation_id


@pytest.mark.parametrize("event", ["connect", "disconnect", "connect_error"])
async def test_a_customer_emitting_a_reserved_name_is_refused_and_keeps_its_session(
    hub, clients, event
):
    """Before, ``connect`` ran the connect handler again and unbound the session."""
    customer, confirm = await new_customer(clients, hub)
    mark = customer.mark()
    ack = await customer.call(event, {"token": "forged"})
    assert ack["error"]["code"] == "unknown_event"
    assert [name for name, _ in customer.events[mark:]] == ["error"]
    said = await customer.call(
        "user_uttered", {"message": "hello", "session_id": confirm["session_id"]}
    )
    assert isinstance(said["id"], int)
    assert customer.sio.connected


async def test_real_connects_and_disconnects_still_run_their_handlers(hub, clients):
    agent = await online_agent(clients, hub)
    agent_id = (await agent.call("queue"))["agent_id"]
    await agent.disconnect()
    for _ in range(50):
        if hub.service.presence.agent(agent_id).presence == "offline":
            break
        await asyncio.sleep(0.05)
    assert hub.service.presence.agent(agent_id).presence == "offline"
