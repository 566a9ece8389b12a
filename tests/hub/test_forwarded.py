"""``X-Forwarded-For`` names the client only when a trusted proxy sent it.

Per-client limits (login throttle, new conversations per address) key on the client address.
A header any client can write must not pick that key, or one client gets a fresh budget per
request; behind a configured proxy (``HUB_TRUSTED_PROXIES``) the header is what tells the
clients apart.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp.test_utils import make_mocked_request

from connectors.client_address import client_address, parse_networks
from hub.domain.policy import HubConfig
from hub.settings import HubSettings, SettingsError
from tests.hub.conftest import HubFactory, RunningHub


def _request(peer: str, forwarded: str | None) -> Any:
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    request = make_mocked_request("GET", "/", headers=headers)
    return request.clone(remote=peer)


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.9", "198.51.100.1", "", "203.0.113.9"),  # nothing trusted: the peer
        ("127.0.0.1", "198.51.100.1", "", "127.0.0.1"),
        ("203.0.113.9", "198.51.100.1", "127.0.0.1", "203.0.113.9"),  # peer not a proxy
        ("127.0.0.1", "198.51.100.1", "127.0.0.1", "198.51.100.1"),
        # The client may send its own header: the rightmost hop not a proxy is the client.
        ("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.1", "10.0.0.0/8", "198.51.100.1"),
        ("127.0.0.1", None, "127.0.0.1", "127.0.0.1"),  # no header: the proxy itself
        ("127.0.0.1", "not-an-address", "127.0.0.1", "127.0.0.1"),
        ("::1", "2001:db8::7", "::1", "2001:db8::7"),
    ],
)
def test_client_address(peer: str, forwarded: str | None, trusted: str, expected: str) -> None:
    networks = parse_networks(trusted.split(",")) if trusted else ()
    assert client_address(_request(peer, forwarded), networks) == expected


def test_trusted_proxies_must_be_addresses() -> None:
    with pytest.raises(SettingsError):
        HubSettings(trusted_proxies=("proxy.example",))
    env = {"HUB_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}
    assert HubSettings.from_env(env).trusted_proxies == ("127.0.0.1", "10.0.0.0/8")


async def _failed_logins(hub: RunningHub, addresses: list[str]) -> list[int]:
    statuses = []
    async with aiohttp.ClientSession() as http:
        for index, address in enumerate(addresses):
            async with http.post(
                f"{hub.url}/api/agent/login",
                json={"username": f"nobody{index}", "password": "wrong password"},
                headers={"X-Forwarded-For": address},
            ) as response:
                statuses.append(response.status)
    return statuses


def _tight(**changes: Any) -> HubConfig:
    return dataclasses.replace(HubConfig(), **changes)


async def test_a_forged_header_does_not_escape_the_login_throttle(hub_factory: HubFactory):
    hub = await hub_factory(policy=_tight(login_client_burst=3, login_client_per_minute=1))
    forged = [f"198.51.100.{n}" for n in range(1, 7)]  # a new "address" every time
    statuses = await _failed_logins(hub, forged)
    assert statuses[:3] == [401, 401, 401]
    assert statuses[3:] == [429, 429, 429]  # all charged to the real peer


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget(
    hub_factory: HubFactory,
):
    hub = await hub_factory(
        policy=_tight(login_client_burst=3, login_client_per_minute=1),
        trusted_proxies=("127.0.0.1",),
    )
    distinct = await _failed_logins(hub, [f"198.51.100.{n}" for n in range(1, 7)])
    assert distinct == [401] * 6
    same = await _failed_logins(hub, ["192.0.2.50"] * 5)
    assert same == [401, 401, 401, 429, 429]  # the header is the key, not the proxy


async def _new_conversations(hub: RunningHub, addresses: list[str]) -> list[bool]:
    """One socket per address; whether each could open a conversation."""
    opened = []
    for address in addresses:
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(
            hub.url, headers={"X-Forwarded-For": address}, transports=["websocket"]
        )
        try:
            ack = await client.call("session_request", {"session_id": None}, timeout=10)
        finally:
            await client.disconnect()
        opened.append(isinstance(ack, dict) and "session_id" in ack)
    return opened


async def test_a_forged_header_does_not_escape_the_conversation_limit(hub_factory: HubFactory):
    hub = await hub_factory(policy=_tight(max_conversations_per_address_per_minute=2))
    assert await _new_conversations(hub, ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) == [
        True,
        True,
        False,
    ]


async def test_a_trusted_proxy_forwards_the_conversation_limit_per_client(
    hub_factory: HubFactory,
):
    hub = await hub_factory(
        policy=_tight(max_conversations_per_address_per_minute=2),
        trusted_proxies=("127.0.0.1",),
    )
    addresses = ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.3", "198.51.100.3"]
    assert await _new_conversations(hub, addresses) == [True, True, True, True, False]
