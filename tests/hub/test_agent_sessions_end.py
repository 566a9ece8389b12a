"""Agent sessions that really end: a logout, an expiry or a revocation cuts the sockets off.

Before, a logged-out socket stayed connected and kept receiving its conversations' messages
and the queue pushes until it happened to send an event (issue 13).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from hub.domain.policy import HubConfig
from tests.hub.conftest import AGENT_PASSWORD, RunningHub, login, new_customer, online_agent

QUIET_SECONDS = 0.5


async def _logout(hub: RunningHub, token: str) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{hub.url}/api/agent/logout", headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        assert response.status == 204


async def test_logout_cuts_off_every_open_socket_of_that_session_at_once(hub, clients):
    agent = await online_agent(clients, hub)
    token = agent.sio.connection_auth["token"]
    second_tab = clients(hub.url, "/agent")
    await second_tab.connect(auth={"token": token})
    supervisor = await online_agent(clients, hub, "sam", role="supervisor", queues=())
    customer, confirm = await new_customer(clients, hub)
    await customer.call("request_human", {"session_id": confirm["session_id"]})
    offer = await agent.wait_for("offer")
    conversation_id = offer["conversation_id"]
    await agent.call("claim", {"conversation_id": conversation_id})

    await _logout(hub, token)
    marks = {id(tab): tab.mark() for tab in (agent, second_tab)}
    # Straight after the 204, before any event from the tabs: nothing more reaches them.
    await customer.call(
        "user_uttered",
        {"message": "my card is 4111 1111 1111 1111", "session_id": confirm["session_id"]},
    )
    other, other_confirm = await new_customer(clients, hub)
    await other.call("request_human", {"session_id": other_confirm["session_id"]})
    await supervisor.wait_for("queue", lambda d: len(d["waiting"]) == 1)
    await asyncio.sleep(QUIET_SECONDS)
    for tab in (agent, second_tab):
        await tab.dropped()
        after = [name for name, _ in tab.events[marks[id(tab)] :]]
        assert "message" not in after
        assert "queue" not in after
        assert "offer" not in after
        errors = [e for e in tab.of("error") if e["code"] == "unauthorized"]
        assert errors, tab.events
    assert supervisor.sio.connected  # another session is untouched


async def _cut_off_within(agent: Any, seconds: float) -> None:
    await agent.wait_for("error", lambda d: d["code"] == "unauthorized", timeout=seconds)
    await agent.dropped(timeout=seconds)


@pytest.mark.parametrize("how", ["expired", "password_changed", "deactivated"])
async def test_sockets_of_sessions_that_expired_or_were_revoked_are_dropped(
    hub_factory, clients, how
):
    ttl = timedelta(seconds=1) if how == "expired" else timedelta(hours=8)
    hub = await hub_factory(policy=HubConfig(session_ttl=ttl), session_check_interval_seconds=0.1)
    agent = await online_agent(clients, hub)
    if how == "password_changed":  # the operators' command, from another process
        hub.service.agents.set_password("ana", "a brand new secret")
    elif how == "deactivated":
        hub.service.agents.set_active("ana", False)
    await _cut_off_within(agent, 3.0)


async def test_a_live_session_is_not_dropped_by_the_check(hub_factory, clients):
    hub = await hub_factory(session_check_interval_seconds=0.05)
    agent = await online_agent(clients, hub)
    await asyncio.sleep(QUIET_SECONDS)
    assert agent.sio.connected
    assert await agent.call("presence", {"status": "online"}) == {"presence": "online"}
    assert not agent.of("error")


async def test_a_new_login_of_the_same_agent_keeps_working_after_an_old_logout(hub, clients):
    agent = await online_agent(clients, hub)
    fresh = await login(hub, "ana", AGENT_PASSWORD)
    other_tab = clients(hub.url, "/agent")
    await other_tab.connect(auth={"token": fresh["token"]})
    await _logout(hub, agent.sio.connection_auth["token"])
    await agent.dropped()
    assert other_tab.sio.connected
    ack = await other_tab.call("presence", {"status": "online"})
    assert ack == {"presence": "online"}
