"""The retention purge and the audit log's append-only rule, on SQLite and PostgreSQL.

The hub's services write real rows under a fake clock; Rasa's tracker events sit in an
``events`` table of the same shape as Rasa's ``SQLTrackerStore`` (the bot-environment test
``tests/store/test_tracker_purge.py`` uses Rasa's own store). The clock then moves past each
period and the purge runs in small batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from hub.domain.policy import HubConfig
from hub.domain.privacy import Actor
from hub.domain.retention import RetentionPolicy
from hub.persistence import models as m
from hub.persistence.store import HubStore
from hub.persistence.trackers import EVENTS, SqlTrackerEvents
from hub.services.sessions import session_ref
from hub.services.wiring import HubServices, build_services
from tests.hub.unit.conftest import T0, FakeClock, cheap_hasher

POLICY = RetentionPolicy(
    transcripts=timedelta(days=30),
    tickets=timedelta(days=60),
    ratings=timedelta(days=90),
    audit=timedelta(days=100),
    batch_size=2,  # several batches per kind
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_url(request, migrated_sqlite: Callable[..., str]) -> str:
    if request.param == "sqlite":
        return migrated_sqlite("retention.db")
    return str(request.getfixturevalue("migrated_postgres_url"))


@pytest.fixture
def tracker_url(backend_url: str, tmp_path) -> str:
    """Rasa's events table: a separate SQLite file, or the same PostgreSQL database."""
    url = (
        f"sqlite:///{tmp_path / 'tracker.db'}" if backend_url.startswith("sqlite") else backend_url
    )
    engine = create_engine(url, future=True)
    EVENTS.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def world(backend_url: str, tracker_url: str) -> Iterator[dict[str, Any]]:
    store = HubStore.from_url(backend_url)
    trackers = SqlTrackerEvents(tracker_url)
    clock = FakeClock()
    services = build_services(
        store,
        None,
        HubConfig(retention=POLICY),
        clock,
        password_hasher=cheap_hasher(),
        trackers=trackers,
    )
    yield {"store": store, "trackers": trackers, "clock": clock, "services": services}
    trackers.dispose()
    store.dispose()


def _chat(services: HubServices, customer_ref: str | None = None) -> tuple[str, str]:
    grant = services.sessions.open_session(None, customer_ref)
    cid = grant.conversation_id
    services.messages.record_message(cid, "customer", "hello", None, None, None)
    services.messages.record_message(cid, "bot", "hi there", None, "bot", None)
    return cid, session_ref(grant.session_id)  # what the store keeps, and Rasa's sender id


def _events(url: str, sender: str, at: datetime, n: int = 3) -> None:
    engine = create_engine(url, future=True)
    with engine.begin() as conn:
        for i in range(n):
            conn.execute(
                insert(EVENTS).values(
                    sender_id=sender,
                    type_name="user",
                    timestamp=at.timestamp() + i,
                    data='{"event": "user", "text": "hello"}',
                )
            )
    engine.dispose()


def _senders(url: str) -> dict[str, int]:
    engine = create_engine(url, future=True)
    with engine.connect() as conn:
        rows = conn.execute(
            select(EVENTS.c.sender_id, func.count()).group_by(EVENTS.c.sender_id)
        ).all()
    engine.dispose()
    return {str(r[0]): int(r[1]) for r in rows}


def _count(store: HubStore, model: Any, **where: Any) -> int:
    with store.read() as s:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return int(s.execute(query).scalar_one())


def test_purge_deletes_each_kind_after_its_period(world, tracker_url):
    services: HubServices = world["services"]
    store: HubStore = world["store"]
    clock: FakeClock = world["clock"]
    agent = services.agents.create("ana", "Ana", "agent", ["payments"], "correct horse b", 5)
    services.presence.set_presence(agent.agent_id, "online")
    boss = services.agents.create("boss", "Boss", "supervisor", [], "correct horse b", 5)
    actor = Actor(boss.agent_id, "cli:test")

    old = [_chat(services, "cus_alice") for _ in range(3)]  # bot conversations, nothing else
    with_ticket = _chat(services)
    outcome = services.handoffs.request_handoff(
        with_ticket[0], "explicit_request", "disputes", [], "s", 1
    )
    assert outcome.state == "no_agents"  # nobody serves disputes: a ticket instead
    services.tickets.create_ticket(with_ticket[0], "a@example.com", None, "call me")
    rated = _chat(services, "cus_bob")
    assert services.handoffs.request_handoff(rated[0], "topic", "payments", [], "s", 1).state == (
        "queued"
    )
    services.work.claim(agent.agent_id, rated[0])
    services.work.close(agent.agent_id, rated[0], "resolved")
    services.tickets.rate(rated[0], 5)
    live = _chat(services, "cus_carmen")
    services.handoffs.request_handoff(live[0], "topic", "payments", [], "s", 1)
    services.work.claim(agent.agent_id, live[0])  # with a person: never purged
    for _ in range(3):
        services.audit.record(actor, "exported", customer_ref="cus_alice")
    for _cid, session in [*old, with_ticket, rated, live]:
        _events(tracker_url, session, T0)
    _events(tracker_url, "rest-channel-user", T0)  # a tracker the hub never knew

    clock.now = T0 + timedelta(days=20)
    recent = _chat(services, "cus_dan")
    _events(tracker_url, recent[1], clock.now)
    _events(tracker_url, "recent-rest-user", clock.now)

    clock.now = T0 + timedelta(days=31)
    preview = services.retention.dry_run()
    assert preview.counts["conversations"] == 3
    assert preview.counts["transcripts_stripped"] == 2
    assert (preview.counts["tickets"], preview.counts["ratings"]) == (0, 0)
    assert preview.counts["audit_entries"] == 0
    assert _count(store, m.Conversation) == 7  # the dry run deleted nothing

    report = services.retention.run()
    assert report.counts["conversations"] == 3
    assert report.counts["transcripts_stripped"] == 2
    assert report.counts["messages"] == 6 + 4
    assert report.counts["idle_trackers"] == 1  # rest-channel-user; the live one is kept
    assert report.batches > 6  # batch_size 2: more than one batch per kind
    remaining = {cid for (cid,) in _ids(store)}
    assert remaining == {with_ticket[0], rated[0], live[0], recent[0]}
    assert _count(store, m.Message, conversation_id=with_ticket[0]) == 0
    assert _count(store, m.Message, conversation_id=recent[0]) == 2
    assert _count(store, m.Message, conversation_id=live[0]) == 2
    assert _count(store, m.Ticket) == 1
    assert _count(store, m.Rating) == 1
    with store.read() as s:
        assert s.get(m.Conversation, rated[0]).handoff_summary is None
    assert set(_senders(tracker_url)) == {live[1], recent[1], "recent-rest-user"}
    assert _count(store, m.AuditEntry) == 3
    assert services.retention.run().counts.get("conversations", 0) == 0  # nothing left to do

    clock.now = T0 + timedelta(days=101)
    report = services.retention.run()
    assert (report.counts["tickets"], report.counts["ratings"]) == (1, 1)
    assert report.counts["audit_entries"] == 3
    assert report.counts["conversations"] == 3  # with_ticket, rated, recent (81 days idle)
    assert {cid for (cid,) in _ids(store)} == {live[0]}
    assert _count(store, m.AuditEntry) == 0
    assert _count(store, m.AuditPurgePermit) == 0  # the permit never outlives the purge
    assert set(_senders(tracker_url)) == {live[1]}


def _ids(store: HubStore) -> list[tuple[str]]:
    with store.read() as s:
        return [(str(r),) for r in s.execute(select(m.Conversation.id)).scalars()]


def test_periods_set_to_null_keep_that_kind_forever(world):
    services: HubServices = world["services"]
    keep_all = RetentionPolicy(transcripts=None, tickets=None, ratings=None, audit=None)
    forever = build_services(
        world["store"],
        None,
        HubConfig(retention=keep_all),
        world["clock"],
        password_hasher=cheap_hasher(),
        trackers=world["trackers"],
    )
    _chat(services)
    world["clock"].now = T0 + timedelta(days=10_000)
    assert forever.retention.run().counts == {}
    assert _count(world["store"], m.Conversation) == 1


def test_the_audit_log_refuses_update_delete_and_truncate(world, backend_url):
    services: HubServices = world["services"]
    boss = services.agents.create("boss", "Boss", "supervisor", [], "correct horse b", 5)
    entry = services.audit.record(Actor(boss.agent_id, "session:1"), "exported", customer_ref="c")
    engine = create_engine(backend_url, future=True)
    statements = [
        "UPDATE hub_audit_log SET action = 'closed' WHERE id = :id",
        "DELETE FROM hub_audit_log WHERE id = :id",
        "DELETE FROM hub_audit_log",
    ]
    if backend_url.startswith("postgresql"):
        statements.append("TRUNCATE hub_audit_log")
    for statement in statements:
        with engine.begin() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement), {"id": entry})
    # A permit covers only rows older than its cutoff: a fresh entry stays protected.
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO hub_audit_purge_permits (cutoff) VALUES ('2000-01-01')"))
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("DELETE FROM hub_audit_log"))
    engine.dispose()
    with world["store"].read() as s:
        assert s.get(m.AuditEntry, entry).action == "exported"
    assert not any(hasattr(services.audit.repository, name) for name in ("update", "delete"))
