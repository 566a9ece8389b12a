from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from hub.domain.errors import (
    CapacityReached,
    ClaimConflict,
    InvalidTransition,
    NotAllowed,
    ValidationFailed,
)
from hub.domain.policy import HubConfig, QueueConfig, parse_hours


def _open_and_ask(service: Any, queue: str = "payments", reason: str = "explicit_request") -> Any:
    conv = service.sessions.open_session(None, None).conversation_id
    return conv, service.handoffs.request_handoff(conv, reason, queue, [], None, None)


def test_no_agent_online_is_said_honestly_and_stays_with_bot(service, make_agent):
    make_agent(presence="away")
    conv, outcome = _open_and_ask(service)
    assert outcome.state == "no_agents"
    assert outcome.estimated_wait_seconds is None
    assert outcome.position is None
    assert outcome.within_hours
    view = service.sessions.get_conversation(conv)
    assert (view.state, view.queue, view.reason) == ("bot", "payments", "explicit_request")
    assert service.stats.stats().handoffs == {("explicit_request", "payments", "no_agents"): 1}


def test_agent_of_another_queue_does_not_count(service, make_agent):
    make_agent(("disputes",))
    _, outcome = _open_and_ask(service, "payments")
    assert outcome.state == "no_agents"


def test_out_of_hours_is_no_agents_with_next_opening(make_service, make_agent, clock):
    closed = {"mon-fri": "08:00-09:00"}
    config = HubConfig(
        queues={"payments": QueueConfig("payments", "Payments", parse_hours(closed, "UTC"))}
    )
    service = make_service(config=config)
    agent = service.agents.create("night", "Night", "agent", ["payments"], "long enough pw", 2)
    service.presence.set_presence(agent.agent_id, "online")
    conv = service.sessions.open_session(None, None).conversation_id
    outcome = service.handoffs.request_handoff(conv, "frustration", "payments", [], None, 0.9)
    assert (outcome.state, outcome.within_hours) == ("no_agents", False)
    assert outcome.next_open_at == datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)


def test_handoff_stores_context_and_reports_position(service, make_agent, clock):
    make_agent()
    signals = [
        {"name": "negative_sentiment", "score": 0.61, "turn": 3, "evidence": "useless"},
        "junk",
    ]
    conv = service.sessions.open_session(None, "cus_alice").conversation_id
    outcome = service.handoffs.request_handoff(
        conv, "frustration", "payments", signals, "Refund late", 0.82, order_number="ORD-104233"
    )
    assert (outcome.state, outcome.position, outcome.created) == ("queued", 1, True)
    assert outcome.estimated_wait_seconds is None  # no history yet: no made-up number
    view = service.sessions.get_conversation(conv)
    assert view.signals == (signals[0],)
    assert (view.summary, view.score, view.order_number) == ("Refund late", 0.82, "ORD-104233")
    again = service.handoffs.request_handoff(conv, "explicit_request", "payments", [], None, None)
    assert (again.state, again.position, again.created) == ("queued", 1, False)
    assert service.sessions.transitions(conv) == [
        ("bot", "queued", "handoff", "frustration", clock.now),
    ]


@pytest.mark.parametrize(
    ("reason", "queue", "stored"),
    [("made_up", "payments", ("other", "payments")), ("topic", "nowhere", ("topic", "payments"))],
)
def test_bad_payload_never_loses_the_handoff(service, make_agent, reason, queue, stored):
    make_agent()
    conv, outcome = _open_and_ask(service, queue, reason)
    assert outcome.state == "queued"
    view = service.sessions.get_conversation(conv)
    assert (view.reason, view.queue) == stored


def test_longest_waiting_first_and_skills(service, make_agent, queued, clock):
    payments_agent = make_agent(("payments",), capacity=5)
    make_agent(("disputes",))
    first, second = queued(), queued()
    dispute = queued("disputes")
    assert service.work.next_offer(payments_agent).conversation_id == first
    snapshot = service.work.queue_snapshot(payments_agent)
    assert [w.conversation_id for w in snapshot.waiting] == [first, second]
    assert [w.position for w in snapshot.waiting] == [1, 2]
    with pytest.raises(NotAllowed):
        service.work.claim(payments_agent, dispute)
    service.work.claim(payments_agent, first)
    assert service.work.next_offer(payments_agent).conversation_id == second
    assert service.handoffs.queue_status(second).position == 1


def test_supervisor_sees_all_queues(service, make_agent, queued):
    make_agent(("payments",))
    make_agent(("disputes",))
    boss = make_agent((), role="supervisor")
    a, b = queued("payments"), queued("disputes")
    snapshot = service.work.queue_snapshot(boss)
    assert snapshot.role == "supervisor"
    assert snapshot.queues == ("payments", "disputes", "collections")
    assert {w.conversation_id for w in snapshot.waiting} == {a, b}
    stats = {s.queue: s for s in snapshot.stats}
    assert stats["payments"].waiting == 1
    assert stats["payments"].longest_wait_seconds == 2.0
    assert stats["collections"].longest_wait_seconds is None


def test_capacity_limits_claims_and_offers(service, make_agent, queued):
    agent = make_agent(capacity=1)
    a, b = queued(), queued()
    service.work.claim(agent, a)
    assert service.work.next_offer(agent) is None
    with pytest.raises(CapacityReached):
        service.work.claim(agent, b)
    service.work.hand_back(agent, a)
    service.work.claim(agent, b)


@pytest.mark.parametrize("presence", ["away", "offline"])
def test_only_online_agents_get_offers_or_claim(service, make_agent, queued, presence):
    online = make_agent()
    other = make_agent()
    conv = queued()
    service.presence.set_presence(other, presence)
    assert service.work.next_offer(other) is None
    with pytest.raises(NotAllowed):
        service.work.claim(other, conv)
    assert service.work.next_offer(online).conversation_id == conv


def test_claim_of_a_claimed_conversation_conflicts(service, make_agent, queued):
    a, b = make_agent(), make_agent()
    conv = queued()
    service.work.claim(a, conv)
    with pytest.raises(ClaimConflict):
        service.work.claim(b, conv)


def test_concurrent_claims_exactly_one_wins(make_service, make_agent, queued):
    agents = [make_agent() for _ in range(4)]
    conv = queued()
    barrier = threading.Barrier(len(agents))
    results: list[object] = []
    lock = threading.Lock()

    def attempt(agent_id: int) -> None:
        service = make_service()  # each thread its own facade, as in separate hub processes
        barrier.wait()
        try:
            outcome: object = service.work.claim(agent_id, conv).conversation.owner_agent_id
        except ClaimConflict as exc:
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    winners = [r for r in results if isinstance(r, int)]
    assert len(results) == len(agents)
    assert len(winners) == 1
    assert all(isinstance(r, ClaimConflict) for r in results if not isinstance(r, int))
    view = make_service().sessions.get_conversation(conv)
    assert view.owner_agent_id == winners[0]
    assert [t[2] for t in make_service().sessions.transitions(conv)] == ["handoff", "claim"]


def test_claim_records_wait_and_packet(service, make_agent, queued, clock):
    agent = make_agent()
    conv = queued()
    clock.advance(29)
    packet = service.work.claim(agent, conv)
    assert packet.wait_seconds == 30.0
    assert [m.text for m in packet.transcript] == ["hi"]
    assert packet.conversation.owner_name == "Agent1"
    assert packet.customer is None
    assert packet.orders == ()


def test_wait_estimate_uses_recent_real_waits(service, make_agent, queued, clock):
    agent = make_agent(capacity=10)
    for wait in (10, 20, 30):
        conv = queued()
        clock.advance(wait - 1)
        service.work.claim(agent, conv)
    queued()
    conv, outcome = _open_and_ask(service)
    assert outcome.position == 2
    assert outcome.estimated_wait_seconds == 40.0  # median 20 s x (1 + 1/1)
    clock.advance(25 * 3600)  # history older than the window no longer counts
    assert service.handoffs.queue_status(conv).estimated_wait_seconds is None


def test_cancel_returns_to_bot_and_frees_the_place(service, make_agent, queued):
    make_agent()
    first, second = queued(), queued()
    view = service.handoffs.cancel_handoff(first)
    assert view.state == "bot"
    assert service.handoffs.cancel_handoff(first).state == "bot"  # idempotent
    assert service.handoffs.queue_status(first) is None
    assert service.handoffs.queue_status(second).position == 1


def test_cancel_is_refused_once_an_agent_owns_it(service, make_agent, queued):
    agent = make_agent()
    conv = queued()
    service.work.claim(agent, conv)
    with pytest.raises(InvalidTransition):
        service.handoffs.cancel_handoff(conv)
    assert (
        service.handoffs.request_handoff(conv, "explicit_request", None, [], None, None).state
        == "agent"
    )


def test_transfer_hand_back_and_close(service, make_agent, queued):
    payments = make_agent(("payments",))
    disputes = make_agent(("disputes",))
    conv = queued()
    service.work.claim(payments, conv)
    with pytest.raises(ValidationFailed):
        service.work.transfer(payments, conv, "nowhere")
    with pytest.raises(NotAllowed):
        service.work.transfer(disputes, conv, "disputes")
    view = service.work.transfer(payments, conv, "disputes")
    assert (view.state, view.queue, view.owner_agent_id) == ("queued", "disputes", None)
    service.work.claim(disputes, conv)
    assert service.work.hand_back(disputes, conv).state == "bot"
    with pytest.raises(NotAllowed):
        service.work.close(disputes, conv, "resolved")  # back with the bot: no longer theirs
    assert [t[2] for t in service.sessions.transitions(conv)] == [
        "handoff",
        "claim",
        "transfer",
        "claim",
        "hand_back",
    ]


def test_close_validates_disposition(service, make_agent, queued):
    agent = make_agent()
    conv = queued()
    service.work.claim(agent, conv)
    with pytest.raises(ValidationFailed):
        service.work.close(agent, conv, "whatever")
    view = service.work.close(agent, conv, "resolved")
    assert (view.state, view.disposition) == ("closed", "resolved")
    assert view.closed_at is not None


def test_supervisor_may_close_a_waiting_conversation(service, make_agent, queued):
    make_agent()
    boss = make_agent((), role="supervisor")
    conv = queued()
    assert service.work.close(boss, conv, "other").state == "closed"


def test_grace_period_then_requeue_at_the_front(service, make_agent, queued, clock):
    dropped = make_agent(capacity=2)
    helper = make_agent(capacity=5)
    service.presence.set_presence(helper, "away")
    mine = queued()
    service.work.claim(dropped, mine)
    waiting = [queued(), queued()]
    service.presence.agent_disconnected(dropped)
    clock.advance(59)
    assert service.work.requeue_expired() == []
    assert service.sessions.get_conversation(mine).owner_agent_id == dropped
    clock.advance(2)
    assert service.work.requeue_expired() == [mine]
    assert service.work.requeue_expired() == []  # once only
    view = service.sessions.get_conversation(mine)
    assert (view.state, view.owner_agent_id, view.priority) == ("queued", None, 1)
    service.presence.set_presence(helper, "online")
    snapshot = service.work.queue_snapshot(helper)
    assert [w.conversation_id for w in snapshot.waiting] == [mine, *waiting]
    assert snapshot.waiting[0].requeued
    assert service.work.next_offer(helper).conversation_id == mine
    packet = service.work.claim(helper, mine)
    assert packet.conversation.priority == 0
    assert service.sessions.transitions(mine)[-2][2:4] == ("requeue", "agent_disconnected")


def test_reconnect_within_grace_keeps_conversations(service, make_agent, queued, clock):
    agent = make_agent()
    conv = queued()
    service.work.claim(agent, conv)
    service.presence.agent_disconnected(agent)
    clock.advance(30)
    service.presence.set_presence(agent, "online")
    for _ in range(12):  # the agent's hub keeps beating while they are connected
        clock.advance(10)
        service.presence.heartbeat([agent])
    assert service.work.requeue_expired() == []
    assert service.sessions.get_conversation(conv).owner_agent_id == agent


def test_handoff_after_close_reopens(service, make_agent, queued):
    agent = make_agent()
    conv = queued()
    service.work.claim(agent, conv)
    service.work.close(agent, conv, "resolved")
    outcome = service.handoffs.request_handoff(conv, "explicit_request", "payments", [], None, None)
    assert outcome.state == "queued"
    assert [t[2] for t in service.sessions.transitions(conv)][-2:] == ["reopen", "handoff"]


def test_transitions_carry_time_reason_and_agent(service, make_agent, queued, clock):
    agent = make_agent()
    conv = queued()
    at = clock.advance(5)
    service.work.claim(agent, conv)
    frm, to, event, reason, when = service.sessions.transitions(conv)[-1]
    assert (frm, to, event, reason, when) == ("queued", "agent", "claim", "claimed", at)
    assert when.tzinfo is not None
    assert when.utcoffset() == timedelta(0)
