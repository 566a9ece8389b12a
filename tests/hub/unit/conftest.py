"""Fixtures for the hub's domain tests: a fake clock, a private SQLite store, a service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from argon2 import PasswordHasher

from hub.domain.policy import HubConfig
from hub.persistence.store import HubStore
from hub.services.wiring import HubServices, build_services

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)  # a Tuesday
PASSWORD = "correct horse battery"


@dataclass
class FakeClock:
    """A clock tests move by hand."""

    now: datetime = field(default=T0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def cheap_hasher() -> PasswordHasher:
    """argon2id with minimal cost: the same code path, milliseconds instead of ~100 ms."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_url(migrated_sqlite: Callable[..., str]) -> str:
    """A private SQLite file at the migrations' head (payments and hub tables)."""
    return migrated_sqlite("hub.db")


@pytest.fixture
def hub_store(db_url: str) -> Iterator[HubStore]:
    store = HubStore.from_url(db_url)
    yield store
    store.dispose()


@pytest.fixture
def config() -> HubConfig:
    return HubConfig()


@pytest.fixture
def make_service(hub_store, clock, config) -> Callable[..., HubServices]:
    def build(**overrides: Any) -> HubServices:
        return build_services(
            overrides.get("store", hub_store),
            overrides.get("payments"),
            overrides.get("config", config),
            overrides.get("clock", clock),
            password_hasher=cheap_hasher(),
        )

    return build


@pytest.fixture
def service(make_service: Callable[..., HubServices]) -> HubServices:
    return make_service()


@pytest.fixture
def make_agent(service: HubServices) -> Callable[..., int]:
    """Create an agent (online by default) and return their id."""
    counter = iter(range(1, 1000))

    def build(
        queues: tuple[str, ...] = ("payments",),
        *,
        role: str = "agent",
        capacity: int = 2,
        presence: str = "online",
        username: str | None = None,
    ) -> int:
        name = username or f"agent{next(counter)}"
        view = service.agents.create(name, name.title(), role, list(queues), PASSWORD, capacity)
        if presence != "offline":
            service.presence.set_presence(view.agent_id, presence)
        return view.agent_id

    return build


@pytest.fixture
def queued(service: HubServices, clock: FakeClock) -> Callable[..., str]:
    """Open an anonymous session, say something, hand off; return the conversation id."""

    def build(queue: str = "payments", reason: str = "explicit_request") -> str:
        grant = service.sessions.open_session(None, None)
        service.messages.record_message(grant.conversation_id, "customer", "hi", None, None, None)
        outcome = service.handoffs.request_handoff(
            grant.conversation_id, reason, queue, [], "summary", 0.9
        )
        assert outcome.state == "queued"
        clock.advance(1)
        return grant.conversation_id

    return build
