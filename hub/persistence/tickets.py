"""Tickets left by customers, and CSAT ratings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.domain.errors import NotFound
from hub.persistence import models as m


class TicketRepository:
    """Ticket and rating rows."""

    def open_tickets(self, s: Session, queues: Sequence[str] | None) -> list[m.Ticket]:
        """Open tickets, oldest first, optionally for some queues only."""
        query = select(m.Ticket).where(m.Ticket.status == "open")
        if queues is not None:
            query = query.where(m.Ticket.queue.in_(list(queues)))
        return list(s.execute(query.order_by(m.Ticket.created_at, m.Ticket.id)).scalars())

    def tickets_for(self, s: Session, conversation_id: str) -> list[m.Ticket]:
        """Tickets left in one conversation."""
        return list(
            s.execute(
                select(m.Ticket)
                .where(m.Ticket.conversation_id == conversation_id)
                .order_by(m.Ticket.id)
            ).scalars()
        )

    def ticket(self, s: Session, ticket_id: int) -> m.Ticket:
        """Load a ticket or raise NotFound."""
        row = s.get(m.Ticket, ticket_id)
        if row is None:
            raise NotFound("ticket", ticket_id)
        return row  # type: ignore[no-any-return]

    def set_rating(self, s: Session, conversation_id: str, score: int, now: datetime) -> None:
        """Store or replace the CSAT score of a conversation."""
        row = s.get(m.Rating, conversation_id)
        if row is None:
            s.add(m.Rating(conversation_id=conversation_id, score=score, rated_at=now))
        else:
            row.score = score
            row.rated_at = now

    def rating(self, s: Session, conversation_id: str) -> int | None:
        """The CSAT score of a conversation, if rated."""
        row = s.get(m.Rating, conversation_id)
        return None if row is None else int(row.score)
