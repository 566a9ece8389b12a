"""Fixtures that run the real hub on a random port, with a fake (or real) Rasa.

Each test gets its own SQLite file, its own fake Rasa and its own hub, so nothing is
shared between tests and they can run in any order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from argon2 import PasswordHasher

from common.identity import mint_customer_token
from connectors.app import create_app
from connectors.http import SERVICES
from hub.services.wiring import HubServices
from hub.settings import HubSettings, load_policy
from migrations.runner import upgrade
from store.db import create_engine_from_url, make_session_factory
from store.seed import seed_demo_data
from tests.hub.clients import RecordingClient
from tests.hub.fake_rasa import AUTH_TOKEN, FakeRasa

TOKEN_SECRET = "test-customer-secret-0123456789abcdef"
AGENT_PASSWORD = "correct horse battery staple"

HUB_YML = """\
default_queue: payments
grace_period_seconds: {grace}
presence_timeout_seconds: {presence}
language_fallback_to_anyone: {fallback}
queues:
  payments: {{display_name: Payments, hours: always}}
  disputes: {{display_name: Disputes, hours: always}}
  collections: {{display_name: Collections, hours: always}}
"""


@dataclass
class RunningHub:
    """One running hub app on 127.0.0.1 and a random port."""

    settings: HubSettings
    runner: web.AppRunner
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def service(self) -> HubServices:
        return self.runner.app[SERVICES]  # type: ignore[union-attr]

    async def stop(self) -> None:
        await self.runner.cleanup()


def cheap_hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


async def start_hub(
    settings: HubSettings, password_hasher: PasswordHasher | None = None
) -> RunningHub:
    app = create_app(settings, password_hasher=password_hasher or cheap_hasher())
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", settings.port).start()
    return RunningHub(settings, runner, runner.addresses[0][1])


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    rasa = FakeRasa()
    await rasa.start()
    yield rasa
    await rasa.stop()


@pytest.fixture
def database_url(migrated_sqlite: Callable[..., str]) -> str:
    """A fresh SQLite database at the migrations' head with the demo payments data seeded."""
    url = migrated_sqlite("hub.db")
    engine = create_engine_from_url(url)
    seed_demo_data(make_session_factory(engine), date.today())
    engine.dispose()
    return url


def make_settings(
    tmp_path: Path, database_url: str, rasa_url: str, **overrides: Any
) -> HubSettings:
    grace = overrides.pop("grace_seconds", 60)
    presence = overrides.pop("presence_timeout_seconds", 60)
    fallback = "true" if overrides.pop("language_fallback", True) else "false"
    config = tmp_path / "hub.yml"
    config.write_text(
        HUB_YML.format(grace=grace, presence=presence, fallback=fallback), encoding="utf-8"
    )
    values: dict[str, Any] = {
        "database_url": database_url,
        "rasa_url": rasa_url,
        "rasa_auth_token": AUTH_TOKEN,
        "customer_token_secret": TOKEN_SECRET,
        "host": "127.0.0.1",
        "port": 0,
        "demo": False,
        "rasa_timeout_seconds": 0.5,
        "rasa_failure_threshold": 2,
        "requeue_interval_seconds": 0.1,
        "static_dir": tmp_path / "static",
        "policy": load_policy(config),
    }
    return HubSettings(**{**values, **overrides})


HubFactory = Callable[..., Awaitable[RunningHub]]


@pytest.fixture
async def hub_factory(
    tmp_path: Path, database_url: str, fake_rasa: FakeRasa
) -> AsyncIterator[HubFactory]:
    """Start hubs (several, e.g. to restart one over the same database); all stopped after.

    A ``database_url`` given here is migrated first, as ``make run`` does before starting the
    hub (``migrate=False`` to start on it as it is); an in-memory one is the app's own.
    """
    running: list[RunningHub] = []

    async def factory(**overrides: Any) -> RunningHub:
        url = overrides.pop("database_url", database_url)
        if overrides.pop("migrate", True) and url != database_url and url != "sqlite://":
            upgrade(url)
        rasa_url = overrides.pop("rasa_url", fake_rasa.url)
        hasher = overrides.pop("password_hasher", None)
        settings = make_settings(tmp_path, url, rasa_url, **overrides)
        started = await start_hub(settings, hasher)
        running.append(started)
        return started

    yield factory
    for item in running:
        await item.stop()


@pytest.fixture
async def hub(hub_factory: HubFactory) -> RunningHub:
    return await hub_factory()


@pytest.fixture
async def clients() -> AsyncIterator[Callable[..., RecordingClient]]:
    """Make Socket.IO clients; all are disconnected at the end of the test."""
    made: list[RecordingClient] = []

    def make(url: str, namespace: str = "/") -> RecordingClient:
        client = RecordingClient(url, namespace)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.disconnect()


def customer_token(customer_ref: str) -> str:
    return mint_customer_token(customer_ref, TOKEN_SECRET)


async def new_customer(
    make: Callable[..., RecordingClient],
    hub: RunningHub,
    *,
    token: str | None = None,
    session: dict[str, Any] | None = None,
) -> tuple[RecordingClient, dict[str, Any]]:
    """Connect a customer and bind a session; returns the client and session_confirm."""
    client = make(hub.url)
    await client.connect(auth={"token": token} if token else None)
    confirm = await client.call("session_request", session or {"session_id": None})
    return client, confirm


async def login(hub: RunningHub, username: str, password: str = AGENT_PASSWORD) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{hub.url}/api/agent/login", json={"username": username, "password": password}
        ) as response,
    ):
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body


async def online_agent(
    make: Callable[..., RecordingClient],
    hub: RunningHub,
    username: str = "ana",
    *,
    role: str = "agent",
    queues: tuple[str, ...] = ("payments", "disputes"),
    languages: tuple[str, ...] = ("en",),
) -> RecordingClient:
    """Create an agent account, log in, connect to /agent and go online."""
    hub.service.agents.create(
        username, username.capitalize(), role, list(queues), AGENT_PASSWORD, None, list(languages)
    )
    session = await login(hub, username)
    agent = make(hub.url, "/agent")
    await agent.connect(auth={"token": session["token"]})
    ack = await agent.call("presence", {"status": "online"})
    assert ack == {"presence": "online"}
    return agent
