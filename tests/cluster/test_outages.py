"""Redis or PostgreSQL goes away: clear errors, fail-open to a person, nothing lost after."""

from __future__ import annotations

import json
import signal
import urllib.error
import urllib.request

import pytest

from deploy.cluster import Cluster, http_ok
from hub.services.sessions import session_ref
from tests.cluster.conftest import (
    TURN_SECONDS,
    agent,
    bot_reply,
    customer,
    lb_server_up,
    say,
    wait_until,
)
from tests.hub.clients import sender_of

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]


def _health(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


async def test_redis_outage_fails_open_and_loses_nothing(cluster: Cluster, clients):
    desk = await agent(clients, cluster.hub_url(2))
    client, confirm = await customer(clients, cluster.hub_url(1))
    mark = client.mark()
    await say(client, confirm, "hello")
    await bot_reply(client, mark)

    cluster.signal("redis", signal.SIGKILL)
    acked = []
    mark = client.mark()
    for text in ("where is my order", "where is my order please"):
        ack = await say(client, confirm, text)
        assert "error" not in ack, ack  # stored and acknowledged: the database is up
        acked.append(ack["id"])
        # The hub answers on its own: "please send it again", or the handoff notice.
        notice = await client.wait_for(
            "bot_uttered",
            lambda d, after=ack["id"]: sender_of(d) == "system" and d["metadata"]["id"] > after,
            TURN_SECONDS,
            mark,
        )
        if "send it again" not in (notice.get("text") or ""):
            break
    # Rasa's lock store is on Redis: the bot cannot take the turn, and the customer is told
    # and (at the latest on the second try) handed to a person, on the hub they are on.
    await client.wait_for("handoff_status", lambda d: d["state"] == "queued", TURN_SECONDS, mark)
    status = client.of("handoff_status")[-1]
    assert (status["state"], status["reason"]) == ("queued", "bot_failure")
    hub_log = (cluster.logs / "hub1.log").read_text(errors="replace")
    assert "Cannot publish to redis" in hub_log  # the fan-out failure is logged, not silent

    cluster.start_redis()  # same port; the hubs and Rasa reconnect by themselves
    # The agent on the other hub missed the live offer; its queue snapshot (from the
    # database) has the conversation, with every acknowledged message.
    snapshot = await desk.call("queue", {}, timeout=30)
    waiting_ids = [w["conversation_id"] for w in snapshot["waiting"]]
    assert waiting_ids, snapshot
    packet = None
    for conversation_id in waiting_ids:
        claimed = await desk.call("claim", {"conversation_id": conversation_id}, timeout=30)
        if claimed["conversation"].get("session_id") == session_ref(confirm["session_id"]) or any(
            m["id"] in acked for m in claimed["transcript"]
        ):
            packet = claimed
            break
    assert packet is not None
    ids = [m["id"] for m in packet["transcript"]]
    assert all(message_id in ids for message_id in acked)
    # Fan-out comes back by itself: python-socketio's Redis listener reconnects with a backoff
    # (up to a minute), and Redis pub/sub keeps nothing for a process not yet subscribed. So the
    # agent keeps writing until one reply reaches the customer on the other hub live; every
    # reply is stored either way, and the customer's replay has each of them exactly once.
    conversation_id = packet["conversation"]["conversation_id"]
    sent: list[int] = []
    arrived = None
    for attempt in range(40):
        ack = await desk.call(
            "reply", {"conversation_id": conversation_id, "text": f"Back {attempt}."}
        )
        sent.append(ack["id"])
        try:
            arrived = await client.wait_for(
                "bot_uttered", lambda d: (d.get("metadata") or {}).get("id") in sent, 5
            )
            break
        except AssertionError:
            continue
    assert arrived is not None, "fan-out did not come back"
    await client.disconnect()
    session = {"session_id": confirm["session_id"]}
    back, _again = await customer(clients, cluster.hub_url(1), session=session)
    await back.call(
        "resume", {"session_id": confirm["session_id"], "last_seen_id": None}, timeout=30
    )
    replayed = [m["metadata"]["id"] for m in back.of("user_uttered") + back.of("bot_uttered")]
    assert [i for i in replayed if i in sent] == sent  # every reply, once, in order
    assert all(message_id in replayed for message_id in acked)


async def test_postgres_outage_gives_clear_errors_and_nothing_stored_is_lost(
    cluster: Cluster, clients
):
    client, confirm = await customer(clients, cluster.lb_url)
    stored = []
    for text in ("hello", "when is my next payment due?"):
        mark = client.mark()
        ack = await say(client, confirm, text)
        stored.append(ack["id"])
        reply = await bot_reply(client, mark)
        stored.append(reply["metadata"]["id"])

    cluster.stop_postgres("immediate")  # a crash: no shutdown checkpoint
    ack = await say(client, confirm, "are you still there?")
    assert ack.get("error", {}).get("code") == "unavailable", ack  # refused, not pretended
    status, body = _health(cluster.hub_url(1))
    assert (status, body["components"]["store"]) == (503, "down")
    wait_until(lambda: not lb_server_up(cluster, "hub1"), 60, "hubs out of the load balancer")
    assert not http_ok(f"{cluster.lb_url}/health")  # the LB answers 503: no hub can store

    cluster.start_postgres()
    wait_until(lambda: cluster.lb_servers_up() == {"hub1", "hub2"}, 180, "hubs back in the LB")
    # Whatever the socket went through, the customer comes back to the same conversation ...
    session = {"session_id": confirm["session_id"]}
    back, again = await customer(clients, cluster.lb_url, session=session)
    assert again["session_id"] == confirm["session_id"]
    replay = await back.call(
        "resume", {"session_id": confirm["session_id"], "last_seen_id": None}, timeout=30
    )
    assert replay["replayed"] >= len(stored)
    replayed = [m["metadata"]["id"] for m in back.of("user_uttered") + back.of("bot_uttered")]
    assert all(message_id in replayed for message_id in stored)  # nothing stored is missing
    # ... and the message that was refused can be sent again and is answered.
    mark = back.mark()
    ack = await say(back, again, "are you still there?")
    assert "error" not in ack, ack
    await bot_reply(back, mark)
