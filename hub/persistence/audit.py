"""The audit log's repository: append and read, and the retention purge's one delete.

There is deliberately no method that updates an entry or deletes one by choice; the database's
triggers (migration 0003) refuse both anyway. :meth:`AuditRepository.purge_before` is the only
delete: it writes a purge permit for its cutoff, deletes a batch of entries older than it and
removes the permit, all in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from hub.persistence import models as m


@dataclass(frozen=True)
class AuditRecord:
    """One audit entry as read back."""

    id: int
    at: datetime
    agent_id: int | None
    agent_username: str | None
    action: str
    customer_ref: str | None
    conversation_id: str | None
    session_ref: str
    detail: dict[str, Any] | None


def _record(row: Any) -> AuditRecord:
    return AuditRecord(
        id=int(row.id),
        at=row.at,
        agent_id=None if row.agent_id is None else int(row.agent_id),
        agent_username=row.agent_username,
        action=str(row.action),
        customer_ref=row.customer_ref,
        conversation_id=row.conversation_id,
        session_ref=str(row.session_ref),
        detail=row.detail,
    )


class AuditRepository:
    """Rows of ``hub_audit_log``."""

    def append(
        self,
        s: Session,
        *,
        at: datetime,
        agent_id: int | None,
        agent_username: str | None,
        action: str,
        customer_ref: str | None,
        conversation_id: str | None,
        session_ref: str,
        detail: dict[str, Any] | None = None,
    ) -> int:
        """Insert one entry; returns its id."""
        result = s.execute(
            insert(m.AuditEntry).values(
                at=at,
                agent_id=agent_id,
                agent_username=agent_username,
                action=action,
                customer_ref=customer_ref,
                conversation_id=conversation_id,
                session_ref=session_ref,
                detail=detail,
            )
        )
        return int(result.inserted_primary_key[0])

    def entries(
        self,
        s: Session,
        *,
        customer_ref: str | None = None,
        conversation_id: str | None = None,
        agent_id: int | None = None,
        action: str | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> list[AuditRecord]:
        """Entries matching every given filter, newest first (page with ``before_id``)."""
        query = select(m.AuditEntry)
        if customer_ref is not None:
            query = query.where(m.AuditEntry.customer_ref == customer_ref)
        if conversation_id is not None:
            query = query.where(m.AuditEntry.conversation_id == conversation_id)
        if agent_id is not None:
            query = query.where(m.AuditEntry.agent_id == agent_id)
        if action is not None:
            query = query.where(m.AuditEntry.action == action)
        if before_id is not None:
            query = query.where(m.AuditEntry.id < before_id)
        rows = s.execute(query.order_by(m.AuditEntry.id.desc()).limit(limit)).scalars()
        return [_record(r) for r in rows]

    def count_before(self, s: Session, cutoff: datetime) -> int:
        """How many entries are older than ``cutoff`` (the purge's dry run)."""
        query = select(func.count()).select_from(m.AuditEntry).where(m.AuditEntry.at < cutoff)
        return int(s.execute(query).scalar_one())

    def purge_before(self, s: Session, cutoff: datetime, limit: int) -> int:
        """Delete up to ``limit`` of the oldest entries older than ``cutoff``; returns how many.

        Only for the retention purge: the permit lets the DELETE trigger pass for exactly the
        rows older than ``cutoff`` and lives only inside this transaction.
        """
        ids = list(
            s.execute(
                select(m.AuditEntry.id)
                .where(m.AuditEntry.at < cutoff)
                .order_by(m.AuditEntry.id)
                .limit(limit)
            ).scalars()
        )
        if not ids:
            return 0
        permit = s.execute(insert(m.AuditPurgePermit).values(cutoff=cutoff))
        permit_id = permit.inserted_primary_key[0]
        deleted = s.execute(
            delete(m.AuditEntry)
            .where(m.AuditEntry.id.in_(ids), m.AuditEntry.at < cutoff)
            .execution_options(synchronize_session=False)
        ).rowcount
        s.execute(delete(m.AuditPurgePermit).where(m.AuditPurgePermit.id == permit_id))
        return int(deleted)
