"""One write path for every message (``MessageService.record``), in Core statements.

Customer, bot and system messages never open an ORM session; every rule (idempotent client
ids, who may speak in which state, a customer reopening a closed conversation, the agent's
first reply) gives the same outcomes on SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import text

from hub.domain.errors import HubError
from hub.domain.policy import HubConfig
from hub.persistence.store import HubStore
from hub.services.sessions import session_ref
from hub.services.wiring import HubServices, build_services
from migrations.runner import upgrade
from store.db import create_engine_from_url

from .conftest import PASSWORD, FakeClock, cheap_hasher

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
BUTTONS = {"buttons": [{"title": "ORD-1", "payload": '/inform{"order_number":"ORD-1"}'}]}


@pytest.fixture(params=BACKENDS)
def new_database(request: pytest.FixtureRequest) -> Iterator[Callable[[], str]]:
    """Make fresh databases of one backend at the migrations' head (every id sequence at 1)."""
    made: list[str] = []

    def make() -> str:
        name = f"test_{uuid.uuid4().hex[:12]}"
        if request.param == "sqlite":
            return str(request.getfixturevalue("migrated_sqlite")(f"{name}.db"))
        cluster = request.getfixturevalue("postgres_cluster")
        admin = create_engine_from_url(cluster.url())
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        made.append(name)
        url = str(cluster.url(name))
        upgrade(url)
        return url

    yield make
    if made:
        cluster = request.getfixturevalue("postgres_cluster")
        admin = create_engine_from_url(cluster.url())
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for name in made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _plain(value: Any, random_ids: dict[str, str]) -> Any:
    """A result as comparable data, random ids (conversation, session) replaced by names."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # The fields that make up the value (``compare``), as its ``==`` sees them.
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value) if f.compare}
    if isinstance(value, dict):
        return {k: _plain(v, random_ids) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, random_ids) for v in value]
    return random_ids.get(value, value) if isinstance(value, str) else value


def _scenario(url: str) -> list[Any]:
    """Every kind of message in every state, on a fresh database; returns all outcomes."""
    store = HubStore.from_url(url)
    clock = FakeClock()
    service = build_services(store, None, HubConfig(), clock, password_hasher=cheap_hasher())
    try:
        return _run(service, clock)
    finally:
        store.dispose()


def _run(service: HubServices, clock: FakeClock) -> list[Any]:
    agents = []
    for name in ("ana", "bob"):
        view = service.agents.create(name, name.title(), "agent", ["payments"], PASSWORD, 2)
        service.presence.set_presence(view.agent_id, "online")
        agents.append(view.agent_id)
    ana, bob = agents
    grant = service.sessions.open_session(None, None)
    conv = grant.conversation_id
    random_ids = {conv: "<conversation>", session_ref(grant.session_id): "<session>"}
    outcomes: list[Any] = []

    def attempt(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        try:
            result: Any = fn(*args, **kwargs)
        except HubError as exc:
            result = ("error", type(exc).__name__, str(exc))
        outcomes.append(_plain(result, random_ids))
        clock.advance(1)

    customer, record = service.messages.record_customer_message, service.messages.record_message
    attempt(customer, conv, "hi", "c-1")
    attempt(customer, conv, "hi again", "c-1")  # a retry: the stored message, not created
    attempt(customer, conv, "no client id", None)
    attempt(record, conv, "bot", "Which order?", BUTTONS, None, None)
    attempt(record, conv, "bot", None, {"custom": {"kind": "card"}}, "Bot", "b-1")
    attempt(record, conv, "system", "Queued.", {"handoff_status": "queued"}, None, None)
    attempt(record, conv, "customer", "x", None, None, None, agent_id=ana)
    attempt(record, conv, "customer", None, None, None, None)
    attempt(record, conv, "robot", "x", None, None, None)
    attempt(customer, "no-such-conversation", "hi", None)
    attempt(record, "no-such-conversation", "bot", "hello", None, None, None)
    attempt(
        service.handoffs.request_handoff, conv, "explicit_request", "payments", [], "summary", 1.0
    )
    attempt(customer, conv, "still there?", "c-2")  # queued
    attempt(service.work.claim, ana, conv)
    attempt(record, conv, "bot", "not now", None, None, None)  # an agent owns it
    attempt(record, conv, "bot", "repeat", None, None, "b-1")  # a repeat is answered first
    attempt(customer, conv, "to the agent", "c-3")
    attempt(service.messages.agent_reply, ana, conv, "Hi, I'm Ana.", "a-1")
    attempt(service.messages.agent_reply, ana, conv, "Hi, I'm Ana.", "a-1")
    attempt(record, conv, "agent", "me too", None, None, None, agent_id=bob)
    attempt(service.work.close, ana, conv, "resolved")
    attempt(customer, conv, "hi again", "c-1")  # a repeat does not reopen
    attempt(record, conv, "bot", "closed bot", None, None, None)
    attempt(customer, conv, "back again", "c-4")  # reopens with the bot
    attempt(customer, conv, "back again", "c-4")
    attempt(customer, conv, "and more", None)
    attempt(service.messages.messages_after, conv, None)
    attempt(service.sessions.get_conversation, conv)
    attempt(service.sessions.transitions, conv)
    return outcomes


def test_every_rule_of_the_write_path(new_database: Callable[[], str]) -> None:
    outcomes = _scenario(new_database())
    first, retry, *_ = outcomes
    assert first["created"]
    assert not retry["created"]
    assert retry["message"] == first["message"]
    flat = repr(outcomes)
    for expected in ("NotFound", "NotAllowed", "ValidationFailed", "'reopen'", "'closed'"):
        assert expected in flat, expected
    transitions = [t[2] for t in outcomes[-1]]
    assert transitions == ["handoff", "claim", "close", "reopen"]
    agent_replies = [o for o in outcomes if isinstance(o, dict) and o.get("first_reply_seconds")]
    assert len(agent_replies) == 1  # the first reply after the claim, once


@pytest.mark.postgres
def test_sqlite_and_postgres_agree(
    migrated_sqlite: Callable[[str], Any], postgres_cluster: Any
) -> None:
    sqlite_url = str(migrated_sqlite(f"agree_{uuid.uuid4().hex[:8]}.db"))
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine_from_url(postgres_cluster.url())
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        postgres_url = str(postgres_cluster.url(name))
        upgrade(postgres_url)
        assert _scenario(postgres_url) == _scenario(sqlite_url)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_customer_and_bot_messages_never_open_an_orm_session(
    service: HubServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_orm(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the ORM path ran")

    conv = service.sessions.open_session(None, None).conversation_id
    monkeypatch.setattr(HubStore, "transaction", no_orm)
    first = service.messages.record_customer_message(conv, "hi", "c-1")
    repeat = service.messages.record_customer_message(conv, "hi", "c-1")
    reply, created = service.messages.record_message(conv, "bot", "hello", BUTTONS, None, None)
    assert (first.created, repeat.created, created) == (True, False, True)
    assert repeat.message == first.message
    assert (first.state, repeat.state) == ("bot", "bot")
    assert reply.payload == BUTTONS
    assert reply.id > first.message.id


def test_a_repeat_that_gets_past_the_look_up_is_answered_from_the_unique_constraint(
    hub_store: HubStore, service: HubServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unique constraint is the backstop: the insert fails, the stored message answers."""
    conv = service.sessions.open_session(None, None).conversation_id
    first = service.messages.record_customer_message(conv, "hi", "c-1")
    look_up = hub_store.messages.message_row_by_client_id
    calls: list[int] = []

    def misses_once(*args: Any) -> Any:
        # The first look-up misses, as when another process inserts between it and ours.
        calls.append(1)
        return None if len(calls) == 1 else look_up(*args)

    monkeypatch.setattr(hub_store.messages, "message_row_by_client_id", misses_once)
    repeat = service.messages.record_customer_message(conv, "hi", "c-1")
    assert (repeat.created, repeat.message) == (False, first.message)
    assert [m.text for m in service.messages.messages_after(conv, None)] == ["hi"]
    assert service.sessions.get_conversation(conv).last_message_id == first.message.id


def test_open_session_creates_and_resumes_with_core_statements(
    service: HubServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_orm(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the ORM path ran")

    monkeypatch.setattr(HubStore, "transaction", no_orm)
    anonymous = service.sessions.open_session(None, None)
    known = service.sessions.open_session(None, "cus_alice")
    assert (anonymous.created, anonymous.state, anonymous.customer_ref) == (True, "bot", None)
    assert known.customer_ref == "cus_alice"
    again = service.sessions.open_session(anonymous.session_id, None)
    assert (again.conversation_id, again.created) == (anonymous.conversation_id, False)
    mine = service.sessions.open_session(known.session_id, "cus_alice")
    assert (mine.conversation_id, mine.created, mine.customer_ref) == (
        known.conversation_id,
        False,
        "cus_alice",
    )
    # Someone else's session id gets a new conversation, never theirs.
    stranger = service.sessions.open_session(known.session_id, "cus_bob")
    assert stranger.created
    assert stranger.conversation_id != known.conversation_id
    view = service.sessions.get_conversation(anonymous.conversation_id)
    assert (view.state, view.priority, view.queue, view.last_message_id) == ("bot", 0, None, None)
    assert view.created_at == view.updated_at
    assert view.created_at.tzinfo is not None


def test_state_changes_count_every_transition_and_nothing_else(
    hub_store: HubStore,
    service: HubServices,
    make_agent: Callable[..., int],
    queued: Callable[..., str],
) -> None:
    agent = make_agent()
    before = service.store.state_changes
    conv = service.sessions.open_session(None, None).conversation_id
    service.messages.record_customer_message(conv, "hi", "c-1")
    service.messages.record_message(conv, "bot", "hello", None, None, None)
    service.sessions.conversation_state(conv)
    assert service.store.state_changes == before  # no transition
    conv = queued()  # handoff
    assert service.store.state_changes == before + 1
    service.work.claim(agent, conv)
    service.work.close(agent, conv, "resolved")
    service.messages.record_customer_message(conv, "back", None)  # reopen
    assert service.store.state_changes == before + 4
    assert hub_store.state_changes == service.store.state_changes
