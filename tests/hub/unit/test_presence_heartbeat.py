"""Presence heartbeat: agents of a hub that died without a word stop counting as online."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, inspect, text

from hub.domain.policy import HubConfig
from hub.persistence.store import HubStore
from migrations.runner import current, head, upgrade
from tests.store.helpers import initial_hub_tables, initial_metadata

TIMEOUT = 60  # HubConfig default presence_timeout, seconds
GRACE = 60  # HubConfig default grace_period, seconds


def test_defaults_are_what_these_tests_assume(config: HubConfig):
    assert config.presence_timeout == timedelta(seconds=TIMEOUT)
    assert config.grace_period == timedelta(seconds=GRACE)


def test_an_agent_without_heartbeat_is_not_available(service, make_agent, clock):
    agent = make_agent()
    clock.advance(TIMEOUT + 1)
    grant = service.sessions.open_session(None, None)
    outcome = service.handoffs.request_handoff(
        grant.conversation_id, "explicit_request", "payments", [], None, None
    )
    assert outcome.state == "no_agents"
    assert service.work.next_offer(agent) is None
    assert service.stats.stats().online_agents["payments"] == 0


def test_heartbeats_keep_an_agent_available(service, make_agent, clock, queued):
    agent = make_agent()
    for _ in range(5):
        clock.advance(TIMEOUT - 1)
        service.presence.heartbeat([agent])
    conv = queued()
    assert service.work.next_offer(agent).conversation_id == conv
    assert service.stats.stats().online_agents["payments"] == 1


def test_heartbeat_of_a_returning_hub_makes_the_agent_available_again(service, make_agent, clock):
    agent = make_agent()
    clock.advance(TIMEOUT * 3)
    assert service.stats.stats().online_agents["payments"] == 0
    service.presence.heartbeat([agent])
    assert service.stats.stats().online_agents["payments"] == 1


def test_stale_agents_conversations_are_requeued_after_timeout_plus_grace(
    service, make_agent, queued, clock
):
    ghost = make_agent()
    conv = queued()
    service.work.claim(ghost, conv)  # the claim itself counts as being seen
    clock.advance(TIMEOUT + GRACE - 1)
    assert service.work.requeue_expired() == []
    assert service.sessions.get_conversation(conv).owner_agent_id == ghost
    clock.advance(2)
    assert service.work.requeue_expired() == [conv]
    view = service.sessions.get_conversation(conv)
    assert (view.state, view.owner_agent_id, view.priority) == ("queued", None, 1)
    assert service.work.requeue_expired() == []


def test_away_agents_of_a_dead_hub_lose_their_conversations_too(service, make_agent, queued, clock):
    agent = make_agent()
    conv = queued()
    service.work.claim(agent, conv)
    service.presence.set_presence(agent, "away")
    clock.advance(TIMEOUT + GRACE + 1)
    assert service.work.requeue_expired() == [conv]


def test_claim_needs_a_reachable_agent_for_offers_but_refreshes_last_seen(
    service, make_agent, queued, clock
):
    agent = make_agent()
    conv = queued()
    clock.advance(TIMEOUT + 1)
    assert service.work.next_offer(agent) is None
    service.work.claim(agent, conv)  # a live socket acted: the agent is evidently there
    clock.advance(TIMEOUT - 1)
    assert service.stats.stats().online_agents["payments"] == 1


def test_heartbeat_of_nobody_is_a_no_op(service):
    service.presence.heartbeat([])


@pytest.fixture
def old_database(tmp_path) -> str:
    """A hub database made by the old start-up ``create_all`` before ``last_seen_at`` existed."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url, future=True)
    initial = initial_metadata()  # the schema of that time, not today's models
    initial.create_all(engine, tables=initial_hub_tables(initial))
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE hub_agents DROP COLUMN last_seen_at"))
    engine.dispose()
    return url


def test_migrating_an_old_database_adds_the_heartbeat_column(old_database, make_service):
    assert current(old_database) is None  # no alembic_version yet
    upgrade(old_database)
    assert current(old_database) == head()
    store = HubStore.from_url(old_database)
    try:
        columns = {c["name"] for c in inspect(store.engine).get_columns("hub_agents")}
        assert "last_seen_at" in columns
        service = make_service(store=store)
        agent = service.agents.create("ana", "Ana", "agent", ["payments"], "long enough pw")
        service.presence.set_presence(agent.agent_id, "online")
        assert service.stats.stats().online_agents["payments"] == 1
    finally:
        store.dispose()
