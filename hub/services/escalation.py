"""Bringing in a person: queue the conversation and tell the customer honestly.

Also what happens when nobody can come: the customer leaves a contact for a ticket.

Used by the bot turn (explicit request, the bot's own handoff, fail-open), by the widget's
"talk to a person" button, and after a failed hand-back.
"""

from __future__ import annotations

import logging
from typing import Any

from hub.domain.views import ConversationView, HandoffOutcome, TicketView
from hub.logging import log_event
from hub.services.blocking import BlockingCalls
from hub.services.handoffs import HandoffService
from hub.services.notices import Notices
from hub.services.ports import Bot, BotError
from hub.services.sessions import SessionService
from hub.services.tickets import TicketService

logger = logging.getLogger(__name__)


class Escalation:
    """Handoff requests and cancellations, with the notices that go with them."""

    def __init__(
        self,
        handoffs: HandoffService,
        sessions: SessionService,
        tickets: TicketService,
        notices: Notices,
        bot: Bot,
        calls: BlockingCalls,
    ) -> None:
        self._handoffs = handoffs
        self._sessions = sessions
        self._tickets = tickets
        self._notices = notices
        self._bot = bot
        self._calls = calls

    async def hand_off(
        self,
        conversation_id: str,
        reason: str,
        queue: str | None,
        signals: list[dict[str, Any]],
        summary: str | None,
        score: float | None,
        *,
        paused_bot: bool = False,
        order_number: str | None = None,
        intent: str | None = None,
        language: str | None = None,
    ) -> HandoffOutcome:
        """Queue the conversation for a person and tell the customer where they stand.

        ``paused_bot`` says the request came from the bot, which paused its conversation; if
        nobody can take over, the pause is undone so the bot keeps helping. ``language``: the
        language of the phrase book the hub's guard matched the request in; the notice is in it
        when it is not English and we have texts for it, else in the conversation's language.
        """
        language = language if language not in (None, "en") else None
        outcome = await self._calls.call(
            self._handoffs.request_handoff,
            conversation_id,
            reason,
            queue,
            signals,
            summary,
            score,
            order_number=order_number,
            intent=intent,
        )
        log_event(
            logger,
            "customer.handoff",
            conversation_id=conversation_id,
            reason=reason,
            queue=outcome.queue,
            outcome=outcome.state,
        )
        if outcome.state == "no_agents":
            if paused_bot:
                await self._unpause_bot(conversation_id)
            await self._notices.announce(
                conversation_id,
                "no_agents",
                language=language,
                queue=outcome.queue,
                within_hours=outcome.within_hours,
                next_open_at=outcome.next_open_at,
            )
        elif outcome.state == "queued":
            await self._notices.announce(
                conversation_id,
                "queued",
                values={"position": outcome.position},
                language=language,
                queue=outcome.queue,
                reason=reason,
                position=outcome.position,
                estimated_wait_seconds=outcome.estimated_wait_seconds,
                within_hours=outcome.within_hours,
            )
        await self._notices.agents.queues_changed([outcome.queue])
        return outcome

    async def cancel(self, conversation_id: str) -> ConversationView:
        """The waiting customer goes back to the bot."""
        conversation = await self._calls.call(self._handoffs.cancel_handoff, conversation_id)
        await self._notices.announce(conversation_id, "bot_resumed")
        await self._notices.agents.queues_changed(
            [conversation.queue] if conversation.queue else None
        )
        return conversation

    async def leave_contact(
        self, conversation_id: str, email: str | None, phone: str | None, note: str | None
    ) -> TicketView:
        """Nobody could take over: record how to reach the customer, with the transcript."""
        ticket = await self._calls.call(
            self._tickets.create_ticket, conversation_id, email, phone, note
        )
        await self._notices.announce(conversation_id, "ticket_created", ticket_id=ticket.ticket_id)
        await self._notices.agents.queues_changed([ticket.queue])
        return ticket

    async def _unpause_bot(self, conversation_id: str) -> None:
        """Undo the bot's own pause when nobody can take over, so it keeps answering."""
        conversation = await self._calls.call(self._sessions.get_conversation, conversation_id)
        try:
            await self._bot.resume(conversation.session_id)
        except BotError as exc:
            # The next message then fails open again; nothing else to do here.
            log_event(
                logger,
                "customer.unpause_failed",
                level=logging.WARNING,
                conversation_id=conversation_id,
                kind=exc.kind,
            )
