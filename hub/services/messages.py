"""Messages of a conversation: stored before anyone acknowledges or relays them.

One write path for every sender. The rules (who may speak in which state, idempotent client
ids, a customer reopening a closed conversation, the agent's first reply, card numbers and
other sensitive numbers masked in what customers and agents type) are written once in
:meth:`MessageService.record`; every statement it runs is a Core statement, so the same code
runs on a bare connection (customer, bot and system messages: the hot path of a bot turn) or
inside an ORM session (agent messages, whose session token is checked in the same
transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Final

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from common.sensitive import mask_sensitive
from hub.domain.errors import NotAllowed, SessionEnded, ValidationFailed
from hub.domain.language import served_language
from hub.domain.policy import HubConfig
from hub.domain.state import bot_may_speak
from hub.domain.views import MessageView, PendingTurn, StoredMessage, TurnAnswer
from hub.persistence.mapping import message_view
from hub.persistence.store import HubStore
from hub.services.accounts import AgentDirectory
from hub.services.clock import Clock, utc_now
from hub.services.languages import language_after, pending_turn

SENDER_TYPES: Final = ("customer", "bot", "agent", "system")
# Whose typed text is masked before it is stored (the bot only ever sees masked text).
MASKED_SENDERS: Final = frozenset({"customer", "agent"})
MAX_SENDER_NAME_CHARS: Final = 120


class MessageService:
    """Stores and replays conversation messages."""

    def __init__(
        self, store: HubStore, config: HubConfig, clock: Clock, accounts: AgentDirectory
    ) -> None:
        self._store = store
        self._config = config
        self._clock = clock
        self._accounts = accounts

    def record_message(
        self,
        conversation_id: str,
        sender_type: str,
        text: str | None,
        payload: dict[str, Any] | None,
        sender_name: str | None,
        client_msg_id: str | None,
        *,
        agent_id: int | None = None,
    ) -> tuple[MessageView, bool]:
        """Store a message; ``(message, created)``. See :meth:`record` for the rules."""
        stored = self.record(
            conversation_id, sender_type, text, payload, sender_name, client_msg_id, agent_id
        )
        return stored.message, stored.created

    def record_customer_message(
        self,
        conversation_id: str,
        text: str,
        client_msg_id: str | None,
        page_language: str | None = None,
    ) -> StoredMessage:
        """Store a customer's message and say in which state the conversation now is.

        The conversation's language is decided on this message in the same transaction
        (``common.language.choose_language``: the page's language and the conversation's
        previous language are the priors) and kept with the conversation; ``page_language``
        is the host page's tag the client sent with it (None: the one reported before).
        """
        return self.record(
            conversation_id, "customer", text, None, None, client_msg_id,
            page_language=page_language,
        )  # fmt: skip

    def conversation_language(self, conversation_id: str) -> str:
        """The language the hub speaks in this conversation (English until decided)."""
        with self._store.read_connection() as conn:
            return served_language(self._store.messages.language(conn, conversation_id))

    def agent_reply(
        self,
        agent_id: int,
        conversation_id: str,
        text: str,
        client_msg_id: str | None = None,
        *,
        token: str | None = None,
    ) -> StoredMessage:
        """Store the owning agent's message, signed with their display name.

        Args:
            agent_id: The writing agent, who must own the conversation.
            conversation_id: Where the message goes.
            text: The message.
            client_msg_id: The console's id for idempotent retries, if any.
            token: The agent's session token, checked in the same transaction as the write;
                None when the caller has already authenticated.

        Raises:
            SessionEnded: ``token`` is given and no longer valid for ``agent_id``.
        """
        return self.record(
            conversation_id, "agent", text, None, None, client_msg_id, agent_id, token=token
        )

    def record(
        self,
        conversation_id: str,
        sender_type: str,
        text: str | None,
        payload: dict[str, Any] | None,
        sender_name: str | None,
        client_msg_id: str | None,
        agent_id: int | None = None,
        *,
        token: str | None = None,
        page_language: str | None = None,
    ) -> StoredMessage:
        """Store one message under the conversation's row lock.

        A retry with the same ``client_msg_id`` returns the stored message with
        ``created=False``. A customer writing after a close reopens the conversation with the
        bot. The bot may not speak while an agent owns the conversation, and an agent message
        must come from the owner. Card numbers and other sensitive numbers in a customer's or
        agent's text are masked before anything is stored (``common.sensitive``), so everyone
        downstream (the bot, agents, transcripts, tickets, summaries, logs) only sees the
        masked text; the length limit applies to what was typed.

        Raises:
            NotFound: Unknown conversation.
            ValidationFailed: Bad sender type, empty or oversized message, bad client id.
            NotAllowed: Bot output during an agent's ownership; agent message from a non-owner.
            SessionEnded: ``token`` no longer valid for ``agent_id``.
        """
        self._validate(sender_type, text, payload, client_msg_id)
        if agent_id is not None and sender_type != "agent":
            raise ValidationFailed("agent_id", "only agent messages carry an agent id")
        now = utc_now(self._clock)
        masked: frozenset[str] = frozenset()
        if text and sender_type in MASKED_SENDERS:
            result = mask_sensitive(text)
            text, masked = result.text, result.kinds
        try:
            return self._record(
                conversation_id, sender_type, text, payload, sender_name, client_msg_id,
                agent_id, token, now, masked, page_language,
            )  # fmt: skip
        except IntegrityError:
            # Another process stored the same client id between our look-up and insert.
            if client_msg_id is None:
                raise
            with self._store.read_connection() as conn:
                existing = self._store.messages.message_row_by_client_id(
                    conn, conversation_id, client_msg_id
                )
                if existing is None:
                    raise
                state = self._store.conversations.conversation_state(conn, conversation_id)
            return StoredMessage(
                message_view(existing), False, None, state, turn_state=existing.turn_state
            )

    def _unit_of_work(self, sender_type: str) -> AbstractContextManager[Session | Connection]:
        # Agent messages read the agent's session and row through the ORM; everything else
        # runs on a bare connection (a session costs more than the statements it would run).
        if sender_type == "agent":
            return self._store.transaction()
        return self._store.write()

    def _record(
        self,
        conversation_id: str,
        sender_type: str,
        text: str | None,
        payload: dict[str, Any] | None,
        sender_name: str | None,
        client_msg_id: str | None,
        agent_id: int | None,
        token: str | None,
        now: datetime,
        masked: frozenset[str],
        page_language: str | None = None,
    ) -> StoredMessage:
        first_reply: float | None = None
        with self._unit_of_work(sender_type) as tx:
            author = None
            if sender_type == "agent" and token is not None:
                assert isinstance(tx, Session)
                author = self._accounts.session_agent(tx, token, now)
                if author is None or int(author.id) != agent_id:
                    raise SessionEnded()
            target = self._store.messages.message_target(tx, conversation_id)
            if client_msg_id is not None:
                existing = self._store.messages.message_row_by_client_id(
                    tx, conversation_id, client_msg_id
                )
                if existing is not None:
                    return StoredMessage(
                        message_view(existing),
                        False,
                        None,
                        target.state,
                        turn_state=existing.turn_state,
                        language=target.language,
                        page_language=target.page_language,
                    )
            if sender_type == "bot" and not bot_may_speak(target.state):
                raise NotAllowed("the bot may not speak while an agent owns the conversation")
            state = target.state
            if sender_type == "agent":
                assert isinstance(tx, Session)
                sender_name, first_reply = self._agent_turn(tx, target, agent_id, author, now)
            elif sender_type == "customer" and state == "closed":
                state = self._store.conversations.transition_row(
                    tx, conversation_id, state, "reopen", now=now, reason="customer_returned"
                )
            language, page = target.language, target.page_language
            changed_language: tuple[str, str | None] | None = None
            if sender_type == "customer" and text:
                language, page, changed = language_after(target, text, page_language)
                if changed:
                    changed_language = (language, page)
            name = (sender_name or None) and sender_name[:MAX_SENDER_NAME_CHARS]
            # Every customer message is a turn, pending until answered (same transaction).
            turn_state = "pending" if sender_type == "customer" else None
            message_id = self._store.messages.insert_message(
                tx,
                {
                    "conversation_id": conversation_id,
                    "sender_type": sender_type,
                    "sender_name": name,
                    "agent_id": agent_id,
                    "text": text,
                    "payload": payload,
                    "client_msg_id": client_msg_id,
                    "created_at": now,
                    "turn_state": turn_state,
                },
                language=changed_language,
            )
        message = MessageView(
            id=message_id,
            conversation_id=conversation_id,
            sender_type=sender_type,  # type: ignore[arg-type]
            sender_name=name,
            text=text,
            payload=payload,
            client_msg_id=client_msg_id,
            created_at=now,
            previous_id=target.last_message_id or 0,  # 0: the first
        )
        return StoredMessage(message, True, first_reply, state, masked, turn_state, language, page)

    def _agent_turn(
        self, s: Session, target: Any, agent_id: int | None, author: Any, now: datetime
    ) -> tuple[str, float | None]:
        """Check the author owns the conversation; returns their name and first-reply time."""
        if agent_id is None or target.state != "agent" or target.owner_agent_id != agent_id:
            raise NotAllowed("only the owning agent may write to this conversation")
        if author is None:
            author = self._store.agents.agent(s, agent_id)
        return str(author.display_name), self._store.handoffs.mark_first_reply(
            s, target.handoff_id, now
        )

    def answer_turn(
        self,
        conversation_id: str,
        turn_id: int,
        replies: Sequence[tuple[str | None, dict[str, Any] | None]],
        handoff: dict[str, Any] | None,
    ) -> TurnAnswer:
        """Store the bot's answer to customer message ``turn_id``: at most once, ever.

        One transaction under the conversation's row lock: if the turn was answered before (a
        turn re-driven after a crash, or by two processes) the stored answer is returned with
        ``created=False`` and nothing is stored; otherwise every reply is stored with
        ``reply_to=turn_id`` and the turn becomes ``done``, or ``answered`` with ``handoff``
        kept until :meth:`finish_turn`. While the bot may not speak (a person has the
        conversation) nothing is stored and the turn is done.

        Args:
            conversation_id: The conversation of the turn.
            turn_id: The customer message answered.
            replies: ``(text, payload)`` of each bot message, in order.
            handoff: The handoff the bot asked for with this answer, if any.
        """
        now = utc_now(self._clock)
        repo = self._store.messages
        with self._store.write() as conn:
            target = turn = repo.answer_target(conn, conversation_id, turn_id)
            if turn.turn_state != "pending":
                # Answered before (``answered`` still owes its handoff): its answer is stored,
                # since a turn leaves ``pending`` only in the transaction that stores it.
                stored = tuple(message_view(r) for r in repo.answer(conn, turn_id))
                kept = turn.turn_handoff if turn.turn_state == "answered" else None
                return TurnAnswer(stored, False, kept)
            if not bot_may_speak(target.state):
                repo.set_turn(conn, turn_id, "done")
                return TurnAnswer((), True, None)
            rows: list[dict[str, Any]] = [
                {
                    "conversation_id": conversation_id,
                    "sender_type": "bot",
                    "sender_name": None,
                    "agent_id": None,
                    "text": text,
                    "payload": payload,
                    "client_msg_id": None,
                    "created_at": now,
                    "reply_to": turn_id,
                }
                for text, payload in replies
            ]
            ids = repo.insert_messages(conn, conversation_id, rows)
            previous = [target.last_message_id or 0, *ids[:-1]]
            messages = [
                MessageView(id_, conversation_id, "bot", None, row["text"], row["payload"],
                            None, now, before)
                for id_, row, before in zip(ids, rows, previous, strict=True)
            ]  # fmt: skip
            repo.set_turn(conn, turn_id, "answered" if handoff else "done", handoff)
        return TurnAnswer(tuple(messages), True, handoff)

    def finish_turn(self, conversation_id: str, turn_id: int) -> None:
        """The turn of customer message ``turn_id`` is over (answered, handed off or relayed)."""
        with self._store.write() as conn:
            self._store.messages.message_target(conn, conversation_id)
            self._store.messages.set_turn(conn, turn_id, "done")

    def open_turns(self) -> list[PendingTurn]:
        """Customer messages whose turn is not done (the hub stopped mid-turn), oldest first."""
        with self._store.read_connection() as conn:
            return [pending_turn(r) for r in self._store.messages.open_turns(conn)]

    def messages_after(self, conversation_id: str, after_id: int | None) -> list[MessageView]:
        """Messages after a server id, in order (all when ``after_id`` is None)."""
        with self._store.read() as s:
            self._store.conversations.conversation(s, conversation_id)
            return [
                message_view(r)
                for r in self._store.messages.messages_after(s, conversation_id, after_id)
            ]

    def _validate(
        self,
        sender_type: str,
        text: str | None,
        payload: dict[str, Any] | None,
        client_msg_id: str | None,
    ) -> None:
        if sender_type not in SENDER_TYPES:
            raise ValidationFailed("sender_type", "unknown sender type")
        if text is None and not payload:
            raise ValidationFailed("message", "text or payload is required")
        limit = self._config.max_message_chars
        if text is not None and len(text) > limit:
            raise ValidationFailed("message", f"longer than {limit} characters")
        id_limit = self._config.max_id_chars
        if client_msg_id is not None and not 0 < len(client_msg_id) <= id_limit:
            raise ValidationFailed("client_msg_id", f"1-{id_limit} characters")
