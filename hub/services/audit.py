"""The audit trail: who opened, exported, erased, transferred or closed which customer's data.

Every entry is written in its own short transaction by the adapter path that serves the data,
*before* the data is handed over, so a failed write means the data is not sent. Entries are
append-only (no method here changes or deletes one; the database's triggers refuse it too).
Only supervisors may read them (:meth:`AuditTrail.entries`), and reading is itself recorded.
"""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.domain.errors import NotAllowed, NotFound, ValidationFailed
from hub.domain.privacy import AUDIT_ACTIONS, Actor
from hub.persistence import models as m
from hub.persistence.audit import AuditRecord, AuditRepository
from hub.persistence.store import HubStore
from hub.services.accounts import hash_token
from hub.services.clock import Clock, utc_now

MAX_PAGE = 500


def cli_session_ref() -> str:
    """The session reference of the operators' command: the operating-system user."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"cli:{user}"[:64]


class AuditTrail:
    """Writes and reads ``hub_audit_log``.

    Args:
        store: The hub store.
        clock: Aware UTC "now".
    """

    def __init__(self, store: HubStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self.repository = AuditRepository()

    def actor_for_token(self, agent_id: int, token: str) -> Actor:
        """The actor behind a live session token: its session row id is the reference."""
        with self._store.read() as s:
            session = self._store.agents.session_by_token_hash(s, hash_token(token))
        ref = "session:unknown" if session is None else f"session:{int(session.id)}"
        return Actor(agent_id=agent_id, session_ref=ref)

    def actor_for_username(self, username: str, session_ref: str) -> Actor:
        """The actor named on the operators' command line (an active account)."""
        with self._store.read() as s:
            row = self._store.agents.agent_by_username(s, username.strip().lower())
            if row is None or not row.active:
                raise NotFound("agent", username)
            return Actor(agent_id=int(row.id), session_ref=session_ref)

    def require_supervisor(self, actor: Actor) -> None:
        """Raise NotAllowed unless the actor is an active supervisor."""
        with self._store.read() as s:
            row = self._store.agents.agent(s, actor.agent_id)
            if row.role != "supervisor" or not row.active:
                raise NotAllowed("only a supervisor may do this")

    def record(
        self,
        actor: Actor,
        action: str,
        *,
        conversation_id: str | None = None,
        customer_ref: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> int:
        """Append one entry in its own transaction; returns its id.

        The conversation's verified customer is looked up when not given.
        """
        with self._store.transaction() as s:
            return self.append(
                s,
                actor,
                action,
                conversation_id=conversation_id,
                customer_ref=customer_ref,
                detail=detail,
            )

    def append(
        self,
        s: Session,
        actor: Actor,
        action: str,
        *,
        conversation_id: str | None = None,
        customer_ref: str | None = None,
        detail: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> int:
        """:meth:`record` inside the caller's transaction (with the change it records)."""
        if action not in AUDIT_ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        if customer_ref is None and conversation_id is not None:
            conv = s.get(m.Conversation, conversation_id)
            customer_ref = None if conv is None else conv.customer_ref
        agent = s.get(m.Agent, actor.agent_id)
        return self.repository.append(
            s,
            at=now or utc_now(self._clock),
            agent_id=actor.agent_id,
            agent_username=None if agent is None else str(agent.username),
            action=action,
            customer_ref=customer_ref,
            conversation_id=conversation_id,
            session_ref=actor.session_ref[:64],
            detail=detail,
        )

    def entries(
        self,
        actor: Actor,
        *,
        customer_ref: str | None = None,
        conversation_id: str | None = None,
        agent_id: int | None = None,
        action: str | None = None,
        before_id: int | None = None,
        limit: int = 100,
    ) -> list[AuditRecord]:
        """Entries for a supervisor, newest first; the read itself is recorded.

        Raises:
            NotAllowed: The actor is not a supervisor.
            ValidationFailed: A bad filter or page size.
        """
        self.require_supervisor(actor)
        if not 1 <= limit <= MAX_PAGE:
            raise ValidationFailed("limit", f"between 1 and {MAX_PAGE}")
        if action is not None and action not in AUDIT_ACTIONS:
            raise ValidationFailed("action", "not an audit action")
        filters: dict[str, Any] = {
            "customer_ref": customer_ref,
            "conversation_id": conversation_id,
            "agent_id": agent_id,
            "action": action,
        }
        with self._store.read() as s:
            found = self.repository.entries(s, before_id=before_id, limit=limit, **filters)
        self.record(
            actor,
            "audit_read",
            conversation_id=conversation_id,
            customer_ref=customer_ref,
            detail={k: v for k, v in filters.items() if v is not None} or None,
        )
        return found
