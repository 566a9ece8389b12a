"""The bot turn and the agent's actions as services: no sockets, a fake bot, recording channels."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hub.domain.errors import InvalidState
from hub.domain.views import MessageView
from hub.services.ports import BotError, BotReply, BotUnavailable
from hub.services.wiring import HubServices
from tests.hub.unit.turn_fakes import Hub, build_hub


@pytest.fixture
def hub(service: HubServices) -> Hub:
    return build_hub(service)


async def _say(
    hub: Hub, service: HubServices, text: str, conversation_id: str | None = None
) -> str:
    if conversation_id is None:
        conversation_id = service.sessions.open_session(None, None).conversation_id
    grant_session = service.sessions.get_conversation(conversation_id).session_id
    await hub.turns.receive(conversation_id, grant_session, text, None, {"channel": "hub"})
    await hub.turns.drain()
    return conversation_id


def _texts(messages: list[MessageView]) -> list[str | None]:
    return [m.text for m in messages]


async def test_a_message_goes_to_the_bot_and_its_reply_is_stored_and_sent(hub, service):
    conv = await _say(hub, service, "when is my next payment?")
    assert [text for _sid, text, _meta in hub.bot.sent] == ["when is my next payment?"]
    assert _texts(hub.channels.messages) == ["Here you go."]
    stored = service.messages.messages_after(conv, None)
    assert [(m.sender_type, m.text) for m in stored] == [
        ("customer", "when is my next payment?"),
        ("bot", "Here you go."),
    ]


async def test_a_plain_request_for_a_person_never_reaches_the_bot(
    hub, service, make_agent: Callable[..., int]
):
    make_agent()
    conv = await _say(hub, service, "I want a person")
    assert hub.bot.sent == []
    assert service.sessions.get_conversation(conv).state == "queued"
    assert [s["state"] for s in hub.channels.statuses] == ["queued"]
    assert hub.channels.queue_changes == [["payments"]]


async def test_an_unreachable_bot_hands_off_at_once(hub, service, make_agent):
    make_agent()
    hub.bot.error = BotUnavailable("connection refused")
    conv = await _say(hub, service, "hello")
    view = service.sessions.get_conversation(conv)
    assert (view.state, view.reason) == ("queued", "bot_failure")
    assert "technical trouble" in (hub.channels.messages[0].text or "")


async def test_a_failing_bot_is_retried_before_a_person_is_called(hub, service, make_agent):
    make_agent()
    hub.bot.error = BotError("timeout")
    conv = await _say(hub, service, "hello")
    assert service.sessions.get_conversation(conv).state == "bot"
    await _say(hub, service, "hello again", conv)
    assert service.sessions.get_conversation(conv).state == "queued"


async def test_the_bots_own_handoff_with_nobody_online_unpauses_the_bot(hub, service):
    hub.bot.replies = [
        BotReply(text="Let me get someone."),
        BotReply(handoff={"reason": "topic", "queue": "disputes", "intent": "dispute_charge"}),
    ]
    conv = await _say(hub, service, "I want to dispute a charge")
    view = service.sessions.get_conversation(conv)
    assert (view.state, view.reason, view.queue) == ("bot", "topic", "disputes")
    assert hub.bot.resumed == [view.session_id]  # the bot keeps helping
    assert [s["state"] for s in hub.channels.statuses] == ["no_agents"]


async def test_a_message_to_a_person_goes_to_the_agents_not_the_bot(hub, service, make_agent):
    agent = make_agent()
    conv = await _say(hub, service, "get me a person")
    service.work.claim(agent, conv)
    hub.bot.sent.clear()
    await _say(hub, service, "are you there?", conv)
    assert hub.bot.sent == []
    assert _texts(hub.channels.relayed)[-1] == "are you there?"


async def test_the_button_while_waiting_is_refused(hub, service, make_agent):
    make_agent()
    conv = await _say(hub, service, "a person please")
    with pytest.raises(InvalidState):
        await hub.turns.request_person(conv)


async def test_claim_and_hand_back_tell_the_customer_and_resume_the_bot(hub, service, make_agent):
    agent_id = make_agent()
    agent = service.presence.agent(agent_id)
    conv = await _say(hub, service, "a person please")
    await hub.desk.claim(agent, conv)
    back = await hub.desk.hand_back(agent, conv)
    assert back.state == "bot"
    states = [s["state"] for s in hub.channels.statuses]
    assert states == ["queued", "agent_joined", "agent_left", "bot_resumed"]
    session_id = service.sessions.get_conversation(conv).session_id
    assert hub.bot.triggered == [(session_id, "EXTERNAL_handback")]
    assert _texts(hub.channels.messages)[-1] == "I'm back. How can I help?"
