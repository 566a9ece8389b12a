"""Messages of conversations, stored in order under the conversation's row lock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session

from hub.domain.errors import NotFound
from hub.persistence import models as m

_CONVERSATIONS: Final = m.Conversation.__table__
_MESSAGES: Final = m.Message.__table__
_MESSAGE_ROW_BY_CLIENT_ID: Final = select(_MESSAGES).where(
    _MESSAGES.c.conversation_id == bindparam("conversation_id"),
    _MESSAGES.c.client_msg_id == bindparam("client_msg_id"),
)
_INSERT_MESSAGE: Final = insert(_MESSAGES)
_MESSAGE_TARGET: Final = (
    select(
        _CONVERSATIONS.c.id,
        _CONVERSATIONS.c.state,
        _CONVERSATIONS.c.owner_agent_id,
        _CONVERSATIONS.c.handoff_id,
        _CONVERSATIONS.c.last_message_id,
        _CONVERSATIONS.c.language,
        _CONVERSATIONS.c.page_language,
    )
    .where(_CONVERSATIONS.c.id == bindparam("conversation_id"))
    .with_for_update()
)
_LANGUAGE: Final = select(_CONVERSATIONS.c.language).where(
    _CONVERSATIONS.c.id == bindparam("conversation_id")
)
# Turns whose answer is not (fully) delivered: re-driven after a restart, oldest first.
OPEN_TURN_STATES: Final = ("pending", "answered")
_OPEN_TURNS: Final = (
    select(
        _MESSAGES,
        _CONVERSATIONS.c.session_id,
        _CONVERSATIONS.c.language,
        _CONVERSATIONS.c.page_language,
    )
    .join(_CONVERSATIONS, _CONVERSATIONS.c.id == _MESSAGES.c.conversation_id)
    .where(_MESSAGES.c.turn_state.in_(OPEN_TURN_STATES))
    .order_by(_MESSAGES.c.id)
)
_ANSWER: Final = (
    select(_MESSAGES).where(_MESSAGES.c.reply_to == bindparam("turn_id")).order_by(_MESSAGES.c.id)
)
# ``_MESSAGE_TARGET`` and the turn's own columns in one statement, for storing its answer.
# Both rows are locked: on PostgreSQL a statement that waited for a lock re-reads only the rows
# it locks, so a turn answered meanwhile by another process is seen as answered.
_ANSWER_TARGET: Final = (
    select(
        _CONVERSATIONS.c.state,
        _CONVERSATIONS.c.last_message_id,
        _MESSAGES.c.turn_state,
        _MESSAGES.c.turn_handoff,
    )
    .select_from(
        _CONVERSATIONS.join(
            _MESSAGES,
            and_(
                _MESSAGES.c.id == bindparam("turn_id"),
                _MESSAGES.c.conversation_id == _CONVERSATIONS.c.id,
            ),
        )
    )
    .where(_CONVERSATIONS.c.id == bindparam("conversation_id"))
    .with_for_update()
)
_SET_TURN: Final = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("turn_id"))
    .values(turn_state=bindparam("turn_state"), turn_handoff=bindparam("turn_handoff"))
)

_SET_LAST_MESSAGE: Final = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("conversation_id"))
    .values(last_message_id=bindparam("last_message_id"))
)
# The same, when the message also changed the conversation's language (one statement).
_SET_LAST_MESSAGE_AND_LANGUAGE: Final = _SET_LAST_MESSAGE.values(
    language=bindparam("language"), page_language=bindparam("page_language")
)


class MessageRepository:
    """Message rows: the write target, idempotent client ids, inserts and replay."""

    def message_target(self, s: Session | Connection, conversation_id: str) -> Row:
        """What storing a message depends on, with the conversation's row locked for update.

        Returns ``state``, ``owner_agent_id``, ``handoff_id``, ``last_message_id`` (the
        message the next one follows), ``language`` and ``page_language``; raises NotFound.
        """
        row = s.execute(_MESSAGE_TARGET, {"conversation_id": conversation_id}).one_or_none()
        if row is None:
            raise NotFound("conversation", conversation_id)
        return row

    def language(self, s: Session | Connection, conversation_id: str) -> str | None:
        """The conversation's stored language (None: not decided yet, or no such conversation)."""
        value = s.execute(_LANGUAGE, {"conversation_id": conversation_id}).scalar_one_or_none()
        return None if value is None else str(value)

    def message_row_by_client_id(
        self, s: Session | Connection, conversation_id: str, client_msg_id: str
    ) -> Row | None:
        """The message a client already sent with this id, if any (idempotent retries)."""
        return s.execute(
            _MESSAGE_ROW_BY_CLIENT_ID,
            {"conversation_id": conversation_id, "client_msg_id": client_msg_id},
        ).one_or_none()

    def insert_message(
        self,
        s: Session | Connection,
        values: dict[str, Any],
        *,
        language: tuple[str, str | None] | None = None,
    ) -> int:
        """Insert a message row and make it the conversation's last message; returns its id.

        The caller holds the conversation's row lock (``message_target``), so ids within a
        conversation are committed in order and a reader resuming after id N never misses a
        later commit. A repeated ``client_msg_id`` raises ``IntegrityError``.

        Args:
            s: Open transaction (session or connection).
            values: Columns of ``hub_messages`` (not ``id``; the turn columns may be left out).
            language: ``(language, page_language)`` the conversation keeps from now on, when
                this message changed them (stored by the same update).
        """
        message_id = int(s.execute(_INSERT_MESSAGE, values).inserted_primary_key[0])
        params: dict[str, Any] = {
            "conversation_id": values["conversation_id"],
            "last_message_id": message_id,
        }
        if language is None:
            s.execute(_SET_LAST_MESSAGE, params)
        else:
            params["language"], params["page_language"] = language
            s.execute(_SET_LAST_MESSAGE_AND_LANGUAGE, params)
        return message_id

    def insert_messages(
        self, s: Session | Connection, conversation_id: str, rows: Sequence[dict[str, Any]]
    ) -> list[int]:
        """Insert several messages of one conversation in order; returns their ids.

        As :meth:`insert_message` (the caller holds the row lock), with the conversation's
        last message set once, to the last of them.
        """
        ids = [int(s.execute(_INSERT_MESSAGE, values).inserted_primary_key[0]) for values in rows]
        if ids:
            s.execute(
                _SET_LAST_MESSAGE, {"conversation_id": conversation_id, "last_message_id": ids[-1]}
            )
        return ids

    def messages_after(
        self, s: Session, conversation_id: str, after_id: int | None, limit: int | None = None
    ) -> list[m.Message]:
        """Messages with a server id above ``after_id`` (all when None), in id order."""
        query = select(m.Message).where(m.Message.conversation_id == conversation_id)
        if after_id is not None:
            query = query.where(m.Message.id > after_id)
        query = query.order_by(m.Message.id)
        if limit is not None:
            query = query.limit(limit)
        return list(s.execute(query).scalars())

    def answer_target(self, s: Session | Connection, conversation_id: str, turn_id: int) -> Row:
        """A turn's conversation and its customer message, both rows locked, in one statement.

        :meth:`message_target`'s ``state`` and ``last_message_id``, and the message
        ``turn_id``'s ``turn_state`` and ``turn_handoff``. Raises NotFound for an unknown
        conversation or a message it does not have.
        """
        row = s.execute(
            _ANSWER_TARGET, {"conversation_id": conversation_id, "turn_id": turn_id}
        ).one_or_none()
        if row is None:
            self.message_target(s, conversation_id)  # NotFound if the conversation is unknown
            raise NotFound("message", str(turn_id))
        return row

    def answer(self, s: Session | Connection, turn_id: int) -> list[Row]:
        """The messages that answer the customer message ``turn_id``, in order."""
        return list(s.execute(_ANSWER, {"turn_id": turn_id}))

    def set_turn(
        self,
        s: Session | Connection,
        turn_id: int,
        turn_state: str,
        turn_handoff: dict[str, Any] | None = None,
    ) -> None:
        """Move a customer message's turn on (``answered`` with its handoff, or ``done``)."""
        s.execute(
            _SET_TURN, {"turn_id": turn_id, "turn_state": turn_state, "turn_handoff": turn_handoff}
        )

    def open_turns(self, s: Session | Connection) -> list[Row]:
        """Customer messages whose turn is not done, oldest first, with their ``session_id``."""
        return list(s.execute(_OPEN_TURNS))
