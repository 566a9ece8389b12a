"""Hub processes die; customers reconnect through HAProxy and miss nothing."""

from __future__ import annotations

import pytest

from deploy.cluster import Cluster
from hub.services.sessions import session_ref
from tests.cluster.conftest import (
    agent,
    bot_reply,
    customer,
    lb_server_up,
    lb_websocket_hub,
    say,
    wait_until,
)
from tests.hub.clients import sender_of

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]


async def _claimed(desk, client, confirm):
    mark = client.mark()
    await client.call("request_human", {"session_id": confirm["session_id"]}, timeout=30)
    offer = await desk.wait_for(
        "offer",
        lambda d: d["session_id"] == session_ref(confirm["session_id"])
        if "session_id" in d
        else True,
        60,
    )
    await desk.call("claim", {"conversation_id": offer["conversation_id"]}, timeout=30)
    await client.wait_for("handoff_status", lambda d: d["state"] == "agent_joined", 60, mark)
    return offer["conversation_id"]


async def test_agent_on_one_hub_and_customer_on_the_other_talk_both_ways(cluster: Cluster, clients):
    desk = await agent(clients, cluster.hub_url(1))
    client, confirm = await customer(clients, cluster.hub_url(2))
    conversation = await _claimed(desk, client, confirm)

    ack = await desk.call("reply", {"conversation_id": conversation, "text": "Hi, Ana here."})
    said = await client.wait_for("bot_uttered", lambda d: sender_of(d) == "agent", 30)
    assert (said["metadata"]["id"], said["metadata"]["text"]) == (ack["id"], "Hi, Ana here.")

    await say(client, confirm, "my card was declined twice")
    relayed = await desk.wait_for(
        "message", lambda d: d.get("text") == "my card was declined twice", 30
    )
    assert relayed["conversation_id"] == conversation


async def test_hub_sigkill_customer_reconnects_through_the_lb_and_gets_every_message_once(
    cluster: Cluster, clients
):
    client, confirm = await customer(clients, cluster.lb_url)
    victim = lb_websocket_hub(cluster)
    survivor = 2 if victim == "hub1" else 1
    desk = await agent(clients, cluster.hub_url(survivor))
    mark = client.mark()
    await say(client, confirm, "hello")
    await bot_reply(client, mark)
    conversation = await _claimed(desk, client, confirm)
    first = await desk.call("reply", {"conversation_id": conversation, "text": "first"})
    seen = await client.wait_for(
        "bot_uttered", lambda d: (d.get("metadata") or {}).get("id") == first["id"], 30
    )
    last_seen = seen["metadata"]["id"]

    cluster.signal(victim)  # SIGKILL the customer's hub
    await client.dropped(timeout=60)
    # Acknowledged while the customer is away: stored by the surviving hub.
    missed = []
    for text in ("second", "third"):
        ack = await desk.call("reply", {"conversation_id": conversation, "text": text})
        missed.append(ack["id"])
    wait_until(lambda: not lb_server_up(cluster, victim), 60, f"{victim} out of the pool")

    session = {"session_id": confirm["session_id"]}
    back, again = await customer(clients, cluster.lb_url, session=session)
    assert lb_websocket_hub(cluster) == f"hub{survivor}"
    assert again["state"] == "agent"
    result = await back.call(
        "resume", {"session_id": confirm["session_id"], "last_seen_id": last_seen}, timeout=30
    )
    assert result["replayed"] == 2
    live = await desk.call("reply", {"conversation_id": conversation, "text": "fourth"})
    await back.wait_for(
        "bot_uttered", lambda d: (d.get("metadata") or {}).get("id") == live["id"], 30
    )
    got = [m["metadata"]["id"] for m in back.of("bot_uttered") if sender_of(m) == "agent"]
    assert got == [*missed, live["id"]]  # each exactly once, in order

    # And the customer's own messages still reach the agent.
    await say(back, again, "thanks, still here")
    await desk.wait_for("message", lambda d: d.get("text") == "thanks, still here", 30)


async def test_long_polling_through_the_lb_sticks_to_one_hub(cluster: Cluster, clients):
    """Customers whose network blocks websockets: every poll of a session reaches one hub."""
    client, confirm = await customer(clients, cluster.lb_url, transports=("polling",))
    for text in ("hello", "where is my order"):
        mark = client.mark()
        await say(client, confirm, text)
        reply = await bot_reply(client, mark)
        assert sender_of(reply) in {"bot", "system"}
    assert client.sio.transport() == "polling"
