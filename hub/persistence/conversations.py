"""Conversations and their state transitions (the audit trail).

Races are settled by the database: a transition is a conditional update
(``UPDATE ... WHERE state = <state read>``) whose row count says who won.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session

from hub.domain.errors import ClaimConflict, NotFound
from hub.domain.state import next_state
from hub.persistence import models as m

# Statements of every bot turn, built once (building them per call cost as much as running
# them on SQLite). Core statements run as they are on a Session or a bare Connection.
_CONVERSATION: Final = select(m.Conversation).where(
    m.Conversation.id == bindparam("conversation_id")
)
_CONVERSATION_FOR_UPDATE: Final = _CONVERSATION.with_for_update()
_CONVERSATIONS: Final = m.Conversation.__table__
_CONVERSATION_STATE: Final = select(_CONVERSATIONS.c.state).where(
    _CONVERSATIONS.c.id == bindparam("conversation_id")
)
_CONVERSATION_STATE_FOR_UPDATE: Final = _CONVERSATION_STATE.with_for_update()
_CONVERSATION_BY_SESSION: Final = select(
    _CONVERSATIONS.c.id,
    _CONVERSATIONS.c.session_id,
    _CONVERSATIONS.c.customer_ref,
    _CONVERSATIONS.c.session_key_hash,
    _CONVERSATIONS.c.state,
    _CONVERSATIONS.c.language,
).where(_CONVERSATIONS.c.session_id == bindparam("session_id"))
_INSERT_CONVERSATION: Final = insert(_CONVERSATIONS)
_TRANSITIONS: Final = m.Transition.__table__


class ConversationRepository:
    """Conversation rows: look-ups, inserts, transitions, queues and owners."""

    def __init__(self, count_state_change: Callable[[], None]) -> None:
        self._count_state_change = count_state_change

    def conversation(
        self, s: Session, conversation_id: str, *, lock: bool = False
    ) -> m.Conversation:
        """Load a conversation (locked for update when ``lock``), or raise NotFound."""
        query = _CONVERSATION_FOR_UPDATE if lock else _CONVERSATION
        row = s.execute(query, {"conversation_id": conversation_id}).scalar_one_or_none()
        if row is None:
            raise NotFound("conversation", conversation_id)
        return row  # type: ignore[no-any-return]

    def conversation_state(
        self, s: Session | Connection, conversation_id: str, *, lock: bool = False
    ) -> str:
        """One conversation's state without loading the row, or raise NotFound.

        With ``lock`` the row is locked for update (PostgreSQL), as by
        ``conversation(..., lock=True)``: the state then stays as read until the commit.
        """
        query = _CONVERSATION_STATE_FOR_UPDATE if lock else _CONVERSATION_STATE
        state = s.execute(query, {"conversation_id": conversation_id}).scalar_one_or_none()
        if state is None:
            raise NotFound("conversation", conversation_id)
        return str(state)

    def conversation_by_session(self, s: Session | Connection, session_id: str) -> Row | None:
        """The row bound to a customer-facing session id, if any.

        Only the columns that decide who may resume it: ``id``, ``session_id``,
        ``customer_ref``, ``session_key_hash`` and ``state``; ``language`` for the client.
        """
        return s.execute(_CONVERSATION_BY_SESSION, {"session_id": session_id}).one_or_none()

    def insert_conversation(self, s: Session | Connection, values: dict[str, Any]) -> None:
        """Insert a new conversation row with one Core ``INSERT`` (no unit-of-work flush).

        ``values`` must include the primary key ``id``; columns left out get their server
        default (NULL).
        """
        s.execute(_INSERT_CONVERSATION, values)

    def transition(
        self,
        s: Session,
        conv: m.Conversation,
        event_name: str,
        *,
        now: datetime,
        reason: str | None = None,
        agent_id: int | None = None,
        **values: Any,
    ) -> str:
        """Apply a state-machine event to a loaded conversation (see :meth:`transition_row`).

        Args:
            s: Open transaction.
            conv: The conversation as read in this transaction; refreshed afterwards.
            event_name: State-machine event.
            now: Time of the change (UTC).
            reason: Why, stored with the transition.
            agent_id: Acting agent, if any.
            **values: Other columns to set in the same update.

        Returns:
            The new state.

        Raises:
            InvalidTransition: The event is not allowed from the state read.
            ClaimConflict: Another transaction changed the state since it was read.
        """
        s.flush()  # pending changes first: the refresh below reloads the row
        to_state = self.transition_row(
            s,
            str(conv.id),
            str(conv.state),
            event_name,
            now=now,
            reason=reason,
            agent_id=agent_id,
            **values,
        )
        s.refresh(conv)
        return to_state

    def transition_row(
        self,
        s: Session | Connection,
        conversation_id: str,
        from_state: str,
        event_name: str,
        *,
        now: datetime,
        reason: str | None = None,
        agent_id: int | None = None,
        **values: Any,
    ) -> str:
        """Apply a state-machine event with a conditional update and record it.

        The one place a conversation changes state: ``UPDATE ... WHERE state = <from_state>``,
        whose row count says whether this transaction won, and a row in the audit trail. Runs
        on a bare connection or a session alike; the caller holds the row lock.

        Returns:
            The new state.

        Raises:
            InvalidTransition: The event is not allowed from ``from_state``.
            ClaimConflict: Another transaction changed the state since it was read.
        """
        to_state = next_state(from_state, event_name)
        self._count_state_change()  # before the change: see ``HubStore.state_changes``
        result = s.execute(
            update(_CONVERSATIONS)
            .where(_CONVERSATIONS.c.id == conversation_id, _CONVERSATIONS.c.state == from_state)
            .values(state=to_state, updated_at=now, **values)
        )
        if result.rowcount != 1:
            raise ClaimConflict(conversation_id)
        s.execute(
            insert(_TRANSITIONS).values(
                conversation_id=conversation_id,
                from_state=from_state,
                to_state=to_state,
                event=event_name,
                reason=reason,
                agent_id=agent_id,
                at=now,
            )
        )
        return to_state

    def transitions(self, s: Session, conversation_id: str) -> list[m.Transition]:
        """The audit trail of one conversation, oldest first."""
        return list(
            s.execute(
                select(m.Transition)
                .where(m.Transition.conversation_id == conversation_id)
                .order_by(m.Transition.id)
            ).scalars()
        )

    def waiting(self, s: Session, queues: Sequence[str] | None) -> list[m.Conversation]:
        """Queued conversations, requeued ones first, then longest waiting first."""
        query = select(m.Conversation).where(m.Conversation.state == "queued")
        if queues is not None:
            query = query.where(m.Conversation.queue.in_(list(queues)))
        query = query.order_by(
            m.Conversation.priority.desc(), m.Conversation.queued_at, m.Conversation.id
        )
        return list(s.execute(query).scalars())

    def owned(self, s: Session, agent_id: int) -> list[m.Conversation]:
        """Conversations an agent currently owns."""
        return list(
            s.execute(
                select(m.Conversation)
                .where(m.Conversation.owner_agent_id == agent_id, m.Conversation.state == "agent")
                .order_by(m.Conversation.updated_at)
            ).scalars()
        )

    def owned_count(self, s: Session, agent_id: int) -> int:
        """How many conversations an agent currently owns."""
        return int(
            s.execute(
                select(func.count())
                .select_from(m.Conversation)
                .where(m.Conversation.owner_agent_id == agent_id, m.Conversation.state == "agent")
            ).scalar_one()
        )
