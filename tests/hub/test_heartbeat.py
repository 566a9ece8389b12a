"""Presence heartbeat through the running hub: live agents stay routable, ghosts do not."""

from __future__ import annotations

import asyncio

import pytest

from hub.settings import SettingsError
from tests.hub.conftest import AGENT_PASSWORD, make_settings, new_customer, online_agent

TIMEOUT = 0.6
BEAT = 0.1


async def test_a_connected_agent_stays_available_past_the_timeout(hub_factory, clients, fake_rasa):
    hub = await hub_factory(presence_timeout_seconds=TIMEOUT, heartbeat_interval_seconds=BEAT)
    await online_agent(clients, hub)
    await asyncio.sleep(TIMEOUT * 2)  # only the heartbeat keeps last_seen_at fresh
    customer, confirm = await new_customer(clients, hub)
    assert await customer.call("request_human", {"session_id": confirm["session_id"]}) == {
        "state": "queued"
    }


async def test_agents_of_a_dead_hub_are_offline_and_lose_their_conversations(
    hub_factory, clients, fake_rasa
):
    hub = await hub_factory(
        presence_timeout_seconds=TIMEOUT, heartbeat_interval_seconds=BEAT, grace_seconds=0.3
    )
    # A "ghost": online in the database, but no hub process is beating for them (as when the
    # process holding their socket was killed).
    ghost = hub.service.agents.create("ghost", "Ghost", "agent", ["payments"], AGENT_PASSWORD)
    hub.service.presence.set_presence(ghost.agent_id, "online")
    customer, confirm = await new_customer(clients, hub)
    await customer.call("request_human", {"session_id": confirm["session_id"]})
    conversation_id = hub.service.sessions.open_session(confirm["session_id"], None).conversation_id
    hub.service.work.claim(ghost.agent_id, conversation_id)

    requeued = await customer.wait_for(
        "handoff_status", lambda d: d["state"] == "queued" and d.get("requeued") is True
    )
    assert requeued["position"] == 1
    view = hub.service.sessions.get_conversation(conversation_id)
    assert (view.state, view.owner_agent_id) == ("queued", None)

    # Nobody real is online: a new request is told so honestly instead of waiting forever.
    other, other_confirm = await new_customer(clients, hub)
    ack = await other.call("request_human", {"session_id": other_confirm["session_id"]})
    assert ack == {"state": "no_agents"}


def test_a_timeout_shorter_than_two_beats_is_refused(tmp_path, database_url):
    with pytest.raises(SettingsError, match="HUB_HEARTBEAT_INTERVAL"):
        make_settings(
            tmp_path,
            database_url,
            "http://127.0.0.1:9",
            presence_timeout_seconds=1,
            heartbeat_interval_seconds=0.6,
        )
