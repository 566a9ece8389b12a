"""Rasa servers die; conversations do not: the tracker store is shared and the hub fails over."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from deploy.cluster import Cluster
from hub.services.sessions import session_ref
from tests.cluster.conftest import (
    TURN_SECONDS,
    agent,
    bot_reply,
    customer,
    rasa_index,
    rasa_served,
    say,
    served_since,
)
from tests.hub.clients import RecordingClient, sender_of, text_of

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]


def _tracker(cluster: Cluster, url: str, session_id: str) -> dict[str, Any]:
    query = f"{url}/conversations/{session_id}/tracker?token={cluster.rasa_token}"
    with urllib.request.urlopen(query, timeout=60) as response:  # noqa: S310 (local)
        tracker: dict[str, Any] = json.loads(response.read())
    return tracker


async def _bot_text_with(client: RecordingClient, mark: int, needle: str) -> str:
    said = await client.wait_for(
        "bot_uttered",
        lambda d: sender_of(d) == "bot" and needle in (text_of(d) or ""),
        TURN_SECONDS,
        mark,
    )
    return text_of(said) or ""


async def test_mid_form_slots_survive_sigkill_of_the_rasa_server_that_set_them(
    cluster: Cluster, clients
):
    client, confirm = await customer(clients, cluster.lb_url)
    mark = client.mark()
    await say(client, confirm, "hey, has my order been sent out yet?")
    await _bot_text_with(client, mark, "order number")

    before = rasa_served(cluster)
    mark = client.mark()
    await say(client, confirm, "ORD-104233")
    await _bot_text_with(client, mark, "email")  # mid-form: order_number set, email asked
    served = served_since(cluster, before)
    assert len(served) == 1, served
    victim = rasa_index(cluster, served[0])
    survivor = cluster.rasa_url(2 if victim == 1 else 1)

    cluster.signal(f"rasa{victim}")  # SIGKILL: no shutdown, nothing flushed
    before = rasa_served(cluster)
    mark = client.mark()
    await say(client, confirm, "alice@example.com")
    # The survivor finishes the form with the order number the dead server had stored.
    answer = await _bot_text_with(client, mark, "104233")
    assert answer
    assert served_since(cluster, before) == [survivor]
    assert client.of("handoff_status") == []


async def test_hand_back_resumes_the_bot_on_whichever_server_answers(cluster: Cluster, clients):
    desk = await agent(clients, cluster.hub_url(1))
    client, confirm = await customer(clients, cluster.lb_url)
    # A topic that always needs a person: the bot collects the order, records the dispute,
    # hands off and pauses itself in its tracker.
    mark = client.mark()
    await say(client, confirm, "I want to dispute a charge")
    await _bot_text_with(client, mark, "order number")
    mark = client.mark()
    await say(client, confirm, "ORD-104233")
    await _bot_text_with(client, mark, "email")
    before = rasa_served(cluster)
    mark = client.mark()
    await say(client, confirm, "alice@example.com")
    status = await client.wait_for(
        "handoff_status", lambda d: d["state"] == "queued", TURN_SECONDS, mark
    )
    assert status["reason"] != "bot_failure"
    served = served_since(cluster, before)
    assert len(served) == 1, served
    pauser = rasa_index(cluster, served[0])

    offer = await desk.wait_for("offer", timeout=60)
    await desk.call("claim", {"conversation_id": offer["conversation_id"]}, timeout=30)
    await desk.call(
        "reply", {"conversation_id": offer["conversation_id"], "text": "Sorted, over to the bot."}
    )
    cluster.signal(f"rasa{pauser}")  # the server that paused the conversation is gone
    other = cluster.rasa_url(2 if pauser == 1 else 1)
    assert (
        _tracker(cluster, other, session_ref(confirm["session_id"]))["paused"] is True
    )  # shared store
    before = rasa_served(cluster)
    mark = client.mark()
    result = await desk.call(
        "hand_back", {"conversation_id": offer["conversation_id"]}, timeout=TURN_SECONDS
    )
    assert result == {"state": "bot"}
    await client.wait_for(
        "handoff_status", lambda d: d["state"] == "bot_resumed", TURN_SECONDS, mark
    )
    assert served_since(cluster, before) == [other]
    assert _tracker(cluster, other, session_ref(confirm["session_id"]))["paused"] is False

    # The bot answers again (it is no longer paused), on the server that is up.
    mark = client.mark()
    await say(client, confirm, "when is my next payment due?")
    reply = await bot_reply(client, mark)
    assert sender_of(reply) == "bot"
    assert [s for s in client.of("handoff_status")[-1:] if s["state"] == "queued"] == []
