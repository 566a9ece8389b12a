"""Aggregates for the metrics, computed from the tables (the same in every process)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.persistence import models as m


class StatsQueries:
    """Counts and recent episodes for the metrics exporter."""

    def handoff_counts(self, s: Session) -> dict[tuple[str, str, str], int]:
        """Bot-to-person handoff requests per (reason, queue, outcome)."""
        rows = s.execute(
            select(m.Handoff.reason, m.Handoff.queue, m.Handoff.outcome, func.count())
            .where(m.Handoff.kind == "handoff")
            .group_by(m.Handoff.reason, m.Handoff.queue, m.Handoff.outcome)
        ).all()
        return {(r, q, o): int(n) for r, q, o, n in rows}

    def message_counts(self, s: Session) -> dict[str, int]:
        """Stored messages per sender type."""
        rows = s.execute(
            select(m.Message.sender_type, func.count()).group_by(m.Message.sender_type)
        ).all()
        return {str(t): int(n) for t, n in rows}

    def containment(self, s: Session) -> tuple[int, int]:
        """(conversations with a customer message, those that never asked for a person).

        A request nobody could take (``no_agents``) still counts as not contained: the
        customer wanted a person, whether or not one was available.
        """
        talked = (
            select(m.Message.conversation_id)
            .where(m.Message.sender_type == "customer")
            .distinct()
            .subquery()
        )
        queued = (
            select(m.Handoff.conversation_id)
            .where(m.Handoff.kind == "handoff")
            .distinct()
            .subquery()
        )
        total = s.execute(select(func.count()).select_from(talked)).scalar_one()
        escalated = s.execute(
            select(func.count())
            .select_from(talked)
            .where(talked.c.conversation_id.in_(select(queued.c.conversation_id)))
        ).scalar_one()
        return int(total), int(total) - int(escalated)

    def csat_counts(self, s: Session) -> dict[int, int]:
        """Ratings per score."""
        rows = s.execute(select(m.Rating.score, func.count()).group_by(m.Rating.score)).all()
        return {int(score): int(n) for score, n in rows}
