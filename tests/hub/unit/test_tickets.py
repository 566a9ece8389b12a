from __future__ import annotations

import pytest

from hub.errors import NotAllowed, ValidationFailed
from hub.tickets import normalise_email, normalise_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ana@Example.COM", "ana@example.com"),
        ("  first.last+tag@mail.example.co.uk ", "first.last+tag@mail.example.co.uk"),
    ],
)
def test_valid_emails(raw, expected):
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "plain",
        "a@b",
        "a@b.c",
        "a b@example.com",
        "a@@example.com",
        ".a@example.com",
        "a..b@example.com",
        "a@-example.com",
        "x" * 65 + "@example.com",
        "a@" + "b" * 250 + ".com",
        "<script>@example.com",
    ],
)
def test_invalid_emails(raw):
    with pytest.raises(ValidationFailed):
        normalise_email(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+44 7700 900101", "+447700900101"),
        ("0044 (7700) 900-101", "+447700900101"),
        ("600.000.303", "600000303"),
        ("1234567", "1234567"),
    ],
)
def test_valid_phones(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "123456", "1" * 16, "+44 7700 CALLME", "++447700900101", "12a4567"]
)
def test_invalid_phones(raw):
    with pytest.raises(ValidationFailed):
        normalise_phone(raw)


def test_ticket_keeps_transcript_and_context(service, make_agent, clock):
    conv = service.open_session(None, "cus_alice", None).conversation_id
    service.record_message(conv, "customer", "I need a person", None, None, None)
    service.record_message(conv, "bot", "Nobody is available", None, "bot", None)
    assert (
        service.request_handoff(conv, "explicit_request", "disputes", [], "s", 1.0).state
        == "no_agents"
    )
    ticket = service.create_ticket(conv, "Alice@Example.com", None, "call me back ")
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
    conv = service.open_session(None, None, None).conversation_id
    first = service.create_ticket(conv, None, "+44 7700 900101", None)
    second = service.create_ticket(conv, None, "+447700900101", "evenings please")
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
    conv = service.open_session(None, None, None).conversation_id
    with pytest.raises(ValidationFailed) as info:
        service.create_ticket(conv, email, phone, note)
    assert info.value.field == field


def test_agents_see_open_tickets_of_their_queues(service, make_agent):
    conv = service.open_session(None, None, None).conversation_id
    service.request_handoff(conv, "topic", "disputes", [], None, None)
    ticket = service.create_ticket(conv, "a@example.com", None, None)
    payments = make_agent(("payments",))
    disputes = make_agent(("disputes",))
    boss = make_agent((), role="supervisor")
    assert service.queue_snapshot(payments).tickets == ()
    assert [t.ticket_id for t in service.queue_snapshot(disputes).tickets] == [ticket.ticket_id]
    assert [t.ticket_id for t in service.queue_snapshot(boss).tickets] == [ticket.ticket_id]
    with pytest.raises(NotAllowed):
        service.get_ticket(payments, ticket.ticket_id)
    assert service.get_ticket(disputes, ticket.ticket_id).transcript == ()
    assert service.close_ticket(disputes, ticket.ticket_id).status == "closed"
    assert service.queue_snapshot(disputes).tickets == ()


@pytest.mark.parametrize("score", [0, 6, -1, 2.5, True, "5"])
def test_rating_must_be_1_to_5(service, make_agent, queued, score):
    agent = make_agent()
    conv = queued()
    service.claim(agent, conv)
    service.close(agent, conv, "resolved")
    with pytest.raises(ValidationFailed):
        service.rate(conv, score)


def test_rating_only_after_close(service, make_agent, queued):
    agent = make_agent()
    conv = queued()
    with pytest.raises(NotAllowed):
        service.rate(conv, 5)
    service.claim(agent, conv)
    with pytest.raises(NotAllowed):
        service.rate(conv, 5)
    service.close(agent, conv, "resolved")
    service.rate(conv, 2)
    service.rate(conv, 4)
    stats = service.stats()
    assert stats.csat_counts == {4: 1}
    assert stats.csat_average == 4.0
