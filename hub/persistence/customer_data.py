"""Everything the hub holds about one customer, read for an export and deleted for an erasure.

A customer is known to the hub only by the ``customer_ref`` verified when a conversation opened
(anonymous conversations carry none); tickets carry it too. Deletes name every child table
explicitly rather than relying on ``ON DELETE CASCADE`` (SQLite only cascades with its foreign
key pragma on), and return their row counts for the erasure report.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from hub.persistence import models as m

# Child tables of a conversation, deleted before it (name -> model).
CHILD_TABLES: tuple[tuple[str, Any], ...] = (
    ("messages", m.Message),
    ("transitions", m.Transition),
    ("handoffs", m.Handoff),
    ("tickets", m.Ticket),
    ("ratings", m.Rating),
)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _columns(row: Any, names: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(row, name)
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out


class CustomerDataRepository:
    """Reads and deletes of one customer's rows across the hub's tables."""

    def conversations(self, s: Session, customer_ref: str, *, lock: bool = False) -> list[Any]:
        """The customer's conversations, oldest first (locked for update when ``lock``)."""
        query = (
            select(m.Conversation)
            .where(m.Conversation.customer_ref == customer_ref)
            .order_by(m.Conversation.created_at, m.Conversation.id)
        )
        if lock:
            query = query.with_for_update()
        return list(s.execute(query).scalars())

    def orphan_tickets(
        self, s: Session, customer_ref: str, conversation_ids: Sequence[str]
    ) -> list[Any]:
        """Tickets that name the customer in a conversation not bound to them."""
        query = select(m.Ticket).where(m.Ticket.customer_ref == customer_ref)
        if conversation_ids:
            query = query.where(m.Ticket.conversation_id.not_in(list(conversation_ids)))
        return list(s.execute(query.order_by(m.Ticket.id)).scalars())

    def export_conversation(self, s: Session, conv: Any) -> dict[str, Any]:
        """One conversation with its messages, state history, handoffs, tickets and rating."""
        cid = str(conv.id)
        messages = s.execute(
            select(m.Message).where(m.Message.conversation_id == cid).order_by(m.Message.id)
        ).scalars()
        transitions = s.execute(
            select(m.Transition)
            .where(m.Transition.conversation_id == cid)
            .order_by(m.Transition.id)
        ).scalars()
        handoffs = s.execute(
            select(m.Handoff).where(m.Handoff.conversation_id == cid).order_by(m.Handoff.id)
        ).scalars()
        tickets = s.execute(
            select(m.Ticket).where(m.Ticket.conversation_id == cid).order_by(m.Ticket.id)
        ).scalars()
        rating = s.get(m.Rating, cid)
        return {
            **_columns(
                conv,
                (
                    "id",
                    "session_id",
                    "customer_ref",
                    "state",
                    "queue",
                    "handoff_reason",
                    "handoff_summary",
                    "handoff_order_number",
                    "handoff_intent",
                    "disposition",
                    "created_at",
                    "updated_at",
                    "closed_at",
                ),
            ),
            "messages": [
                _columns(x, ("id", "sender_type", "sender_name", "text", "payload", "created_at"))
                for x in messages
            ],
            "state_history": [
                _columns(x, ("from_state", "to_state", "event", "reason", "at"))
                for x in transitions
            ],
            "handoffs": [
                _columns(
                    x,
                    (
                        "kind",
                        "reason",
                        "queue",
                        "outcome",
                        "requested_at",
                        "claimed_at",
                        "ended_at",
                        "end_event",
                    ),
                )
                for x in handoffs
            ],
            "tickets": [self.export_ticket(t) for t in tickets],
            "rating": None
            if rating is None
            else {"score": int(rating.score), "rated_at": _iso(rating.rated_at)},
        }

    @staticmethod
    def export_ticket(ticket: Any) -> dict[str, Any]:
        """A ticket with its contact details and transcript snapshot."""
        return _columns(
            ticket,
            (
                "id",
                "conversation_id",
                "kind",
                "email",
                "phone",
                "note",
                "queue",
                "reason",
                "customer_ref",
                "transcript",
                "status",
                "created_at",
                "closed_at",
            ),
        )

    def delete_conversations(self, s: Session, conversation_ids: Sequence[str]) -> dict[str, int]:
        """Delete conversations and every row under them; row counts per table."""
        ids = list(conversation_ids)
        counts = {name: 0 for name, _model in CHILD_TABLES}
        if not ids:
            return {**counts, "conversations": 0}
        for name, model in CHILD_TABLES:
            counts[name] = int(
                s.execute(
                    delete(model)
                    .where(model.conversation_id.in_(ids))
                    .execution_options(synchronize_session=False)
                ).rowcount
            )
        counts["conversations"] = int(
            s.execute(
                delete(m.Conversation)
                .where(m.Conversation.id.in_(ids))
                .execution_options(synchronize_session=False)
            ).rowcount
        )
        return counts

    def delete_tickets(self, s: Session, ticket_ids: Sequence[int]) -> int:
        """Delete tickets by id."""
        if not ticket_ids:
            return 0
        return int(
            s.execute(
                delete(m.Ticket)
                .where(m.Ticket.id.in_(list(ticket_ids)))
                .execution_options(synchronize_session=False)
            ).rowcount
        )

    def has_children(self, s: Session, conversation_id: str) -> bool:
        """Whether a ticket or rating still hangs off a conversation."""
        query = select(m.Conversation.id).where(
            m.Conversation.id == conversation_id,
            or_(
                select(m.Ticket.id).where(m.Ticket.conversation_id == conversation_id).exists(),
                select(m.Rating.conversation_id)
                .where(m.Rating.conversation_id == conversation_id)
                .exists(),
            ),
        )
        return s.execute(query).first() is not None
