"""The same races on PostgreSQL, settled by row locks rather than SQLite's writer lock."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from hub.domain.errors import ClaimConflict, NotFound
from hub.persistence.store import HubStore
from hub.services.wiring import build_services
from tests.hub.unit.conftest import PASSWORD, FakeClock, cheap_hasher

pytestmark = pytest.mark.postgres


def _race(workers: int, action: Callable[[int], object]) -> list[object]:
    barrier = threading.Barrier(workers)
    results: list[object] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        try:
            outcome = action(i)
        except ClaimConflict as exc:
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_postgres_claim_race_and_capacity(migrated_postgres_url, config):
    store = HubStore.from_url(migrated_postgres_url)
    clock = FakeClock()
    service = build_services(store, None, config, clock, password_hasher=cheap_hasher())
    try:
        agents = []
        for i in range(4):
            view = service.agents.create(f"pg{i}", f"Pg {i}", "agent", ["payments"], PASSWORD, 1)
            service.presence.set_presence(view.agent_id, "online")
            agents.append(view.agent_id)
        conv = service.sessions.open_session(None, None).conversation_id
        assert (
            service.handoffs.request_handoff(conv, "topic", "payments", [], None, None).state
            == "queued"
        )

        results = _race(
            4, lambda i: service.work.claim(agents[i], conv).conversation.owner_agent_id
        )
        winners = [r for r in results if isinstance(r, int)]
        assert len(winners) == 1
        assert len(results) == 4

        # One agent, capacity 1, two waiting conversations claimed at once: only one is taken.
        solo = service.agents.create("solo", "Solo", "agent", ["payments"], PASSWORD, 1)
        service.presence.set_presence(solo.agent_id, "online")
        convs = []
        for _ in range(2):
            c = service.sessions.open_session(None, None).conversation_id
            service.handoffs.request_handoff(c, "topic", "payments", [], None, None)
            convs.append(c)

        def claim_one(i: int) -> object:
            try:
                return service.work.claim(solo.agent_id, convs[i]).conversation.conversation_id
            except Exception as exc:
                return exc

        outcomes = _race(2, claim_one)
        assert sum(isinstance(o, str) for o in outcomes) == 1
        assert service.presence.agent(solo.agent_id).active_conversations == 1
    finally:
        store.dispose()


def test_postgres_messages_keep_order_under_concurrency(migrated_postgres_url, config):
    store = HubStore.from_url(migrated_postgres_url)
    service = build_services(store, None, config, FakeClock(), password_hasher=cheap_hasher())
    try:
        conv = service.sessions.open_session(None, None).conversation_id
        results = _race(
            8,
            lambda i: service.messages.record_message(
                conv, "customer", f"m{i}", None, None, f"c{i % 4}"
            ),
        )
        created = [r for r in results if isinstance(r, tuple) and r[1]]
        assert len(created) == 4  # four distinct client ids, retries deduplicated
        stored = service.messages.messages_after(conv, None)
        assert [m.id for m in stored] == sorted(m.id for m in stored)
        assert sorted(str(m.client_msg_id) for m in stored) == ["c0", "c1", "c2", "c3"]
    finally:
        store.dispose()


def test_postgres_a_turn_is_answered_once_under_concurrency(migrated_postgres_url, config):
    # Two hub processes re-driving the same turn: the row lock lets one store the answer.
    store = HubStore.from_url(migrated_postgres_url)
    service = build_services(store, None, config, FakeClock(), password_hasher=cheap_hasher())
    try:
        conv = service.sessions.open_session(None, None).conversation_id
        turn = service.messages.record_customer_message(conv, "¿cuándo es mi próximo pago?", None)
        assert turn.language == "es"
        replies = [("El 5 de enero.", None), ("¿Algo más?", None)]
        results = _race(
            6, lambda i: service.messages.answer_turn(conv, turn.message.id, replies, None)
        )
        answers = [r for r in results if not isinstance(r, Exception)]
        assert sum(a.created for a in answers) == 1
        assert {tuple(m.text for m in a.messages) for a in answers} == {
            ("El 5 de enero.", "¿Algo más?")
        }
        stored = service.messages.messages_after(conv, None)
        assert [m.text for m in stored] == ["¿cuándo es mi próximo pago?", *[t for t, _ in replies]]
        assert service.messages.conversation_language(conv) == "es"
        with pytest.raises(NotFound):
            service.messages.answer_turn(conv, stored[-1].id + 100, replies, None)
    finally:
        store.dispose()
