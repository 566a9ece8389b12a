"""Fakes for testing the asynchronous services without sockets: a bot and recording channels."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hub.domain.views import MessageView
from hub.services.agent_desk import AgentDesk
from hub.services.blocking import BlockingCalls
from hub.services.bot_turn import BotTurns
from hub.services.escalation import Escalation
from hub.services.notices import Notices
from hub.services.ports import BotError, BotReply
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


def build_hub(service: HubServices) -> Hub:
    """The asynchronous services over ``service`` with a fake bot and recording channels."""
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
