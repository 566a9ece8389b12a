"""Tickets and ratings: what a customer leaves when nobody could take over, and CSAT.

A second submission with the same contact while the first ticket is open updates that ticket
(the customer pressed twice, or added a note) instead of duplicating it. Agents read and close
tickets of the queues they serve. The customer's note is masked like their messages
(``common.sensitive``).
"""

from __future__ import annotations

from common.sensitive import mask_sensitive
from hub.domain.contact import validate_contact
from hub.domain.errors import NotAllowed, ValidationFailed
from hub.domain.policy import HubConfig
from hub.domain.routing import serves
from hub.domain.views import TicketView
from hub.persistence import models as m
from hub.persistence.mapping import ticket_view, transcript_snapshot
from hub.persistence.store import HubStore
from hub.services.clock import Clock, utc_now


class TicketService:
    """Tickets, callbacks and ratings."""

    def __init__(self, store: HubStore, config: HubConfig, clock: Clock) -> None:
        self._store = store
        self._config = config
        self._clock = clock

    def create_ticket(
        self, conversation_id: str, email: str | None, phone: str | None, note: str | None
    ) -> TicketView:
        """Store the customer's contact with a transcript snapshot for a later reply.

        Raises:
            ValidationFailed: No contact, malformed email or phone, note too long.
        """
        clean_email, clean_phone, clean_note = validate_contact(
            email, phone, note, self._config.max_note_chars
        )
        if clean_note:
            clean_note = mask_sensitive(clean_note).text  # like every message the customer types
        now = utc_now(self._clock)
        with self._store.transaction() as s:
            conv = self._store.conversations.conversation(s, conversation_id, lock=True)
            transcript = transcript_snapshot(
                self._store.messages.messages_after(s, conversation_id, None)
            )
            for existing in self._store.tickets.tickets_for(s, conversation_id):
                if existing.status == "open" and (existing.email, existing.phone) == (
                    clean_email,
                    clean_phone,
                ):
                    existing.note = clean_note or existing.note
                    existing.transcript = transcript
                    return ticket_view(existing)
            row = m.Ticket(
                conversation_id=conversation_id,
                kind="callback" if clean_phone and not clean_email else "email",
                email=clean_email,
                phone=clean_phone,
                note=clean_note,
                queue=str(conv.queue or self._config.default_queue),
                reason=conv.handoff_reason,
                customer_ref=conv.customer_ref,
                transcript=transcript,
                status="open",
                created_at=now,
            )
            s.add(row)
            s.flush()
            return ticket_view(row)

    def get_ticket(self, agent_id: int, ticket_id: int) -> TicketView:
        """A ticket with its transcript, for an agent who serves its queue.

        Raises:
            NotFound: Unknown ticket or agent.
            NotAllowed: The agent does not serve the ticket's queue.
        """
        with self._store.read() as s:
            ticket = self._served_ticket(s, agent_id, ticket_id)
            return ticket_view(ticket)

    def close_ticket(self, agent_id: int, ticket_id: int) -> TicketView:
        """Mark a ticket handled (idempotent), for an agent who serves its queue."""
        now = utc_now(self._clock)
        with self._store.transaction() as s:
            ticket = self._served_ticket(s, agent_id, ticket_id)
            if ticket.status != "closed":
                ticket.status = "closed"
                ticket.closed_at = now
                ticket.closed_by = agent_id
            return ticket_view(ticket)

    def _served_ticket(self, s: object, agent_id: int, ticket_id: int) -> m.Ticket:
        agent = self._store.agents.agent(s, agent_id)  # type: ignore[arg-type]
        ticket = self._store.tickets.ticket(s, ticket_id)  # type: ignore[arg-type]
        if not serves(str(agent.role), agent.queues or (), str(ticket.queue)):
            raise NotAllowed("the ticket belongs to a queue this agent does not serve")
        return ticket

    def rate(self, conversation_id: str, score: int) -> None:
        """Record CSAT 1-5; only once the conversation has been closed by an agent.

        Raises:
            ValidationFailed: Score not an integer 1-5.
            NotAllowed: The conversation was never closed.
        """
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise ValidationFailed("score", "an integer from 1 to 5")
        now = utc_now(self._clock)
        with self._store.transaction() as s:
            conv = self._store.conversations.conversation(s, conversation_id, lock=True)
            if conv.closed_at is None:
                raise NotAllowed("a conversation can be rated after it is closed")
            self._store.tickets.set_rating(s, conversation_id, score, now)
