"""Turns re-driven after a crash, answered at most once: the services without sockets.

A "crash" here is a turn whose task never ran (the message was stored and acknowledged, the
process died): its row stays ``pending`` and a new :class:`BotTurns` (a restarted hub) finds it.
The real-process version, with SIGKILL, is ``tests/hub/test_crash_redrive.py``.
"""

from __future__ import annotations

import asyncio

import pytest

from hub.persistence.store import HubStore
from hub.services.ports import BotReply
from hub.services.wiring import HubServices
from tests.hub.fake_rasa import HANDOFF_PAYLOAD
from tests.hub.unit.turn_fakes import Hub, build_hub


@pytest.fixture
def hub(service: HubServices) -> Hub:
    return build_hub(service)


def _stored_then_crashed(service: HubServices, text: str, client_id: str) -> tuple[str, int]:
    """A customer message stored (and acknowledged) by a hub that died before its turn."""
    grant = service.sessions.open_session(None, None)
    stored = service.messages.record_customer_message(grant.conversation_id, text, client_id)
    assert stored.turn_state == "pending"
    return grant.conversation_id, stored.message.id


def _rows(service: HubServices, conversation_id: str) -> list[tuple[str, str | None]]:
    return [(m.sender_type, m.text) for m in service.messages.messages_after(conversation_id, None)]


async def test_a_retry_of_an_unanswered_message_runs_its_turn_again(hub, service):
    conv, message_id = _stored_then_crashed(service, "where is my refund?", "c-1")
    session_id = service.sessions.get_conversation(conv).session_id

    again = await hub.turns.receive(conv, session_id, "where is my refund?", "c-1", {})
    await hub.turns.drain()

    assert (again.created, again.message.id) == (False, message_id)  # still a duplicate
    assert [text for _sid, text, _meta in hub.bot.sent] == ["where is my refund?"]
    assert _rows(service, conv) == [("customer", "where is my refund?"), ("bot", "Here you go.")]
    assert service.messages.open_turns() == []


async def test_a_retry_of_an_answered_message_runs_nothing(hub, service):
    grant = service.sessions.open_session(None, None)
    conv, session_id = grant.conversation_id, grant.session_id
    await hub.turns.receive(conv, session_id, "hello", "c-1", {})
    await hub.turns.drain()
    await hub.turns.receive(conv, session_id, "hello", "c-1", {})
    await hub.turns.drain()
    assert len(hub.bot.sent) == 1
    assert _rows(service, conv) == [("customer", "hello"), ("bot", "Here you go.")]


async def test_start_up_redrives_every_unfinished_turn_in_order(hub, service):
    conv, _ = _stored_then_crashed(service, "first", "c-1")
    service.messages.record_customer_message(conv, "second", "c-2")
    _stored_then_crashed(service, "elsewhere", "c-3")

    assert await hub.turns.redrive() == 3
    await hub.turns.drain()

    sent = [(sid, text) for sid, text, _meta in hub.bot.sent]
    assert sorted(text for _sid, text in sent) == ["elsewhere", "first", "second"]
    # In order within a conversation (other conversations may run in between).
    own = service.sessions.get_conversation(conv).session_id
    assert [text for sid, text in sent if sid == own] == ["first", "second"]
    # No identity; the conversation's stored language only.
    assert all(meta == {"channel": "hub", "language": "en"} for _s, _t, meta in hub.bot.sent)
    assert [t for s, t in _rows(service, conv) if s == "bot"] == ["Here you go."] * 2
    assert service.messages.open_turns() == []
    assert await hub.turns.redrive() == 0


async def test_an_answer_is_stored_once_however_often_the_turn_runs(service):
    conv, message_id = _stored_then_crashed(service, "hi", "c-1")
    first = service.messages.answer_turn(conv, message_id, [("Hello!", None)], None)
    second = service.messages.answer_turn(conv, message_id, [("Hello again!", None)], None)
    assert first.created
    assert not second.created
    assert [m.text for m in second.messages] == ["Hello!"]  # the stored answer, not a new one
    assert _rows(service, conv) == [("customer", "hi"), ("bot", "Hello!")]
    assert service.messages.open_turns() == []


async def test_two_restarted_hubs_racing_on_one_turn_show_one_answer(service):
    first, second = build_hub(service), build_hub(service)
    first.bot.replies = [BotReply(text="from the first")]
    second.bot.replies = [BotReply(text="from the second")]
    release = asyncio.Event()
    answer_of_first = first.bot.send_message

    async def slow_first(session_id: str, text: str, metadata: dict) -> list[BotReply]:
        await release.wait()  # the first hub's bot is slow: the second hub starts meanwhile
        return await answer_of_first(session_id, text, metadata)

    first.bot.send_message = slow_first  # type: ignore[method-assign]
    conv, _ = _stored_then_crashed(service, "hi", "c-1")
    assert await first.turns.redrive() == 1
    await asyncio.sleep(0.05)  # its turn is now waiting for the bot
    assert await second.turns.redrive() == 1  # still pending: the second runs it too
    await second.turns.drain()
    release.set()
    await first.turns.drain()

    assert len(first.bot.sent) + len(second.bot.sent) == 2  # the bot saw it twice ...
    assert [t for s, t in _rows(service, conv) if s == "bot"] == ["from the second"]  # once
    assert [m.text for m in second.channels.messages] == ["from the second"]
    assert first.channels.messages == []  # the late answer is neither stored nor sent


async def test_a_handoff_asked_with_an_answer_survives_a_crash_between_them(
    hub, service, make_agent
):
    make_agent()
    conv, message_id = _stored_then_crashed(service, "this is useless", "c-1")
    # The answer was stored with its handoff request, then the hub died before requesting it.
    service.messages.answer_turn(
        conv, message_id, [("I'm sorry.", None)], dict(HANDOFF_PAYLOAD["handoff"])
    )
    assert [t.turn_state for t in service.messages.open_turns()] == ["answered"]

    await hub.turns.redrive()
    await hub.turns.drain()

    assert hub.bot.sent == []  # the bot is not asked again: its answer is stored
    assert hub.channels.messages[-1].payload == {"handoff_status": "queued"}
    assert service.sessions.get_conversation(conv).state == "queued"
    assert [t for s, t in _rows(service, conv) if s == "bot"] == ["I'm sorry."]
    assert service.messages.open_turns() == []


async def test_a_turn_whose_conversation_went_to_a_person_is_relayed_not_answered(
    hub, service, make_agent
):
    make_agent()
    conv, _ = _stored_then_crashed(service, "hello?", "c-1")
    service.handoffs.request_handoff(conv, "explicit_request", None, [], None, 1.0)
    await hub.turns.redrive()
    await hub.turns.drain()
    assert hub.bot.sent == []
    assert [m.text for m in hub.channels.relayed] == ["hello?"]
    assert service.messages.open_turns() == []


@pytest.mark.postgres
async def test_a_turn_is_redriven_and_answered_once_on_postgres(
    migrated_postgres_url, make_service
):
    store = HubStore.from_url(migrated_postgres_url)
    try:
        service = make_service(store=store)
        hub = build_hub(service)
        conv, message_id = _stored_then_crashed(service, "hi", "c-1")
        assert await hub.turns.redrive() == 1
        await hub.turns.drain()
        again = service.messages.answer_turn(conv, message_id, [("twice?", None)], None)
        assert not again.created
        assert [t for s, t in _rows(service, conv) if s == "bot"] == ["Here you go."]
        assert service.messages.open_turns() == []
    finally:
        store.dispose()
