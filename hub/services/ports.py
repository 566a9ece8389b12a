"""What the asynchronous services need from the outside, as protocols.

The adapters in ``connectors/`` implement them: the Rasa HTTP client is a :class:`Bot`, the
customer namespace a :class:`CustomerChannel`, the agent namespace an :class:`AgentChannel`.
The services never import an adapter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from hub.domain.views import MessageView


class BotError(Exception):
    """The bot did not answer usably; ``kind`` names how (for logs and metrics)."""

    kind = "error"


class BotUnavailable(BotError):
    """The bot cannot be reached at all (connection refused, not started): hand off at once."""

    kind = "unavailable"


class BotBusy(BotError):
    """The hub's own line in front of the bot was too long: says nothing about the bot."""

    kind = "busy"


@dataclass(frozen=True)
class BotReply:
    """One message of the bot, already in the shape customers' clients receive.

    Attributes:
        text: The text, if any.
        fields: Other client fields (``quick_replies``, ``buttons``, ``attachment``,
            ``custom``), stored with the message.
        handoff: The bot's structured handoff request, when this message is one.
    """

    text: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    handoff: dict[str, Any] | None = None


class Bot(Protocol):
    """The conversational bot (Rasa) as the bot turn needs it."""

    async def send_message(
        self, session_id: str, text: str, metadata: dict[str, Any]
    ) -> list[BotReply]:
        """The bot's replies to one customer message; raises :class:`BotError`."""

    async def resume(self, session_id: str) -> None:
        """Undo the bot's own pause of a conversation; raises :class:`BotError`."""

    async def trigger_intent(self, session_id: str, name: str) -> list[BotReply]:
        """Trigger an external intent; raises :class:`BotError`."""

    def record_success(self) -> None:
        """The bot answered: reset the failure streak."""

    def record_failure(self, error: BotError) -> int:
        """Count a failure; returns the current streak."""


class CustomerChannel(Protocol):
    """Pushes to the customer's clients of one conversation."""

    async def push_message(self, conversation_id: str, message: MessageView) -> None:
        """Deliver a stored message."""

    async def push_status(self, conversation_id: str, body: dict[str, Any]) -> None:
        """Deliver a ``handoff_status`` body."""

    async def push_error(self, conversation_id: str, code: str) -> None:
        """Tell the conversation's clients that something failed on the hub's side."""


class AgentChannel(Protocol):
    """Pushes to the agents' consoles."""

    async def relay_message(self, conversation_id: str, message: MessageView) -> None:
        """Show a new conversation message to the agents working it."""

    async def queues_changed(self, queues: Iterable[str] | None = None) -> None:
        """Refresh the queue views of agents who see these queues (all when None)."""

    async def customer_typing(self, conversation_id: str) -> None:
        """Tell the agents working the conversation that the customer is typing."""
