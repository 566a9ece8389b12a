"""The agent's actions with their consequences: the customer is told, queues are refreshed.

The agent namespace authenticates each event and manages its rooms; everything an action means
for the conversation happens here, so it can be tested without sockets.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from hub.domain.errors import NotAllowed
from hub.domain.privacy import Actor
from hub.domain.texts import queue_name
from hub.domain.views import AgentView, ContextPacket, ConversationView, StoredMessage, TicketView
from hub.logging import log_event
from hub.services.blocking import BlockingCalls
from hub.services.bot_turn import BotTurns
from hub.services.notices import Notices
from hub.services.wiring import HubServices

logger = logging.getLogger(__name__)

# Called once the agent holds (or no longer holds) the conversation, before the customer is
# told: the namespace moves the agent's sockets into (or out of) the conversation's room.
Released = Callable[[], Awaitable[None]]


async def _released(callback: Released | None) -> None:
    """Run the room change of the namespace, if it gave one."""
    if callback is not None:
        await callback()


class AgentDesk:
    """Claims, replies, transfers, hand-backs, closes, presence and tickets."""

    def __init__(
        self, services: HubServices, notices: Notices, turns: BotTurns, calls: BlockingCalls
    ) -> None:
        self._services = services
        self._notices = notices
        self._turns = turns
        self._calls = calls

    async def claim(
        self,
        agent: AgentView,
        conversation_id: str,
        claimed: Released | None = None,
        actor: Actor | None = None,
    ) -> ContextPacket:
        """Take a waiting conversation; the customer hears who joined.

        ``claimed`` runs once the agent holds it, before the notice (the namespace puts the
        agent's sockets in the conversation's room). ``actor``: audited with the claim.
        """
        packet = await self._calls.call(
            self._services.work.claim, agent.agent_id, conversation_id, actor
        )
        await _released(claimed)
        log_event(
            logger,
            "agent.claimed",
            conversation_id=conversation_id,
            agent_id=agent.agent_id,
            wait_seconds=packet.wait_seconds,
        )
        await self._notices.announce(
            conversation_id,
            "agent_joined",
            values={"name": agent.display_name},
            agent_name=agent.display_name,
        )
        await self._notices.agents.queues_changed([packet.conversation.queue or ""])
        return packet

    async def reply(
        self,
        agent_id: int,
        token: str,
        conversation_id: str,
        text: str,
        client_msg_id: str | None,
    ) -> StoredMessage:
        """Store the owner's message (session checked in the same transaction) and send it.

        Raises:
            SessionEnded: The agent's session is no longer valid.
        """
        result = await self._calls.call(
            self._services.messages.agent_reply,
            agent_id,
            conversation_id,
            text,
            client_msg_id,
            token=token,
        )
        if result.created:
            await self._notices.customers.push_message(conversation_id, result.message)
            await self._notices.agents.relay_message(conversation_id, result.message)
        return result

    async def typing(self, agent: AgentView, conversation_id: str) -> None:
        """Tell the customer the owning agent is typing (nothing stored)."""
        conversation = await self._calls.call(
            self._services.sessions.get_conversation, conversation_id
        )
        if conversation.state != "agent" or conversation.owner_agent_id != agent.agent_id:
            raise NotAllowed("you do not own this conversation")
        await self._notices.transient_status(
            conversation_id, "agent_typing", agent_name=agent.display_name
        )

    async def transfer(
        self,
        agent: AgentView,
        conversation_id: str,
        queue: str,
        released: Released | None = None,
        actor: Actor | None = None,
    ) -> ConversationView:
        """Move the conversation to another queue, where it waits for a new claim."""
        conversation = await self._calls.call(
            self._services.work.transfer, agent.agent_id, conversation_id, queue, actor
        )
        await _released(released)
        log_event(
            logger,
            "agent.transferred",
            conversation_id=conversation_id,
            agent_id=agent.agent_id,
            queue=conversation.queue,
        )
        language = await self._notices.language(conversation_id)
        await self._notices.announce(
            conversation_id,
            "queued",
            key="transferred",
            values={"queue": queue_name(str(conversation.queue), language)},
            queue=conversation.queue,
            reason="transfer",
        )
        await self._notices.agents.queues_changed()
        return conversation

    async def hand_back(
        self,
        agent: AgentView,
        conversation_id: str,
        released: Released | None = None,
        actor: Actor | None = None,
    ) -> ConversationView:
        """Give the conversation back to the bot, which resumes with its context."""
        await self._calls.call(
            self._services.work.hand_back, agent.agent_id, conversation_id, actor
        )
        await _released(released)
        log_event(
            logger, "agent.handed_back", conversation_id=conversation_id, agent_id=agent.agent_id
        )
        await self._notices.announce(
            conversation_id,
            "agent_left",
            values={"name": agent.display_name},
            agent_name=agent.display_name,
        )
        await self._turns.resume_after_handback(conversation_id)
        await self._notices.agents.queues_changed()
        return await self._calls.call(self._services.sessions.get_conversation, conversation_id)

    async def close(
        self,
        agent: AgentView,
        conversation_id: str,
        disposition: str,
        released: Released | None = None,
        actor: Actor | None = None,
    ) -> ConversationView:
        """Close with a disposition; the customer may then rate the conversation."""
        conversation = await self._calls.call(
            self._services.work.close, agent.agent_id, conversation_id, disposition, actor
        )
        await _released(released)
        log_event(
            logger,
            "agent.closed",
            conversation_id=conversation_id,
            agent_id=agent.agent_id,
            disposition=disposition,
        )
        await self._notices.announce(conversation_id, "closed")
        await self._notices.agents.queues_changed()
        return conversation

    async def set_presence(self, agent_id: int, presence: str) -> AgentView:
        """Online, away or offline; only online agents with capacity get offers."""
        view = await self._calls.call(self._services.presence.set_presence, agent_id, presence)
        log_event(logger, "agent.presence", agent_id=agent_id, presence=presence)
        await self._notices.agents.queues_changed()
        return view

    async def ticket(self, agent_id: int, ticket_id: int) -> TicketView:
        """A ticket of a queue the agent serves, with its transcript."""
        return await self._calls.call(self._services.tickets.get_ticket, agent_id, ticket_id)

    async def close_ticket(self, agent_id: int, ticket_id: int) -> TicketView:
        """Mark a ticket handled; the queues' views drop it."""
        ticket = await self._calls.call(self._services.tickets.close_ticket, agent_id, ticket_id)
        log_event(logger, "agent.ticket_closed", agent_id=agent_id, ticket_id=ticket_id)
        await self._notices.agents.queues_changed([ticket.queue])
        return ticket

    async def requeue_sweep(self, now: datetime) -> list[str]:
        """Requeue conversations of agents whose grace period ran out (periodic)."""
        requeued: list[str] = await self._calls.call(self._services.work.requeue_expired, now)
        for conversation_id in requeued:
            log_event(logger, "agent.requeued", conversation_id=conversation_id)
            await self._notices.announce(
                conversation_id, "queued", key="requeued", requeued=True, position=1
            )
        if requeued:
            await self._notices.agents.queues_changed()
        return requeued
