"""Customer, bot and system messages are stored with Core statements, not the ORM session.

``HubService._record_plain`` must give exactly what the ORM path gives (the same views,
``created`` flags, states, errors, transcript and audit trail) on SQLite and PostgreSQL; the
rare cases it hands over (a customer reopening a closed conversation, agent messages, a
repeat that got past the look-up) still go through the ORM path.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import text

from hub.config import HubConfig
from hub.errors import HubError
from hub.service import HubService
from hub.store import HubStore
from store.db import create_engine_from_url

from .conftest import PASSWORD, FakeClock, cheap_hasher

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
BUTTONS = {"buttons": [{"title": "ORD-1", "payload": '/inform{"order_number":"ORD-1"}'}]}


@pytest.fixture(params=BACKENDS)
def new_database(request: pytest.FixtureRequest, tmp_path) -> Iterator[Callable[[], str]]:
    """Make fresh, empty databases of one backend (every id sequence starts at 1)."""
    made: list[str] = []

    def make() -> str:
        name = f"test_{uuid.uuid4().hex[:12]}"
        if request.param == "sqlite":
            return f"sqlite:///{tmp_path / name}.db"
        cluster = request.getfixturevalue("postgres_cluster")
        admin = create_engine_from_url(cluster.url())
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        made.append(name)
        return str(cluster.url(name))

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
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {k: _plain(v, random_ids) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, random_ids) for v in value]
    return random_ids.get(value, value) if isinstance(value, str) else value


def _scenario(url: str, *, orm_only: bool, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every kind of message in every state, on a fresh database; returns all outcomes."""
    store = HubStore.from_url(url)
    clock = FakeClock()
    service = HubService(store, None, HubConfig(), clock, password_hasher=cheap_hasher())
    with monkeypatch.context() as patch:
        if orm_only:
            patch.setattr(service, "_record_plain", lambda *args: None)
        try:
            return _run(service, clock)
        finally:
            store.dispose()


def _run(service: HubService, clock: FakeClock) -> list[Any]:
    agents = []
    for name in ("ana", "bob"):
        view = service.agents.create(name, name.title(), "agent", ["payments"], PASSWORD, 2)
        service.set_presence(view.agent_id, "online")
        agents.append(view.agent_id)
    ana, bob = agents
    grant = service.open_session(None, None, None)
    conv = grant.conversation_id
    random_ids = {conv: "<conversation>", grant.session_id: "<session>"}
    outcomes: list[Any] = []

    def attempt(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        try:
            result: Any = fn(*args, **kwargs)
        except HubError as exc:
            result = ("error", type(exc).__name__, str(exc))
        outcomes.append(_plain(result, random_ids))
        clock.advance(1)

    customer, record = service.record_customer_message, service.record_message
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
    attempt(service.request_handoff, conv, "explicit_request", "payments", [], "summary", 1.0)
    attempt(customer, conv, "still there?", "c-2")  # queued
    attempt(service.claim, ana, conv)
    attempt(record, conv, "bot", "not now", None, None, None)  # an agent owns it
    attempt(record, conv, "bot", "repeat", None, None, "b-1")  # a repeat is answered first
    attempt(customer, conv, "to the agent", "c-3")
    attempt(service.agent_reply, ana, conv, "Hi, I'm Ana.", "a-1")
    attempt(service.agent_reply, ana, conv, "Hi, I'm Ana.", "a-1")
    attempt(record, conv, "agent", "me too", None, None, None, agent_id=bob)
    attempt(service.close, ana, conv, "resolved")
    attempt(customer, conv, "hi again", "c-1")  # a repeat does not reopen
    attempt(record, conv, "bot", "closed bot", None, None, None)
    attempt(customer, conv, "back again", "c-4")  # reopens with the bot
    attempt(customer, conv, "back again", "c-4")
    attempt(customer, conv, "and more", None)
    attempt(service.messages_after, conv, None)
    attempt(service.get_conversation, conv)
    attempt(service.transitions, conv)
    return outcomes


def test_plain_messages_match_the_orm_path(
    new_database: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    orm = _scenario(new_database(), orm_only=True, monkeypatch=monkeypatch)
    plain = _scenario(new_database(), orm_only=False, monkeypatch=monkeypatch)
    assert plain == orm
    # The scenario reached every case it is meant to compare.
    flat = repr(orm)
    for expected in ("NotFound", "NotAllowed", "ValidationFailed", "'reopen'", "'closed'"):
        assert expected in flat, expected


def test_plain_path_stores_and_answers_repeats_without_the_orm(
    service: HubService, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_orm(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the ORM path ran")

    conv = service.open_session(None, None, None).conversation_id
    monkeypatch.setattr(HubStore, "transaction", no_orm)
    first = service.record_customer_message(conv, "hi", "c-1")
    repeat = service.record_customer_message(conv, "hi", "c-1")
    reply, created = service.record_message(conv, "bot", "hello", BUTTONS, None, None)
    assert (first.created, repeat.created, created) == (True, False, True)
    assert repeat.message == first.message
    assert (first.state, repeat.state) == ("bot", "bot")
    assert reply.payload == BUTTONS
    assert reply.id > first.message.id


def test_a_repeat_that_gets_past_the_look_up_is_answered_by_the_orm_path(
    hub_store: HubStore, service: HubService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unique constraint is the backstop: the plain insert fails, the ORM path answers."""
    conv = service.open_session(None, None, None).conversation_id
    first = service.record_customer_message(conv, "hi", "c-1")
    monkeypatch.setattr(hub_store, "message_row_by_client_id", lambda *args: None)
    repeat = service.record_customer_message(conv, "hi", "c-1")
    assert (repeat.created, repeat.message) == (False, first.message)
    assert [m.text for m in service.messages_after(conv, None)] == ["hi"]
    assert service.get_conversation(conv).last_message_id == first.message.id


def test_open_session_creates_and_resumes_with_core_statements(
    service: HubService, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_orm(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the ORM path ran")

    monkeypatch.setattr(HubStore, "transaction", no_orm)
    anonymous = service.open_session(None, None, None)
    known = service.open_session(None, "cus_alice", None)
    assert (anonymous.created, anonymous.state, anonymous.customer_ref) == (True, "bot", None)
    assert anonymous.session_key is not None
    assert known.session_key is None
    again = service.open_session(anonymous.session_id, None, anonymous.session_key)
    assert (again.conversation_id, again.created) == (anonymous.conversation_id, False)
    mine = service.open_session(known.session_id, "cus_alice", None)
    assert (mine.conversation_id, mine.created, mine.customer_ref) == (
        known.conversation_id,
        False,
        "cus_alice",
    )
    # Someone else's session id gets a new conversation, never theirs.
    stranger = service.open_session(known.session_id, "cus_bob", None)
    assert stranger.created
    assert stranger.conversation_id != known.conversation_id
    view = service.get_conversation(anonymous.conversation_id)
    assert (view.state, view.priority, view.queue, view.last_message_id) == ("bot", 0, None, None)
    assert view.created_at == view.updated_at
    assert view.created_at.tzinfo is not None


def test_state_changes_count_every_transition_and_nothing_else(
    hub_store: HubStore,
    service: HubService,
    make_agent: Callable[..., int],
    queued: Callable[..., str],
) -> None:
    agent = make_agent()
    before = service.state_changes
    conv = service.open_session(None, None, None).conversation_id
    service.record_customer_message(conv, "hi", "c-1")
    service.record_message(conv, "bot", "hello", None, None, None)
    service.conversation_state(conv)
    assert service.state_changes == before  # no transition
    conv = queued()  # handoff
    assert service.state_changes == before + 1
    service.claim(agent, conv)
    service.close(agent, conv, "resolved")
    service.record_customer_message(conv, "back", None)  # reopen
    assert service.state_changes == before + 4
    assert hub_store.state_changes == service.state_changes
