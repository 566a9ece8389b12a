"""Agents, their presence and their login sessions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from hub.domain.errors import NotFound
from hub.persistence import models as m


class AgentRepository:
    """Agent and agent-session rows."""

    def agent(self, s: Session, agent_id: int, *, lock: bool = False) -> m.Agent:
        """Load an agent (locked for update when ``lock``), or raise NotFound."""
        query = select(m.Agent).where(m.Agent.id == agent_id)
        if lock:
            query = query.with_for_update()
        row = s.execute(query).scalar_one_or_none()
        if row is None:
            raise NotFound("agent", agent_id)
        return row  # type: ignore[no-any-return]

    def agent_by_username(self, s: Session, username: str, *, lock: bool = False) -> m.Agent | None:
        """Load an agent by username."""
        query = select(m.Agent).where(m.Agent.username == username)
        if lock:
            query = query.with_for_update()
        return s.execute(query).scalar_one_or_none()  # type: ignore[no-any-return]

    def agents(self, s: Session) -> list[m.Agent]:
        """Every agent, by username."""
        return list(s.execute(select(m.Agent).order_by(m.Agent.username)).scalars())

    def online_agents(self, s: Session, seen_since: datetime) -> list[m.Agent]:
        """Active agents whose presence is online and whose hub was alive at ``seen_since``.

        An agent whose ``last_seen_at`` is older (or missing) belongs to a hub process that
        stopped without marking them offline, so nobody is actually there.
        """
        return list(
            s.execute(
                select(m.Agent).where(
                    m.Agent.active.is_(True),
                    m.Agent.presence == "online",
                    m.Agent.last_seen_at >= seen_since,
                )
            ).scalars()
        )

    def touch_agents(self, s: Session, agent_ids: Sequence[int], now: datetime) -> int:
        """Heartbeat: record that these agents' sockets are alive; returns rows updated."""
        if not agent_ids:
            return 0
        result = s.execute(
            update(m.Agent)
            .where(m.Agent.id.in_(list(agent_ids)))
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)

    def session_by_token_hash(self, s: Session, token_hash: str) -> m.AgentSession | None:
        """An agent login session by the SHA-256 of its token."""
        return s.execute(  # type: ignore[no-any-return]
            select(m.AgentSession).where(m.AgentSession.token_hash == token_hash)
        ).scalar_one_or_none()

    def expired_disconnects(
        self, s: Session, cutoff: datetime, stale_cutoff: datetime
    ) -> list[m.Agent]:
        """Agents whose grace period is over.

        Either they disconnected (``disconnected_at``) before ``cutoff`` and are not back
        online, or they still look connected but no hub has seen them since ``stale_cutoff``
        (their hub died; ``stale_cutoff`` already includes the grace period) while they own
        conversations.
        """
        owners = select(m.Conversation.owner_agent_id).where(m.Conversation.state == "agent")
        return list(
            s.execute(
                select(m.Agent)
                .where(
                    or_(
                        (m.Agent.disconnected_at.is_not(None))
                        & (m.Agent.disconnected_at <= cutoff)
                        & (m.Agent.presence != "online"),
                        (m.Agent.presence != "offline")
                        & (m.Agent.last_seen_at.is_(None) | (m.Agent.last_seen_at <= stale_cutoff))
                        & m.Agent.id.in_(owners),
                    )
                )
                .with_for_update()
            ).scalars()
        )
