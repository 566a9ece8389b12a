from __future__ import annotations

import pytest

from hub.domain.errors import NotAllowed, ValidationFailed


def test_ticket_keeps_transcript_and_context(service, make_agent, clock):
    conv = service.sessions.open_session(None, "cus_alice").conversation_id
    service.messages.record_message(conv, "customer", "I need a person", None, None, None)
    service.messages.record_message(conv, "bot", "Nobody is available", None, "bot", None)
    assert (
        service.handoffs.request_handoff(conv, "explicit_request", "disputes", [], "s", 1.0).state
        == "no_agents"
    )
    ticket = service.tickets.create_ticket(conv, "Alice@Example.com", None, "call me back ")
    assert (ticket.kind, ticket.email, ticket.note) == (
        "email",
        "Alice@example.com",
        "call me back",
    )
    assert (ticket.queue, ticket.reason, ticket.customer_ref) == (
        "disputes",
        "explicit_request",
        "cus_alice",
    )
    assert [line.text for line in ticket.transcript] == ["I need a person", "Nobody is available"]
    assert ticket.transcript[0].created_at == clock.now


def test_same_contact_twice_is_one_ticket(service):
    conv = service.sessions.open_session(None, None).conversation_id
    first = service.tickets.create_ticket(conv, None, "+44 7700 900101", None)
    second = service.tickets.create_ticket(conv, None, "+447700900101", "evenings please")
    assert first.kind == "callback"
    assert second.ticket_id == first.ticket_id
    assert second.note == "evenings please"


@pytest.mark.parametrize(
    ("email", "phone", "note", "field"),
    [
        (None, None, "hi", "contact"),
        ("  ", "", None, "contact"),
        ("nope", None, None, "email"),
        (None, "12", None, "phone"),
        ("a@example.com", None, "x" * 1001, "note"),
    ],
)
def test_ticket_validation(service, email, phone, note, field):
    conv = service.sessions.open_session(None, None).conversation_id
    with pytest.raises(ValidationFailed) as info:
        service.tickets.create_ticket(conv, email, phone, note)
    assert info.value.field == field


def test_agents_see_open_tickets_of_their_queues(service, make_agent):
    conv = service.sessions.open_session(None, None).conversation_id
    service.handoffs.request_handoff(conv, "topic", "disputes", [], None, None)
    ticket = service.tickets.create_ticket(conv, "a@example.com", None, None)
    payments = make_agent(("payments",))
    disputes = make_agent(("disputes",))
    boss = make_agent((), role="supervisor")
    assert service.work.queue_snapshot(payments).tickets == ()
    assert [t.ticket_id for t in service.work.queue_snapshot(disputes).tickets] == [
        ticket.ticket_id
    ]
    assert [t.ticket_id for t in service.work.queue_snapshot(boss).tickets] == [ticket.ticket_id]
    with pytest.raises(NotAllowed):
        service.tickets.get_ticket(payments, ticket.ticket_id)
    assert service.tickets.get_ticket(disputes, ticket.ticket_id).transcript == ()
    assert service.tickets.close_ticket(disputes, ticket.ticket_id).status == "closed"
    assert service.work.queue_snapshot(disputes).tickets == ()


@pytest.mark.parametrize("score", [0, 6, -1, 2.5, True, "5"])
def test_rating_must_be_1_to_5(service, make_agent, queued, score):
    agent = make_agent()
    conv = queued()
    service.work.claim(agent, conv)
    service.work.close(agent, conv, "resolved")
    with pytest.raises(ValidationFailed):
        service.tickets.rate(conv, score)


def test_rating_only_after_close(service, make_agent, queued):
    agent = make_agent()
    conv = queued()
    with pytest.raises(NotAllowed):
        service.tickets.rate(conv, 5)
    service.work.claim(agent, conv)
    with pytest.raises(NotAllowed):
        service.tickets.rate(conv, 5)
    service.work.close(agent, conv, "resolved")
    service.tickets.rate(conv, 2)
    service.tickets.rate(conv, 4)
    stats = service.stats.stats()
    assert stats.csat_counts == {4: 1}
    assert stats.csat_average == 4.0
