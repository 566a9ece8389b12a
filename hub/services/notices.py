"""What the hub says in a conversation: system messages and handoff notices.

The hub's own texts are said in the conversation's language (``hub.domain.texts``; the
language is stored with the conversation, decided on each customer message).

A notice is stored as a system message before it is sent (so it is replayed after a reconnect
and shows in transcripts), delivered to the customer's clients, and shown to the agents
working the conversation.
"""

from __future__ import annotations

from typing import Any

from hub.domain.texts import status_text
from hub.domain.views import MessageView
from hub.services.blocking import BlockingCalls
from hub.services.messages import MessageService
from hub.services.ports import AgentChannel, CustomerChannel


class Notices:
    """Stores and delivers the hub's own messages."""

    def __init__(
        self,
        messages: MessageService,
        calls: BlockingCalls,
        customers: CustomerChannel,
        agents: AgentChannel,
    ) -> None:
        self._messages = messages
        self._calls = calls
        self.customers = customers
        self.agents = agents

    async def deliver(self, conversation_id: str, message: MessageView) -> None:
        """Send a stored message to the customer; agents see it too unless they wrote it."""
        await self.customers.push_message(conversation_id, message)
        if message.sender_type != "agent":
            await self.agents.relay_message(conversation_id, message)

    async def system_message(
        self, conversation_id: str, text: str, *, once: str | None = None
    ) -> MessageView | None:
        """Store and send a message from the hub itself.

        Args:
            conversation_id: Where it goes.
            text: What it says.
            once: A key for a message said at most once per conversation: it is the stored
                message's client id, so the store (under the conversation's row lock, across
                restarts and processes) refuses a second one, which is then not sent (None is
                returned).
        """
        stored = await self._calls.short(
            self._messages.record, conversation_id, "system", text, None, None, once
        )
        if not stored.created:
            return None
        await self.deliver(conversation_id, stored.message)
        return stored.message

    async def status(self, conversation_id: str, state: str, text: str, **fields: Any) -> None:
        """Store a handoff notice as a system message and send ``handoff_status``.

        Old clients show the stored text (it arrives as a message); new clients get the
        status with ``message_id`` so they can show one or the other.
        """
        stored, _ = await self._calls.short(
            self._messages.record_message,
            conversation_id,
            "system",
            text,
            {"handoff_status": state},
            None,
            None,
        )
        await self.deliver(conversation_id, stored)
        body = {"state": state, "text": text, "message_id": stored.id, **fields}
        await self.customers.push_status(conversation_id, body)

    async def transient_status(self, conversation_id: str, state: str, **fields: Any) -> None:
        """Send a ``handoff_status`` that is not stored (e.g. ``agent_typing``)."""
        await self.customers.push_status(conversation_id, {"state": state, **fields})

    async def language(self, conversation_id: str) -> str:
        """The language the hub speaks in this conversation."""
        return await self._calls.short(self._messages.conversation_language, conversation_id)

    async def say(
        self, conversation_id: str, key: str, *, once: str | None = None
    ) -> MessageView | None:
        """A system message of ``hub.domain.texts`` in the conversation's language."""
        text = status_text(key, await self.language(conversation_id))
        return await self.system_message(conversation_id, text, once=once)

    async def announce(
        self,
        conversation_id: str,
        state: str,
        *,
        key: str | None = None,
        values: dict[str, Any] | None = None,
        language: str | None = None,
        **fields: Any,
    ) -> None:
        """:meth:`status` with the text ``key`` (default: ``state``) in the conversation's language.

        ``values`` fill the text's placeholders; ``language`` overrides the stored language
        (a language the hub's guard recognised in the message that asked for a person).
        """
        language = language or await self.language(conversation_id)
        text = status_text(key or state, language).format(**(values or {}))
        await self.status(conversation_id, state, text, language=language, **fields)
