"""Routing a customer message by the state after it was stored, with and without a re-read.

A message stored while the bot had the conversation is routed after earlier turns; a handoff
may have landed in between. A hub that is its store's only writer skips re-reading the state
when no transition started since just before the message was stored
(``BotTurns._route``); these tests commit transitions in exactly that gap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from connectors.app import CUSTOMERS, TURNS
from hub.domain.views import MessageView, StoredMessage
from hub.services.wiring import HubServices
from tests.hub.clients import sender_of
from tests.hub.conftest import HubFactory, RunningHub, new_customer, online_agent

DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
def route_database(request: pytest.FixtureRequest) -> str | None:
    """None for the hub's own SQLite file, else a fresh PostgreSQL database's URL."""
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def any_hub(route_database: str | None, hub_factory: HubFactory) -> RunningHub:
    """A hub on SQLite (calls inline, re-read skipped when safe) or PostgreSQL (always read)."""
    if route_database is None:
        hub = await hub_factory()
        assert hub.runner.app[CUSTOMERS].calls.inline_short_calls
        return hub
    hub = await hub_factory(database_url=route_database)
    assert not hub.runner.app[CUSTOMERS].calls.inline_short_calls
    return hub


def _in_a_worker_thread(action: Callable[[], Any]) -> None:
    """Run ``action`` to completion in another thread, as an agent's or a sweep's call is."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(10)
    assert not worker.is_alive()
    if errors:
        raise errors[0]


def _after_store(
    service: HubServices, monkeypatch: pytest.MonkeyPatch, then: Callable[[str], None]
) -> None:
    """Make ``record_customer_message`` run ``then(conversation_id)`` right after storing."""
    real = service.messages.record_customer_message

    def store_then(
        conversation_id: str, text: str, client_msg_id: str | None, page: str | None = None
    ) -> StoredMessage:
        stored = real(conversation_id, text, client_msg_id, page)
        then(conversation_id)
        return stored

    monkeypatch.setattr(service.messages, "record_customer_message", store_then)


def _count_state_reads(service: HubServices, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    real = service.sessions.conversation_state

    def spy(conversation_id: str) -> str:
        reads.append(conversation_id)
        return real(conversation_id)

    monkeypatch.setattr(service.sessions, "conversation_state", spy)
    return reads


async def test_a_handoff_committed_between_store_and_route_sends_the_message_to_agents(
    any_hub: RunningHub, clients, fake_rasa, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = any_hub
    await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    service = hub.service

    def hand_off(conversation_id: str) -> None:
        outcome = service.handoffs.request_handoff(
            conversation_id, "explicit_request", None, [], "wants a person", 1.0
        )
        assert outcome.state == "queued"

    _after_store(service, monkeypatch, lambda c: _in_a_worker_thread(lambda: hand_off(c)))
    relayed: list[MessageView] = []
    namespace = hub.runner.app[CUSTOMERS]
    assert namespace.agents is not None
    real_relay = namespace.agents.relay_message

    async def relay_spy(conversation_id: str, message: MessageView) -> None:
        relayed.append(message)
        await real_relay(conversation_id, message)

    monkeypatch.setattr(namespace.agents, "relay_message", relay_spy)
    reads = _count_state_reads(service, monkeypatch)

    ack = await customer.call(
        "user_uttered", {"message": "what about my refund", "session_id": confirm["session_id"]}
    )
    await hub.runner.app[TURNS].drain()

    assert ack["duplicate"] is False
    assert fake_rasa.webhook_calls == []  # the message never reached the paused bot
    assert [(m.id, m.text) for m in relayed] == [(ack["id"], "what about my refund")]
    assert len(reads) == 1  # the transition forced the read, also where reads are skipped
    assert not [e for e in customer.of("bot_uttered") if sender_of(e) == "bot"]


async def test_a_transition_elsewhere_makes_the_route_read_the_state_again(
    hub: RunningHub, clients, fake_rasa, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count is per process, not per conversation: any transition costs one read."""
    await online_agent(clients, hub)
    customer, confirm = await new_customer(clients, hub)
    service = hub.service
    other = service.sessions.open_session(None, None).conversation_id

    def hand_off_other(_conversation_id: str) -> None:
        _in_a_worker_thread(
            lambda: service.handoffs.request_handoff(other, "explicit_request", None, [], "s", 1.0)
        )

    _after_store(service, monkeypatch, hand_off_other)
    reads = _count_state_reads(service, monkeypatch)
    await customer.call("user_uttered", {"message": "hello", "session_id": confirm["session_id"]})
    reply = await customer.wait_for("bot_uttered", lambda d: sender_of(d) == "bot")
    assert reply["text"] == "bot reply to: hello"
    assert len(reads) == 1
    assert service.sessions.conversation_state(other) == "queued"


async def test_without_a_transition_the_route_trusts_the_stored_state(
    hub: RunningHub, clients, fake_rasa, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer, confirm = await new_customer(clients, hub)
    reads = _count_state_reads(hub.service, monkeypatch)
    for text in ("one", "two"):
        mark = customer.mark()
        await customer.call("user_uttered", {"message": text, "session_id": confirm["session_id"]})
        reply = await customer.wait_for("bot_uttered", after=mark)
        assert reply["text"] == f"bot reply to: {text}"
    assert reads == []
