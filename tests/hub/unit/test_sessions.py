from __future__ import annotations

import secrets
import uuid

import pytest

from hub.domain.errors import NotAllowed, NotFound, ValidationFailed
from hub.persistence.store import HubStore
from hub.services.sessions import session_ref
from hub.services.wiring import build_services
from tests.hub.unit.conftest import cheap_hasher


def test_the_session_id_is_the_key_to_an_anonymous_conversation(service):
    grant = service.sessions.open_session(None, None)
    assert grant.created
    assert grant.state == "bot"
    assert len(grant.session_id) >= 43  # 256 random bits
    again = service.sessions.open_session(grant.session_id, None)
    assert (again.created, again.conversation_id, again.identity_required) == (
        False,
        grant.conversation_id,
        False,
    )


def test_a_verified_connection_never_gets_an_anonymous_conversation(service):
    grant = service.sessions.open_session(None, None)
    other = service.sessions.open_session(grant.session_id, "cus_alice")
    assert other.created
    assert other.session_id != grant.session_id
    assert other.conversation_id != grant.conversation_id


@pytest.mark.parametrize(
    ("customer_ref", "granted", "identity_required"),
    [("cus_alice", True, False), ("cus_bob", False, False), (None, True, True)],
    ids=["same-customer", "other-customer", "anonymous-connection"],
)
def test_verified_conversation_needs_that_customers_token(
    service, customer_ref, granted, identity_required
):
    grant = service.sessions.open_session(None, "cus_alice")
    assert grant.customer_ref == "cus_alice"
    other = service.sessions.open_session(grant.session_id, customer_ref)
    assert (other.conversation_id == grant.conversation_id) is granted
    assert other.created is not granted
    assert other.identity_required is identity_required
    if not granted:  # someone else's id is never reused, nor revealed
        assert other.session_id != grant.session_id


@pytest.mark.parametrize(
    "requested",
    [
        "unknown-session",  # too short to be unguessable
        "a" * 40,  # long but one character
        "abcabcabcabcabcabcabcabcabcabcabcabc",  # a short pattern repeated
        "x" * 500,  # over the id limit
        "",
        "Ω" * 40,  # outside the URL-safe alphabet
    ],
)
def test_guessable_or_odd_client_ids_get_a_minted_id(service, requested):
    grant = service.sessions.open_session(requested, None)
    assert grant.created
    assert grant.session_id != requested


@pytest.mark.parametrize(
    "requested", [uuid.uuid4().hex, str(uuid.uuid4()), secrets.token_urlsafe(24)]
)
def test_an_unguessable_client_id_starts_a_conversation_under_it(service, requested):
    grant = service.sessions.open_session(requested, None)
    assert (grant.created, grant.session_id) == (True, requested)
    again = service.sessions.open_session(requested, None)
    assert (again.created, again.conversation_id) == (False, grant.conversation_id)


def test_the_store_keeps_only_a_hash_of_session_ids(service):
    grant = service.sessions.open_session(None, None)
    view = service.sessions.get_conversation(grant.conversation_id)
    assert view.session_id == session_ref(grant.session_id)
    assert grant.session_id not in view.session_id


def test_client_message_ids_make_retries_idempotent(service):
    conv = service.sessions.open_session(None, None).conversation_id
    first, created = service.messages.record_message(conv, "customer", "hello", None, None, "c-1")
    again, created_again = service.messages.record_message(
        conv, "customer", "hello", None, None, "c-1"
    )
    assert created
    assert not created_again
    assert again.id == first.id
    assert [m.id for m in service.messages.messages_after(conv, None)] == [first.id]


def test_same_client_id_in_two_conversations_is_two_messages(service):
    a = service.sessions.open_session(None, None).conversation_id
    b = service.sessions.open_session(None, None).conversation_id
    ma, _ = service.messages.record_message(a, "customer", "hi", None, None, "same")
    mb, created = service.messages.record_message(b, "customer", "hi", None, None, "same")
    assert created
    assert ma.id != mb.id


def test_messages_after_returns_missed_messages_in_order_exactly_once(service):
    conv = service.sessions.open_session(None, None).conversation_id
    other = service.sessions.open_session(None, None).conversation_id
    ids = []
    for i in range(6):
        ids.append(
            service.messages.record_message(conv, "customer", f"m{i}", None, None, None)[0].id
        )
        service.messages.record_message(other, "bot", "noise", None, "bot", None)
        ids.append(
            service.messages.record_message(conv, "bot", f"r{i}", {"buttons": []}, "bot", None)[
                0
            ].id
        )
    assert ids == sorted(ids)
    assert [m.id for m in service.messages.messages_after(conv, None)] == ids
    assert [m.id for m in service.messages.messages_after(conv, ids[4])] == ids[5:]
    assert service.messages.messages_after(conv, ids[-1]) == []
    assert service.messages.messages_after(conv, ids[2])[0].text == "r1"


@pytest.mark.parametrize(
    ("sender", "text", "payload", "client_id"),
    [
        ("robot", "hi", None, None),
        ("customer", None, None, None),
        ("customer", "x" * 4001, None, None),
        ("customer", "hi", None, "x" * 65),
        ("customer", "hi", None, ""),
    ],
)
def test_bad_messages_are_rejected_and_not_stored(service, sender, text, payload, client_id):
    conv = service.sessions.open_session(None, None).conversation_id
    with pytest.raises(ValidationFailed):
        service.messages.record_message(conv, sender, text, payload, None, client_id)
    assert service.messages.messages_after(conv, None) == []


def test_unknown_conversation(service):
    with pytest.raises(NotFound):
        service.messages.record_message("nope", "customer", "hi", None, None, None)
    with pytest.raises(NotFound):
        service.messages.messages_after("nope", None)
    with pytest.raises(NotFound):
        service.sessions.get_conversation("nope")


def test_restart_durability(db_url, service, make_agent, queued, clock, config):
    agent = make_agent()
    conv = queued()
    service.work.claim(agent, conv)
    reply = service.messages.agent_reply(agent, conv, "Hi, I'm here", "a-1")
    grant_other = service.sessions.open_session(None, "cus_bob")
    service.store.dispose()

    fresh_store = HubStore.from_url(db_url)
    try:
        fresh = build_services(fresh_store, None, config, clock, password_hasher=cheap_hasher())
        view = fresh.sessions.get_conversation(conv)
        assert (view.state, view.owner_agent_id, view.reason) == (
            "agent",
            agent,
            "explicit_request",
        )
        assert [m.text for m in fresh.messages.messages_after(conv, None)] == ["hi", "Hi, I'm here"]
        again = fresh.messages.agent_reply(agent, conv, "Hi, I'm here", "a-1")
        assert (again.message.id, again.created) == (reply.message.id, False)
        resumed = fresh.sessions.open_session(grant_other.session_id, "cus_bob")
        assert resumed.conversation_id == grant_other.conversation_id
        assert [t[2] for t in fresh.sessions.transitions(conv)] == ["handoff", "claim"]
        assert fresh.presence.agent(agent).presence == "online"
    finally:
        fresh_store.dispose()


def test_bot_is_silent_while_an_agent_owns_the_conversation(service, make_agent, queued):
    agent = make_agent()
    conv = queued()
    service.messages.record_message(conv, "bot", "connecting you", None, "bot", None)
    service.work.claim(agent, conv)
    with pytest.raises(NotAllowed):
        service.messages.record_message(conv, "bot", "I can help!", None, "bot", None)
    service.messages.record_message(conv, "system", "Agent joined", None, None, None)


def test_only_the_owner_writes_as_agent(service, make_agent, queued):
    owner, other = make_agent(), make_agent()
    conv = queued()
    with pytest.raises(NotAllowed):
        service.messages.agent_reply(owner, conv, "too early")
    service.work.claim(owner, conv)
    with pytest.raises(NotAllowed):
        service.messages.agent_reply(other, conv, "not mine")
    with pytest.raises(NotAllowed):
        service.messages.record_message(conv, "agent", "no id", None, "Eve", None)
    reply = service.messages.agent_reply(owner, conv, "hello")
    assert reply.message.sender_name == "Agent1"
    assert reply.message.sender_type == "agent"


def test_customer_writing_after_close_reopens_with_the_bot(service, make_agent, queued):
    agent = make_agent()
    conv = queued()
    service.work.claim(agent, conv)
    service.work.close(agent, conv, "resolved")
    service.messages.record_message(conv, "customer", "one more thing", None, None, None)
    view = service.sessions.get_conversation(conv)
    assert (view.state, view.owner_agent_id) == ("bot", None)
    assert service.sessions.transitions(conv)[-1][2:4] == ("reopen", "customer_returned")


def test_clock_must_be_aware(make_service):
    from datetime import datetime

    naive = make_service(clock=lambda: datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        naive.sessions.open_session(None, None)
