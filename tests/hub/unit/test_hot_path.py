"""The relay's hot path: read snapshots, the per-process writer lock, one-transaction replies.

Also how messages are inserted and the embedded-database check behind inline store calls.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from hub.domain.errors import NotFound, SessionEnded
from hub.domain.policy import HubConfig
from hub.persistence.store import HubStore, create_hub_engine, is_embedded
from hub.services.wiring import HubServices, build_services

from .conftest import PASSWORD, FakeClock, cheap_hasher


def test_file_database_uses_wal_with_normal_sync(hub_store: HubStore) -> None:
    with hub_store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_a_read_does_not_wait_for_a_writer(hub_store: HubStore, service: HubServices) -> None:
    grant = service.sessions.open_session(None, None)
    writing = threading.Event()
    release = threading.Event()

    def hold_the_write_lock() -> None:
        with hub_store.transaction() as s:
            s.execute(text("UPDATE hub_conversations SET priority = priority"))
            writing.set()
            release.wait(5)

    with ThreadPoolExecutor(1) as pool:
        writer = pool.submit(hold_the_write_lock)
        assert writing.wait(5)
        started = time.perf_counter()
        try:
            state = service.sessions.conversation_state(grant.conversation_id)
            waited = time.perf_counter() - started
        finally:
            release.set()
        writer.result(5)
    assert state == "bot"
    assert waited < 1.0  # a reader queued behind the writer would wait until release


def test_concurrent_writers_store_everything_in_id_order(service: HubServices) -> None:
    """Writer threads queue on the process lock: nothing fails, ids grow with commit order."""
    conversations = [service.sessions.open_session(None, None).conversation_id for _ in range(4)]

    def write(n: int) -> int:
        message, created = service.messages.record_message(
            conversations[n % 4], "customer", f"message {n}", None, None, None
        )
        assert created
        return message.id

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(write, range(200)))
    assert len(set(ids)) == 200
    for conversation_id in conversations:
        stored = service.messages.messages_after(conversation_id, None)
        assert len(stored) == 50
        assert [m.id for m in stored] == sorted(m.id for m in stored)
        assert service.sessions.get_conversation(conversation_id).last_message_id == stored[-1].id


def test_conversation_state_of_an_unknown_conversation_is_not_found(service: HubServices) -> None:
    with pytest.raises(NotFound):
        service.sessions.conversation_state("no-such-conversation")


@pytest.fixture
def claimed(
    service: HubServices, make_agent: Callable[..., int], queued: Callable[..., str]
) -> tuple[int, str, str]:
    """(agent id, their session token, a conversation they own)."""
    agent_id = make_agent(username="ana")
    conversation_id = queued()
    service.work.claim(agent_id, conversation_id)
    session = service.agents.login("ana", PASSWORD)
    assert session is not None
    return agent_id, session.token, conversation_id


def test_reply_with_a_live_token_is_stored_in_one_transaction(
    service: HubServices, claimed: tuple[int, str, str]
) -> None:
    agent_id, token, conversation_id = claimed
    reply = service.messages.agent_reply(agent_id, conversation_id, "on it", token=token)
    assert reply.created
    assert reply.message.sender_name == "Ana"
    assert reply.first_reply_seconds is not None
    assert service.messages.messages_after(conversation_id, None)[-1].text == "on it"


@pytest.mark.parametrize("how", ["logged_out", "disabled", "other_agents_token", "garbage"])
def test_reply_with_a_dead_token_is_refused_and_not_stored(
    service: HubServices,
    make_agent: Callable[..., int],
    claimed: tuple[int, str, str],
    how: str,
) -> None:
    agent_id, token, conversation_id = claimed
    if how == "logged_out":
        service.presence.logout(token)
    elif how == "disabled":
        service.agents.set_active("ana", False)
    elif how == "other_agents_token":
        make_agent(username="bob")
        other = service.agents.login("bob", PASSWORD)
        assert other is not None
        token = other.token
    else:
        token = "x" * 300
    before = service.messages.messages_after(conversation_id, None)
    with pytest.raises(SessionEnded):
        service.messages.agent_reply(agent_id, conversation_id, "should not be stored", token=token)
    assert service.messages.messages_after(conversation_id, None) == before


@pytest.mark.parametrize("where", ["bot", "queued", "agent", "closed"])
def test_a_customer_message_comes_back_with_the_state_it_was_stored_in(
    service: HubServices,
    make_agent: Callable[..., int],
    queued: Callable[..., str],
    where: str,
) -> None:
    agent_id = make_agent(username="ana")
    if where == "bot":
        conversation_id = service.sessions.open_session(None, None).conversation_id
    else:
        conversation_id = queued()
    if where in {"agent", "closed"}:
        service.work.claim(agent_id, conversation_id)
    if where == "closed":
        service.work.close(agent_id, conversation_id, service.config.dispositions[0])
    stored = service.messages.record_customer_message(conversation_id, "are you there?", None)
    assert stored.created
    # A message after a close reopens the conversation with the bot.
    assert stored.state == ("bot" if where == "closed" else where)
    assert stored.state == service.sessions.get_conversation(conversation_id).state


def test_a_snapshot_names_the_owner_of_every_listed_conversation(
    service: HubServices, make_agent: Callable[..., int], queued: Callable[..., str]
) -> None:
    agent_id = make_agent(username="ana", capacity=3)
    for _ in range(3):
        service.work.claim(agent_id, queued())
    snapshot = service.work.queue_snapshot(agent_id)
    assert [c.owner_name for c in snapshot.mine] == ["Ana"] * 3
    assert all(c.owner_agent_id == agent_id for c in snapshot.mine)


@pytest.mark.parametrize(
    ("dialect", "embedded"),
    [("sqlite", True), ("postgresql", False), ("mysql", False), ("oracle", False)],
)
def test_only_sqlite_is_an_embedded_database(dialect: str, embedded: bool) -> None:
    assert is_embedded(dialect) is embedded


@pytest.mark.parametrize(
    ("url", "embedded"),
    [
        ("sqlite:///{tmp}/hub.db", True),
        ("sqlite://", True),  # in memory
        ("postgresql://hub@127.0.0.1:1/hub", False),  # never connected to here
    ],
)
def test_the_store_and_service_say_whether_the_database_is_embedded(
    tmp_path: Path, config: HubConfig, url: str, embedded: bool
) -> None:
    store = HubStore(create_hub_engine(url.format(tmp=tmp_path)))
    try:
        assert store.is_embedded is embedded
        service = build_services(store, None, config, FakeClock(), password_hasher=cheap_hasher())
        assert service.store.is_embedded is embedded
    finally:
        store.dispose()


def test_a_stored_message_comes_back_as_stored(service: HubServices) -> None:
    conversation_id = service.sessions.open_session(None, None).conversation_id
    payload = {"quick_replies": [{"content_type": "text", "title": "A", "payload": "/a"}]}
    plain, created = service.messages.record_message(conversation_id, "bot", "hi", None, None, None)
    rich, _ = service.messages.record_message(conversation_id, "bot", None, payload, "Bot", None)
    assert created
    assert rich.id > plain.id
    assert service.messages.messages_after(conversation_id, None) == [plain, rich]
    assert rich.payload == payload
    assert plain.payload is None
    assert rich.created_at.tzinfo is not None
    assert service.sessions.get_conversation(conversation_id).last_message_id == rich.id


def test_the_unique_constraint_keeps_a_client_id_stored_once(
    hub_store: HubStore, service: HubServices, clock: FakeClock
) -> None:
    """The database, not only the caller's look-up, refuses a second message with one id."""
    conversation_id = service.sessions.open_session(None, None).conversation_id
    first, _ = service.messages.record_message(conversation_id, "customer", "hi", None, None, "c-1")
    values = {
        "conversation_id": conversation_id,
        "sender_type": "customer",
        "sender_name": None,
        "agent_id": None,
        "text": "hi again",
        "payload": None,
        "client_msg_id": "c-1",
        "created_at": clock.now,
    }
    with pytest.raises(IntegrityError), hub_store.write() as conn:
        hub_store.messages.insert_message(conn, values)
    stored = service.messages.messages_after(conversation_id, None)
    assert [(x.text, x.client_msg_id) for x in stored] == [("hi", "c-1")]
    assert service.sessions.get_conversation(conversation_id).last_message_id == first.id


def test_a_write_blocked_by_another_process_fails_as_a_store_error(
    tmp_path: Path, migrated_sqlite: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``BEGIN IMMEDIATE`` runs on the driver connection; its errors still come wrapped.

    The socket boundary maps SQLAlchemy's ``OperationalError`` to ``unavailable``, so a
    "database is locked" from the begin hook must not surface as the driver's own error.
    """
    monkeypatch.setattr("hub.persistence.store.SQLITE_BUSY_TIMEOUT_MS", 50)
    store = HubStore.from_url(migrated_sqlite("locked.db"))
    path = tmp_path / "locked.db"
    other_process = sqlite3.connect(path, isolation_level=None)
    try:
        other_process.execute("BEGIN IMMEDIATE")
        with pytest.raises(OperationalError, match="database is locked"), store.write():
            pass
        with store.read_connection() as conn:  # readers are not blocked
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
        other_process.execute("ROLLBACK")
        with store.write() as conn:
            conn.exec_driver_sql("UPDATE hub_conversations SET priority = priority")
    finally:
        other_process.close()
        store.dispose()
