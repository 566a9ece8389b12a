"""The bot turn and the agent's actions as services: no sockets, a fake bot, recording channels."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from hub.domain.errors import InvalidState
from hub.domain.views import MessageView
from hub.services.agent_desk import AgentDesk
from hub.services.blocking import BlockingCalls
from hub.services.bot_turn import BotTurns
from hub.services.escalation import Escalation
from hub.services.notices import Notices
from hub.services.ports import BotError, BotReply, BotUnavailable
from hub.services.wiring import HubServices


@dataclass
class Match:
    phrase: str | None = "a person"
    language: str | None = "en"


@dataclass
class FakeBot:
    """Answers from a script; records every call."""

    replies: list[BotReply] = field(default_factory=lambda: [BotReply(text="Here you go.")])
    error: BotError | None = None
    sent: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    triggered: list[tuple[str, str]] = field(default_factory=list)
    failures: int = 0

    async def send_message(
        self, session_id: str, text: str, metadata: dict[str, Any]
    ) -> list[BotReply]:
        self.sent.append((session_id, text, metadata))
        if self.error is not None:
            raise self.error
        return self.replies

    async def resume(self, session_id: str) -> None:
        self.resumed.append(session_id)

    async def trigger_intent(self, session_id: str, name: str) -> list[BotReply]:
        self.triggered.append((session_id, name))
        return [BotReply(text="I'm back. How can I help?")]

    def record_success(self) -> None:
        self.failures = 0

    def record_failure(self, error: BotError) -> int:
        self.failures += 1
        return self.failures


@dataclass
class Channels:
    """Both channels at once: what the customer and the agents would have been sent."""

    messages: list[MessageView] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    relayed: list[MessageView] = field(default_factory=list)
    queue_changes: list[list[str] | None] = field(default_factory=list)
    typing: list[str] = field(default_factory=list)

    async def push_message(self, conversation_id: str, message: MessageView) -> None:
        self.messages.append(message)

    async def push_status(self, conversation_id: str, body: dict[str, Any]) -> None:
        self.statuses.append(body)

    async def push_error(self, conversation_id: str, code: str) -> None:
        self.errors.append(code)

    async def relay_message(self, conversation_id: str, message: MessageView) -> None:
        self.relayed.append(message)

    async def queues_changed(self, queues: Iterable[str] | None = None) -> None:
        self.queue_changes.append(None if queues is None else list(queues))

    async def customer_typing(self, conversation_id: str) -> None:
        self.typing.append(conversation_id)


@dataclass
class Hub:
    turns: BotTurns
    desk: AgentDesk
    bot: FakeBot
    channels: Channels


@pytest.fixture
def hub(service: HubServices) -> Hub:
    bot, channels = FakeBot(), Channels()
    calls = BlockingCalls(inline_short_calls=True)
    notices = Notices(service.messages, calls, channels, channels)
    escalation = Escalation(
        service.handoffs, service.sessions, service.tickets, notices, bot, calls
    )

    def guard(text: str) -> Match | None:
        return Match() if "a person" in text else None

    turns = BotTurns(
        service.sessions,
        service.messages,
        notices,
        escalation,
        bot,
        calls,
        detect_explicit=guard,
        failure_threshold=2,
        state_changes=lambda: service.store.state_changes,
    )
    return Hub(turns, AgentDesk(service, notices, turns, calls), bot, channels)


async def _say(
    hub: Hub, service: HubServices, text: str, conversation_id: str | None = None
) -> str:
    if conversation_id is None:
        conversation_id = service.sessions.open_session(None, None, None).conversation_id
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
