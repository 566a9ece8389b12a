from __future__ import annotations


def test_stats_are_computed_from_the_store(service, make_agent, clock, make_service):
    agent = make_agent(capacity=5)
    contained = service.sessions.open_session(None, None).conversation_id
    service.messages.record_message(contained, "customer", "where is my order", None, None, None)
    service.messages.record_message(contained, "bot", "on its way", None, "bot", None)
    service.sessions.open_session(None, None)  # never spoke: not a conversation for containment

    escalated = service.sessions.open_session(None, None).conversation_id
    service.messages.record_message(escalated, "customer", "human please", None, None, None)
    service.handoffs.request_handoff(escalated, "explicit_request", "payments", [], None, None)
    waiting = service.sessions.open_session(None, None).conversation_id
    service.messages.record_message(waiting, "customer", "this is useless", None, None, None)
    service.handoffs.request_handoff(waiting, "frustration", "payments", [], None, None)
    refused = service.sessions.open_session(None, None).conversation_id
    service.messages.record_message(refused, "customer", "dispute", None, None, None)
    service.handoffs.request_handoff(refused, "topic", "disputes", [], None, None)

    clock.advance(12)
    packet = service.work.claim(agent, escalated)
    clock.advance(3)
    reply = service.messages.agent_reply(agent, escalated, "Hello, Agent1 here")
    second = service.messages.agent_reply(agent, escalated, "How can I help?")
    service.work.close(agent, escalated, "resolved")
    service.tickets.rate(escalated, 5)

    assert packet.wait_seconds == 12.0
    assert (reply.first_reply_seconds, second.first_reply_seconds) == (3.0, None)
    stats = make_service().stats.stats()  # a fresh facade: nothing comes from process memory
    assert stats.handoffs == {
        ("explicit_request", "payments", "queued"): 1,
        ("frustration", "payments", "queued"): 1,
        ("topic", "disputes", "no_agents"): 1,
    }
    assert stats.queue_lengths == {"payments": 1, "disputes": 0, "collections": 0}
    assert stats.longest_wait_seconds["payments"] == 15.0
    assert stats.online_agents == {"payments": 1, "disputes": 0, "collections": 0}
    assert stats.messages == {"customer": 4, "bot": 1, "agent": 2}
    assert (stats.conversations, stats.contained) == (4, 1)  # asking counts, even if refused
    assert stats.containment_rate == 0.25
    assert stats.wait_seconds_recent["payments"] == (12.0,)
    assert stats.first_reply_seconds_recent["payments"] == (3.0,)
    assert stats.csat_counts == {5: 1}


def test_empty_stats_have_no_made_up_rates(service):
    stats = service.stats.stats()
    assert stats.containment_rate is None
    assert stats.csat_average is None
    assert stats.handoffs == {}
    assert stats.messages == {}
