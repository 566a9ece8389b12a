"""Rows past their retention period (``retention:`` in ``hub.yml``), found and deleted in batches.

Conversations are only ever expired when nobody is serving them (with the bot, or closed) and
their last activity (``updated_at``) is older than the cutoff. One that still has a ticket or a
rating inside that kind's own period keeps its row, but loses its transcript: its messages and
the free text of its handoff context (summary, signals, order number) are deleted, so the
transcript period holds whatever the other periods are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import delete, func, null, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from hub.persistence import models as m

IDLE_STATES: Final = ("bot", "closed")


def _with_children() -> Any:
    return or_(
        select(m.Ticket.id).where(m.Ticket.conversation_id == m.Conversation.id).exists(),
        select(m.Rating.conversation_id)
        .where(m.Rating.conversation_id == m.Conversation.id)
        .exists(),
    )


def _expired(cutoff: datetime) -> list[Any]:
    return [m.Conversation.updated_at < cutoff, m.Conversation.state.in_(IDLE_STATES)]


def _deletable(cutoff: datetime) -> Select:
    return select(m.Conversation.id, m.Conversation.session_id).where(
        *_expired(cutoff), ~_with_children()
    )


def _strippable(cutoff: datetime) -> Select:
    has_text = or_(
        select(m.Message.id).where(m.Message.conversation_id == m.Conversation.id).exists(),
        m.Conversation.handoff_summary.is_not(None),
    )
    return select(m.Conversation.id, m.Conversation.session_id).where(
        *_expired(cutoff), _with_children(), has_text
    )


def _count(s: Session, query: Select) -> int:
    return int(s.execute(select(func.count()).select_from(query.subquery())).scalar_one())


class ExpiryRepository:
    """Look-ups and batch deletes of expired hub rows; every method takes the caller's session."""

    def expired_conversations(
        self, s: Session, cutoff: datetime, limit: int
    ) -> list[tuple[str, str]]:
        """Up to ``limit`` (id, session id) of conversations to delete, locked for update."""
        query = _deletable(cutoff).order_by(m.Conversation.updated_at).limit(limit)
        return [(str(r.id), str(r.session_id)) for r in s.execute(query.with_for_update())]

    def stale_transcripts(self, s: Session, cutoff: datetime, limit: int) -> list[tuple[str, str]]:
        """Up to ``limit`` expired conversations kept for a ticket or rating, transcript left."""
        query = _strippable(cutoff).order_by(m.Conversation.updated_at).limit(limit)
        return [(str(r.id), str(r.session_id)) for r in s.execute(query.with_for_update())]

    def strip_transcripts(self, s: Session, conversation_ids: list[str]) -> int:
        """Delete the messages and handoff free text of conversations; returns messages deleted."""
        if not conversation_ids:
            return 0
        deleted = s.execute(
            delete(m.Message)
            .where(m.Message.conversation_id.in_(conversation_ids))
            .execution_options(synchronize_session=False)
        ).rowcount
        s.execute(
            update(m.Conversation)
            .where(m.Conversation.id.in_(conversation_ids))
            .values(
                handoff_summary=None,
                handoff_signals=null(),
                handoff_order_number=None,
                last_message_id=None,
            )
            .execution_options(synchronize_session=False)
        )
        return int(deleted)

    def expired_ticket_ids(self, s: Session, cutoff: datetime, limit: int) -> list[int]:
        """Up to ``limit`` ids of tickets left before ``cutoff``."""
        query = select(m.Ticket.id).where(m.Ticket.created_at < cutoff).order_by(m.Ticket.id)
        return [int(i) for i in s.execute(query.limit(limit)).scalars()]

    def delete_expired_ratings(self, s: Session, cutoff: datetime, limit: int) -> int:
        """Delete up to ``limit`` ratings given before ``cutoff``."""
        ids = list(
            s.execute(
                select(m.Rating.conversation_id).where(m.Rating.rated_at < cutoff).limit(limit)
            ).scalars()
        )
        if not ids:
            return 0
        return int(
            s.execute(
                delete(m.Rating)
                .where(m.Rating.conversation_id.in_(ids))
                .execution_options(synchronize_session=False)
            ).rowcount
        )

    def kept_sessions(self, s: Session, session_ids: list[str], cutoff: datetime) -> set[str]:
        """Which of these session ids belong to conversations the hub still keeps whole.

        A tracker of such a conversation stays, however old its last bot event (a customer
        who has been with a person for a long time, or one active since).
        """
        if not session_ids:
            return set()
        query = select(m.Conversation.session_id).where(
            m.Conversation.session_id.in_(session_ids),
            or_(m.Conversation.updated_at >= cutoff, m.Conversation.state.not_in(IDLE_STATES)),
        )
        return {str(x) for x in s.execute(query).scalars()}

    def counts(self, s: Session, cutoffs: dict[str, datetime | None]) -> dict[str, int]:
        """What a purge would delete now (the dry run), per kind."""
        out: dict[str, int] = {}
        transcripts = cutoffs.get("transcripts")
        if transcripts is not None:
            out["conversations"] = _count(s, _deletable(transcripts))
            out["transcripts_stripped"] = _count(s, _strippable(transcripts))
        tickets = cutoffs.get("tickets")
        if tickets is not None:
            out["tickets"] = _count(s, select(m.Ticket.id).where(m.Ticket.created_at < tickets))
        ratings = cutoffs.get("ratings")
        if ratings is not None:
            query = select(m.Rating.conversation_id).where(m.Rating.rated_at < ratings)
            out["ratings"] = _count(s, query)
        return out
