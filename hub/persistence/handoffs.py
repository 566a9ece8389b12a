"""Routing episodes: a handoff request, a transfer or a requeue, from request to end."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from hub.persistence import models as m

_HANDOFFS: Final = m.Handoff.__table__


class HandoffRepository:
    """Handoff rows: start, end, claim times and the first reply."""

    def handoff(self, s: Session, handoff_id: int | None) -> m.Handoff | None:
        """The routing episode by id."""
        if handoff_id is None:
            return None
        return s.get(m.Handoff, handoff_id)  # type: ignore[no-any-return]

    def open_handoff(
        self,
        s: Session,
        conversation_id: str,
        *,
        kind: str,
        reason: str,
        queue: str,
        outcome: str,
        within_hours: bool,
        now: datetime,
    ) -> m.Handoff:
        """Start a routing episode (a handoff request, a transfer or a requeue)."""
        handoff = m.Handoff(
            conversation_id=conversation_id,
            kind=kind,
            reason=reason,
            queue=queue,
            outcome=outcome,
            within_hours=within_hours,
            requested_at=now,
        )
        s.add(handoff)
        s.flush()
        return handoff

    def end_handoff(self, s: Session, handoff_id: int | None, now: datetime, event: str) -> None:
        """End a routing episode (idempotent: an ended one keeps its first end)."""
        handoff = self.handoff(s, handoff_id)
        if handoff is not None and handoff.ended_at is None:
            handoff.ended_at = now
            handoff.end_event = event

    def mark_first_reply(
        self, s: Session | Connection, handoff_id: int | None, now: datetime
    ) -> float | None:
        """Record the agent's first reply of an episode; seconds since the claim, else None."""
        if handoff_id is None:
            return None
        row = s.execute(
            select(_HANDOFFS.c.first_agent_reply_at, _HANDOFFS.c.claimed_at).where(
                _HANDOFFS.c.id == handoff_id
            )
        ).one_or_none()
        if row is None or row.first_agent_reply_at is not None:
            return None
        s.execute(
            update(_HANDOFFS).where(_HANDOFFS.c.id == handoff_id).values(first_agent_reply_at=now)
        )
        return None if row.claimed_at is None else (now - row.claimed_at).total_seconds()

    def recent_waits(self, s: Session, queue: str, since: datetime) -> list[float]:
        """Seconds from request to claim for claims in ``queue`` since ``since``."""
        rows = s.execute(
            select(m.Handoff.requested_at, m.Handoff.claimed_at).where(
                m.Handoff.queue == queue, m.Handoff.claimed_at >= since
            )
        ).all()
        return [(claimed - requested).total_seconds() for requested, claimed in rows]

    def recent_claims(self, s: Session, since: datetime) -> list[m.Handoff]:
        """Routing episodes claimed since ``since``."""
        return list(s.execute(select(m.Handoff).where(m.Handoff.claimed_at >= since)).scalars())
