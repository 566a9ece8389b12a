"""Context packets after reload, snapshot extras, binding a verified customer, hub summaries."""

from __future__ import annotations

import pytest

from hub.domain.errors import IdentityMismatch, NotAllowed
from hub.domain.summary import build_summary


def test_owner_gets_the_context_packet_again(service, make_agent, queued, clock):
    agent = make_agent()
    conv = queued()
    claimed = service.work.claim(agent, conv)
    service.messages.agent_reply(agent, conv, "Hello, I'm here.")
    clock.advance(30)
    again = service.work.context(agent, conv)
    assert again.conversation.conversation_id == conv
    assert again.wait_seconds == claimed.wait_seconds
    assert [m.sender_type for m in again.transcript][-1] == "agent"
    assert len(again.transcript) == len(claimed.transcript) + 1


def test_context_is_refused_to_other_agents_but_not_to_supervisors(service, make_agent, queued):
    owner = make_agent()
    other = make_agent()
    boss = make_agent(role="supervisor", queues=())
    conv = queued()
    service.work.claim(owner, conv)
    with pytest.raises(NotAllowed):
        service.work.context(other, conv)
    assert service.work.context(boss, conv).conversation.owner_agent_id == owner


def test_context_of_a_waiting_conversation_is_not_for_agents(service, make_agent, queued):
    agent = make_agent()
    conv = queued()
    with pytest.raises(NotAllowed):
        service.work.context(agent, conv)


@pytest.mark.parametrize("presence", ["online", "away"])
def test_snapshot_carries_presence_and_dispositions(service, make_agent, config, presence):
    agent = make_agent(presence=presence)
    snapshot = service.work.queue_snapshot(agent)
    assert snapshot.presence == presence
    assert snapshot.dispositions == config.dispositions


def test_binding_an_anonymous_conversation_to_a_verified_customer(service):
    conv = service.sessions.open_session(None, None).conversation_id
    assert service.sessions.bind_customer(conv, "cus_alice") is True
    assert service.sessions.get_conversation(conv).customer_ref == "cus_alice"
    assert service.sessions.bind_customer(conv, "cus_alice") is False  # same customer: no-op


def test_a_conversation_never_changes_customer(service):
    conv = service.sessions.open_session(None, "cus_alice").conversation_id
    with pytest.raises(IdentityMismatch):
        service.sessions.bind_customer(conv, "cus_bob")
    assert service.sessions.get_conversation(conv).customer_ref == "cus_alice"


@pytest.mark.parametrize("given", [None, "", "   "])
def test_handoff_without_summary_gets_the_hubs_summary(service, make_agent, given):
    make_agent()
    grant = service.sessions.open_session(None, "cus_alice")
    conv = grant.conversation_id
    service.messages.record_message(
        conv, "customer", "my card was declined on ORD-104233", None, None, None
    )
    service.messages.record_message(conv, "bot", "Sorry to hear that.", None, None, None)
    signals = [{"name": "handoff_button", "score": 1.0, "evidence": "button"}]
    service.handoffs.request_handoff(conv, "explicit_request", "payments", signals, given, 1.0)
    summary = service.sessions.get_conversation(conv).summary
    assert summary == build_summary(
        service.messages.messages_after(conv, None),
        reason="explicit_request",
        customer_ref="cus_alice",
        signals=signals,
        language="en",  # a conversation's language is always stored (English by default)
    )
    assert "ORD-104233" in summary
    assert "Language: English." in summary
    assert "verified, cus_alice" in summary


def test_the_bots_summary_wins_when_it_has_one(service, make_agent):
    make_agent()
    conv = service.sessions.open_session(None, None).conversation_id
    service.messages.record_message(conv, "customer", "hi", None, None, None)
    service.handoffs.request_handoff(conv, "frustration", "payments", [], "Upset about fees.", 0.9)
    assert service.sessions.get_conversation(conv).summary == "Upset about fees."


def test_no_agents_outcome_still_stores_the_hub_summary_for_the_ticket(service):
    conv = service.sessions.open_session(None, None).conversation_id
    service.messages.record_message(conv, "customer", "refund for #104233 please", None, None, None)
    outcome = service.handoffs.request_handoff(conv, "explicit_request", None, [], None, None)
    assert outcome.state == "no_agents"
    assert "ORD-104233" in (service.sessions.get_conversation(conv).summary or "")
