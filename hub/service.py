"""HubService: the one facade the Socket.IO connectors call.

Every method is synchronous and does its work in database transactions, and returns frozen
views. Connectors run them with ``asyncio.to_thread``, except the few short single-conversation
calls of a session start and a bot turn, which run on the event loop when the store is SQLite in
the hub's process and no other hub process writes it (``store_is_embedded``,
``GuardedNamespace.call_short``).
Nothing is kept in process memory: the store is the truth, so a restarted hub, or a second hub
process, sees exactly the same conversations, queues, owners and messages.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any, Final

from argon2 import PasswordHasher
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub import models as m
from hub.agents import PRESENCES, AgentDirectory, agent_view
from hub.config import HANDOFF_REASONS, HubConfig
from hub.errors import (
    CapacityReached,
    ClaimConflict,
    IdentityMismatch,
    NotAllowed,
    NotFound,
    SessionEnded,
    ValidationFailed,
)
from hub.routing import (
    NORMAL_PRIORITY,
    REQUEUED_PRIORITY,
    estimate_wait,
    is_open,
    next_open,
    serves,
    visible_queues,
)
from hub.store import HubStore
from hub.summary import build_summary
from hub.tickets import ticket_view, transcript_snapshot, validate_contact
from hub.views import (
    AgentSession,
    AgentView,
    ContextPacket,
    ConversationView,
    HandoffOutcome,
    HubStats,
    MessageView,
    QueueSnapshot,
    QueueStats,
    SessionGrant,
    StoredMessage,
    TicketView,
    WaitingItem,
)
from store.errors import StoreError
from store.repository import PaymentsRepository
from store.views import CustomerView, OrderView

log = logging.getLogger(__name__)

SENDER_TYPES: Final = ("customer", "bot", "agent", "system")
MAX_ID_CHARS: Final = 64
MAX_SUMMARY_CHARS: Final = 2000
MAX_SIGNALS: Final = 20


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _message_view(row: Any) -> MessageView:
    """The view of a stored message (an ORM ``Message`` or a Core row of ``hub_messages``)."""
    return MessageView(
        id=int(row.id),
        conversation_id=str(row.conversation_id),
        sender_type=row.sender_type,
        sender_name=row.sender_name,
        text=row.text,
        payload=row.payload,
        client_msg_id=row.client_msg_id,
        created_at=row.created_at,
    )


def _clean_signals(signals: Sequence[Any] | None) -> list[dict[str, Any]]:
    """Keep the signal dicts the bot sent (bounded), dropping anything that is not a dict."""
    return [dict(sig) for sig in (signals or [])[:MAX_SIGNALS] if isinstance(sig, dict)]


class HubService:
    """Conversation, queue, agent and ticket operations over the hub store.

    Args:
        store: Persistence of the hub (the only state).
        payments: Read access to customers' orders for the agent's context packet; None when
            the hub runs without the payments store (packets then carry no customer data).
        config: Queues, business hours and limits.
        clock: Returns the current aware UTC time; tests pass a fake clock.
        password_hasher: argon2 hasher for agent passwords (tests pass a cheap one).
    """

    def __init__(
        self,
        store: HubStore,
        payments: PaymentsRepository | None,
        config: HubConfig,
        clock: Callable[[], datetime],
        *,
        password_hasher: PasswordHasher | None = None,
    ) -> None:
        self._store = store
        self._payments = payments
        self._config = config
        self._clock = clock
        self.agents = AgentDirectory(store, config, self._now, password_hasher)

    @property
    def config(self) -> HubConfig:
        """The configuration the service decides with."""
        return self._config

    @property
    def store_is_embedded(self) -> bool:
        """Whether the store is SQLite inside this process, where a short call is pure CPU.

        Connectors then run bounded single-conversation calls (store a message, read a state)
        on the event loop instead of paying a thread hop for each; see
        ``connectors.customer.GuardedNamespace.call_short``.
        """
        return self._store.is_embedded

    @property
    def state_changes(self) -> int:
        """A count that grows with every state transition this service starts.

        Unchanged between two reads means no transition made by this process committed in
        between (see ``HubStore.state_changes`` for the exact guarantee). Only meaningful
        when this process is the store's only writer; the customer connector uses it to skip
        re-reading a conversation's state (``CustomerNamespace._route_locked``).
        """
        return self._store.state_changes

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the hub clock must return timezone-aware datetimes")
        return now.astimezone(timezone.utc)

    # --- views ---------------------------------------------------------------------------

    def _conversation_view(
        self, s: Session, conv: m.Conversation, owner: m.Agent | None = None
    ) -> ConversationView:
        """The view of a conversation; ``owner`` saves the owner's lookup when already loaded.

        A console snapshot lists up to ``capacity`` conversations of one agent, and every queue
        change recomputes it for each agent watching: one agent query per listed conversation
        made the snapshot, and so the handoff delay, grow with the agent's load.
        """
        owner_name = None
        if conv.owner_agent_id is not None:
            if owner is None or int(owner.id) != int(conv.owner_agent_id):
                owner = self._store.agent(s, int(conv.owner_agent_id))
            owner_name = str(owner.display_name)
        return ConversationView(
            conversation_id=str(conv.id),
            session_id=str(conv.session_id),
            state=str(conv.state),
            customer_ref=conv.customer_ref,
            queue=conv.queue,
            owner_agent_id=None if conv.owner_agent_id is None else int(conv.owner_agent_id),
            owner_name=owner_name,
            reason=conv.handoff_reason,
            signals=tuple(conv.handoff_signals or ()),
            summary=conv.handoff_summary,
            score=conv.handoff_score,
            order_number=conv.handoff_order_number,
            intent=conv.handoff_intent,
            queued_at=conv.queued_at,
            priority=int(conv.priority or 0),
            disposition=conv.disposition,
            created_at=conv.created_at,
            updated_at=conv.updated_at,
            closed_at=conv.closed_at,
            last_message_id=None if conv.last_message_id is None else int(conv.last_message_id),
        )

    # --- customers' sessions and messages ------------------------------------------------

    def open_session(
        self, requested_session_id: str | None, customer_ref: str | None, session_key: str | None
    ) -> SessionGrant:
        """Bind a customer connection to a conversation.

        An existing session is granted only to its owner: the same verified ``customer_ref``
        for an authenticated conversation, or the matching ``session_key`` for an anonymous one
        (and no ``customer_ref``: an anonymous transcript never becomes a customer's). Anything
        else gets a new conversation with fresh ids, so guessing an id joins nothing.

        Args:
            requested_session_id: The id the client asked to resume, if any.
            customer_ref: Verified customer (from a valid token), None when anonymous.
            session_key: The anonymous owner's secret, returned when the session was created.

        Returns:
            The granted session; ``session_key`` is set for anonymous conversations only.
        """
        now = self._now()
        # Core statements on a bare connection: a session's unit of work cost more than the
        # one insert (or look-up) it would flush.
        with self._store.write() as conn:
            if requested_session_id and len(requested_session_id) <= MAX_ID_CHARS:
                row = self._store.conversation_by_session(conn, requested_session_id)
                if row is not None and self._owns(row, customer_ref, session_key):
                    return SessionGrant(
                        conversation_id=str(row.id),
                        session_id=str(row.session_id),
                        session_key=session_key if row.customer_ref is None else None,
                        created=False,
                        state=str(row.state),
                        customer_ref=row.customer_ref,
                    )
            key = None if customer_ref else secrets.token_urlsafe(32)
            conversation_id = uuid.uuid4().hex
            session_id = uuid.uuid4().hex
            self._store.insert_conversation(
                conn,
                {
                    "id": conversation_id,
                    "session_id": session_id,
                    "session_key_hash": None if key is None else _hash_key(key),
                    "customer_ref": customer_ref,
                    "state": "bot",
                    "priority": NORMAL_PRIORITY,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            return SessionGrant(
                conversation_id=conversation_id,
                session_id=session_id,
                session_key=key,
                created=True,
                state="bot",
                customer_ref=customer_ref,
            )

    @staticmethod
    def _owns(conv: Any, customer_ref: str | None, session_key: str | None) -> bool:
        """Whether the caller owns ``conv`` (a conversation or a row with its identity columns)."""
        if conv.customer_ref is not None:
            return customer_ref is not None and hmac.compare_digest(
                str(conv.customer_ref), customer_ref
            )
        if customer_ref is not None or not session_key or conv.session_key_hash is None:
            return False
        return hmac.compare_digest(str(conv.session_key_hash), _hash_key(session_key))

    def _validate_message(
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
        if text is not None and len(text) > self._config.max_message_chars:
            raise ValidationFailed(
                "message", f"longer than {self._config.max_message_chars} characters"
            )
        if client_msg_id is not None and not 0 < len(client_msg_id) <= MAX_ID_CHARS:
            raise ValidationFailed("client_msg_id", f"1-{MAX_ID_CHARS} characters")

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
        """Store a message before anyone acknowledges or relays it.

        A retry with the same ``client_msg_id`` returns the stored message and ``False``
        (nothing is stored twice). A customer writing after a close reopens the conversation
        with the bot. The bot may not speak while an agent owns the conversation, and an agent
        message must come from the owner (use :meth:`agent_reply`).

        Returns:
            ``(message, created)``.

        Raises:
            NotFound: Unknown conversation.
            ValidationFailed: Bad sender type, empty or oversized message, bad client id.
            NotAllowed: Bot output during an agent's ownership; agent message from a non-owner.
        """
        reply = self._record(
            conversation_id, sender_type, text, payload, sender_name, client_msg_id, agent_id
        )
        return reply.message, reply.created

    def record_customer_message(
        self, conversation_id: str, text: str, client_msg_id: str | None
    ) -> StoredMessage:
        """Store a customer's message (see :meth:`record_message`) and say where it stands.

        The returned ``state`` lets the connector relay a message written during a handoff
        straight to the agents, without a second transaction per message.
        """
        return self._record(conversation_id, "customer", text, None, None, client_msg_id, None)

    def agent_reply(
        self,
        agent_id: int,
        conversation_id: str,
        text: str,
        client_msg_id: str | None = None,
        *,
        token: str | None = None,
    ) -> StoredMessage:
        """Store the owning agent's message (signed with their display name).

        Args:
            agent_id: The writing agent, who must own the conversation.
            conversation_id: Where the message goes.
            text: The message.
            client_msg_id: The console's id for idempotent retries, if any.
            token: The agent's session token, checked in the same transaction as the write
                (the socket's per-event check, without a transaction of its own on the
                busiest agent event). None when the caller has already authenticated.

        Returns:
            The message, whether it was new, and the time to first reply when this is the
            agent's first message since claiming (for the metric).

        Raises:
            SessionEnded: ``token`` is given and no longer valid for ``agent_id``.
        """
        return self._record(
            conversation_id, "agent", text, None, None, client_msg_id, agent_id, token=token
        )

    def _record(
        self,
        conversation_id: str,
        sender_type: str,
        text: str | None,
        payload: dict[str, Any] | None,
        sender_name: str | None,
        client_msg_id: str | None,
        agent_id: int | None,
        *,
        token: str | None = None,
    ) -> StoredMessage:
        self._validate_message(sender_type, text, payload, client_msg_id)
        now = self._now()
        if sender_type != "agent" and agent_id is None and token is None:
            stored = self._record_plain(
                conversation_id, sender_type, text, payload, sender_name, client_msg_id, now
            )
            if stored is not None:
                return stored
        first_reply: float | None = None
        with self._store.transaction() as s:
            author: m.Agent | None = None
            if token is not None:
                author = self.agents.session_agent(s, token, now)
                if author is None or int(author.id) != agent_id:
                    raise SessionEnded()
            conv = self._store.conversation(s, conversation_id, lock=True)
            if client_msg_id is not None:
                existing = self._store.message_by_client_id(s, conversation_id, client_msg_id)
                if existing is not None:
                    return StoredMessage(_message_view(existing), False, None, str(conv.state))
            if sender_type == "bot" and conv.state == "agent":
                raise NotAllowed("the bot may not speak while an agent owns the conversation")
            if sender_type == "agent":
                if agent_id is None or conv.state != "agent" or conv.owner_agent_id != agent_id:
                    raise NotAllowed("only the owning agent may write to this conversation")
                if author is None:
                    author = self._store.agent(s, agent_id)
                sender_name = str(author.display_name)
                handoff = self._store.handoff(s, conv.handoff_id)
                if handoff is not None and handoff.first_agent_reply_at is None:
                    handoff.first_agent_reply_at = now
                    if handoff.claimed_at is not None:
                        first_reply = (now - handoff.claimed_at).total_seconds()
            elif agent_id is not None:
                raise ValidationFailed("agent_id", "only agent messages carry an agent id")
            if sender_type == "customer" and conv.state == "closed":
                self._store.transition(s, conv, "reopen", now=now, reason="customer_returned")
            row, created = self._store.add_message(
                s,
                m.Message(
                    conversation_id=conversation_id,
                    sender_type=sender_type,
                    sender_name=(sender_name or None) and sender_name[:120],
                    agent_id=agent_id,
                    text=text,
                    payload=payload,
                    client_msg_id=client_msg_id,
                    created_at=now,
                ),
            )
            return StoredMessage(
                _message_view(row), created, first_reply if created else None, str(conv.state)
            )

    def _record_plain(
        self,
        conversation_id: str,
        sender_type: str,
        text: str | None,
        payload: dict[str, Any] | None,
        sender_name: str | None,
        client_msg_id: str | None,
        now: datetime,
    ) -> StoredMessage | None:
        """:meth:`_record` for a customer, bot or system message, without the ORM.

        Every bot turn stores two or more of these, and through the ORM session (loading the
        whole conversation, the unit of work, the savepoint) they were most of the hub's CPU
        per turn: about 0.4 ms each here against 0.8-1 ms there.
        This is the same transaction in Core statements: the conversation's state with its
        row locked (PostgreSQL; the writer lock on SQLite), the client id look-up, the same
        checks in the same order, the insert and ``last_message_id``; the same results and
        errors.

        Returns:
            The stored message, or None when only the ORM path can store it: a customer
            writing to a closed conversation (the reopen transition), or a repeated client id
            that got past the look-up (the ORM path's savepoint turns it into the stored
            message). Nothing has been written then.

        Raises:
            NotFound: Unknown conversation.
            NotAllowed: Bot output during an agent's ownership.
        """
        try:
            with self._store.write() as conn:
                state = self._store.conversation_state(conn, conversation_id, lock=True)
                if client_msg_id is not None:
                    existing = self._store.message_row_by_client_id(
                        conn, conversation_id, client_msg_id
                    )
                    if existing is not None:
                        return StoredMessage(_message_view(existing), False, None, state)
                if sender_type == "bot" and state == "agent":
                    raise NotAllowed("the bot may not speak while an agent owns the conversation")
                if sender_type == "customer" and state == "closed":
                    return None
                values: dict[str, Any] = {
                    "conversation_id": conversation_id,
                    "sender_type": sender_type,
                    "sender_name": (sender_name or None) and sender_name[:120],
                    "agent_id": None,
                    "text": text,
                    "payload": payload,
                    "client_msg_id": client_msg_id,
                    "created_at": now,
                }
                message_id = self._store.insert_message(conn, values)
        except IntegrityError:
            if client_msg_id is None:
                raise
            return None  # rolled back; the ORM path answers the repeat
        message = MessageView(
            id=message_id,
            conversation_id=conversation_id,
            sender_type=values["sender_type"],
            sender_name=values["sender_name"],
            text=text,
            payload=payload,
            client_msg_id=client_msg_id,
            created_at=now,
        )
        return StoredMessage(message, True, None, state)

    def messages_after(self, conversation_id: str, after_id: int | None) -> list[MessageView]:
        """Messages after a server id, in order (all when ``after_id`` is None)."""
        with self._store.read() as s:
            self._store.conversation(s, conversation_id)
            return [
                _message_view(r) for r in self._store.messages_after(s, conversation_id, after_id)
            ]

    def conversation_state(self, conversation_id: str) -> str:
        """Just the conversation's state: what routing a customer's message depends on.

        One column from a read snapshot, where :meth:`get_conversation` builds the whole view
        (and looks up the owner's name) for every customer message.

        Raises:
            NotFound: Unknown conversation.
        """
        with self._store.read_connection() as conn:
            return self._store.conversation_state(conn, conversation_id)

    def get_conversation(self, conversation_id: str) -> ConversationView:
        """The conversation's state, owner, queue and handoff context."""
        with self._store.read() as s:
            return self._conversation_view(s, self._store.conversation(s, conversation_id))

    def transitions(self, conversation_id: str) -> list[tuple[str, str, str, str | None, datetime]]:
        """Audit trail ``(from, to, event, reason, at)``, oldest first."""
        with self._store.read() as s:
            self._store.conversation(s, conversation_id)
            return [
                (str(t.from_state), str(t.to_state), str(t.event), t.reason, t.at)
                for t in self._store.transitions(s, conversation_id)
            ]

    # --- handoff -------------------------------------------------------------------------

    def _seen_since(self, now: datetime) -> datetime:
        """Agents last seen before this are treated as offline (their hub stopped beating)."""
        return now - self._config.presence_timeout

    def _is_reachable(self, agent: m.Agent, now: datetime) -> bool:
        """Online, enabled, and kept alive by a hub process's heartbeat."""
        return (
            bool(agent.active)
            and agent.presence == "online"
            and agent.last_seen_at is not None
            and agent.last_seen_at >= self._seen_since(now)
        )

    def _online_for_queue(self, s: Session, queue: str, now: datetime) -> int:
        return sum(
            1
            for a in self._store.online_agents(s, self._seen_since(now))
            if serves(str(a.role), a.queues or (), queue)
        )

    def _queued_outcome(
        self, s: Session, conv: m.Conversation, now: datetime, *, created: bool
    ) -> HandoffOutcome:
        queue = str(conv.queue)
        ids = [str(c.id) for c in self._store.waiting(s, [queue])]
        position = ids.index(str(conv.id)) + 1
        waits = self._store.recent_waits(s, queue, now - self._config.wait_window)
        estimate = estimate_wait(
            waits, position, self._online_for_queue(s, queue, now), self._config.wait_min_samples
        )
        return HandoffOutcome(
            conversation_id=str(conv.id),
            state="queued",
            queue=queue,
            reason=str(conv.handoff_reason or "other"),
            position=position,
            estimated_wait_seconds=estimate,
            within_hours=self._is_open(queue, now),
            created=created,
        )

    def request_handoff(
        self,
        conversation_id: str,
        reason: str,
        queue: str | None,
        signals: Sequence[dict[str, Any]] | None,
        summary: str | None,
        score: float | None,
        *,
        order_number: str | None = None,
        intent: str | None = None,
    ) -> HandoffOutcome:
        """Ask for a person: queue the conversation, or say honestly that nobody can come.

        A handoff must never be lost to a bad payload: an unknown reason is stored as
        ``other`` and an unknown queue goes to the default queue (both logged). If the queue is
        closed or no agent who serves it is online, the conversation stays with the bot and the
        outcome is ``no_agents`` (the customer is offered a ticket or callback). Asking again
        while queued or with an agent changes nothing and reports the current situation.

        Returns:
            The outcome with position and an estimate from real recent waits (or None).
        """
        if reason not in HANDOFF_REASONS:
            log.warning(
                "unknown handoff reason stored as 'other'",
                extra={"conversation_id": conversation_id},
            )
            reason = "other"
        if queue not in self._config.queues:
            if queue is not None:
                log.warning(
                    "unknown handoff queue, using the default queue",
                    extra={"conversation_id": conversation_id},
                )
            queue = self._config.default_queue
        now = self._now()
        with self._store.transaction() as s:
            conv = self._store.conversation(s, conversation_id, lock=True)
            if conv.state == "queued":
                return self._queued_outcome(s, conv, now, created=False)
            if conv.state == "agent":
                return HandoffOutcome(
                    conversation_id=conversation_id,
                    state="agent",
                    queue=str(conv.queue),
                    reason=str(conv.handoff_reason or reason),
                    position=None,
                    estimated_wait_seconds=None,
                    within_hours=True,
                    created=False,
                )
            if conv.state == "closed":
                self._store.transition(s, conv, "reopen", now=now, reason="handoff_requested")
            hours = self._config.queues[queue].hours
            open_now = is_open(hours, now)
            available = open_now and self._online_for_queue(s, queue, now) > 0
            handoff = m.Handoff(
                conversation_id=conversation_id,
                kind="handoff",
                reason=reason,
                queue=queue,
                outcome="queued" if available else "no_agents",
                within_hours=open_now,
                requested_at=now,
            )
            if not available:
                handoff.ended_at = now
                handoff.end_event = "no_agents"
            s.add(handoff)
            s.flush()
            clean_signals = _clean_signals(signals)
            summary = (summary or "").strip() or self._hub_summary(s, conv, reason, clean_signals)
            context: dict[str, Any] = {
                "handoff_reason": reason,
                "handoff_signals": clean_signals,
                "handoff_summary": summary[:MAX_SUMMARY_CHARS],
                "handoff_score": float(score) if score is not None else None,
                "handoff_order_number": (order_number or None) and order_number[:32],
                "handoff_intent": (intent or None) and intent[:64],
            }
            if not available:
                for key, value in context.items():
                    setattr(conv, key, value)
                conv.queue = queue
                conv.updated_at = now
                return HandoffOutcome(
                    conversation_id=conversation_id,
                    state="no_agents",
                    queue=queue,
                    reason=reason,
                    position=None,
                    estimated_wait_seconds=None,
                    within_hours=open_now,
                    next_open_at=None if open_now else next_open(hours, now),
                )
            self._store.transition(
                s,
                conv,
                "handoff",
                now=now,
                reason=reason,
                queue=queue,
                queued_at=now,
                priority=NORMAL_PRIORITY,
                handoff_id=handoff.id,
                **context,
            )
            return self._queued_outcome(s, conv, now, created=True)

    def _hub_summary(
        self, s: Session, conv: m.Conversation, reason: str, signals: Sequence[dict[str, Any]]
    ) -> str:
        """The hub's own summary when the handoff brought none (button, guard, bot failure)."""
        transcript = [_message_view(r) for r in self._store.messages_after(s, str(conv.id), None)]
        return build_summary(
            transcript, reason=reason, customer_ref=conv.customer_ref, signals=signals
        )

    def queue_status(self, conversation_id: str) -> HandoffOutcome | None:
        """Current position and estimate of a waiting conversation; None if not queued."""
        now = self._now()
        with self._store.read() as s:
            conv = self._store.conversation(s, conversation_id)
            if conv.state != "queued":
                return None
            return self._queued_outcome(s, conv, now, created=False)

    def _end_handoff(self, s: Session, conv: m.Conversation, now: datetime, event: str) -> None:
        handoff = self._store.handoff(s, conv.handoff_id)
        if handoff is not None and handoff.ended_at is None:
            handoff.ended_at = now
            handoff.end_event = event

    def cancel_handoff(self, conversation_id: str) -> ConversationView:
        """The waiting customer returns to the bot (idempotent if already with the bot).

        Raises:
            InvalidTransition: An agent already owns it, or it is closed.
        """
        now = self._now()
        with self._store.transaction() as s:
            conv = self._store.conversation(s, conversation_id, lock=True)
            if conv.state != "bot":
                self._end_handoff(s, conv, now, "cancel")
                self._store.transition(
                    s,
                    conv,
                    "cancel",
                    now=now,
                    reason="customer_cancelled",
                    priority=NORMAL_PRIORITY,
                )
            return self._conversation_view(s, conv)

    def create_ticket(
        self, conversation_id: str, email: str | None, phone: str | None, note: str | None
    ) -> TicketView:
        """Store the customer's contact with a transcript snapshot for a later reply.

        A second submission with the same contact while the first ticket is open updates
        that ticket (the customer pressed twice, or added a note) instead of duplicating it.

        Raises:
            ValidationFailed: No contact, malformed email or phone, note too long.
        """
        clean_email, clean_phone, clean_note = validate_contact(
            email, phone, note, self._config.max_note_chars
        )
        now = self._now()
        with self._store.transaction() as s:
            conv = self._store.conversation(s, conversation_id, lock=True)
            transcript = transcript_snapshot(self._store.messages_after(s, conversation_id, None))
            for existing in self._store.tickets_for(s, conversation_id):
                if existing.status == "open" and (existing.email, existing.phone) == (
                    clean_email,
                    clean_phone,
                ):
                    existing.note = clean_note or existing.note
                    existing.transcript = transcript
                    return ticket_view(existing)
            row = m.Ticket(
                conversation_id=conversation_id,
                kind="callback" if clean_phone and not clean_email else "email",
                email=clean_email,
                phone=clean_phone,
                note=clean_note,
                queue=str(conv.queue or self._config.default_queue),
                reason=conv.handoff_reason,
                customer_ref=conv.customer_ref,
                transcript=transcript,
                status="open",
                created_at=now,
            )
            s.add(row)
            s.flush()
            return ticket_view(row)

    def close_ticket(self, agent_id: int, ticket_id: int) -> TicketView:
        """An agent marks a ticket handled (only for queues they serve)."""
        now = self._now()
        with self._store.transaction() as s:
            agent = self._store.agent(s, agent_id)
            ticket = self._store.ticket(s, ticket_id)
            if not serves(str(agent.role), agent.queues or (), str(ticket.queue)):
                raise NotAllowed("the ticket belongs to a queue this agent does not serve")
            if ticket.status != "closed":
                ticket.status = "closed"
                ticket.closed_at = now
                ticket.closed_by = agent_id
            return ticket_view(ticket)

    def rate(self, conversation_id: str, score: int) -> None:
        """Record CSAT 1-5; only once the conversation has been closed by an agent.

        Raises:
            ValidationFailed: Score not an integer 1-5.
            NotAllowed: The conversation was never closed.
        """
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise ValidationFailed("score", "an integer from 1 to 5")
        now = self._now()
        with self._store.transaction() as s:
            conv = self._store.conversation(s, conversation_id, lock=True)
            if conv.closed_at is None:
                raise NotAllowed("a conversation can be rated after it is closed")
            self._store.set_rating(s, conversation_id, score, now)

    # --- agents --------------------------------------------------------------------------

    def login(self, username: str, password: str) -> AgentSession | None:
        """Password login; see :meth:`AgentDirectory.login`."""
        return self.agents.login(username, password)

    def authenticate(self, token: str) -> AgentView | None:
        """The agent behind a session token, or None."""
        return self.agents.authenticate(token)

    def logout(self, token: str) -> None:
        """End a session; the agent's conversations get the grace period like a disconnect."""
        agent_id = self.agents.logout(token)
        if agent_id is not None:
            self.agent_disconnected(agent_id)

    def ensure_demo_agent(self) -> tuple[str, str]:
        """Demo mode only: (re)create the demo agent and supervisor; returns the agent's login."""
        return self.ensure_demo_accounts()[0]

    def ensure_demo_accounts(self) -> list[tuple[str, str]]:
        """Demo mode only: fresh random passwords for the demo agent and the demo supervisor."""
        return self.agents.ensure_demo_accounts()

    def set_presence(self, agent_id: int, presence: str) -> AgentView:
        """Change presence. Going online ends a pending grace period; going offline starts one.

        Raises:
            ValidationFailed: Unknown presence.
            NotFound: Unknown agent.
        """
        if presence not in PRESENCES:
            raise ValidationFailed("presence", "online, away or offline")
        now = self._now()
        with self._store.transaction() as s:
            agent = self._store.agent(s, agent_id, lock=True)
            if not agent.active and presence != "offline":
                raise NotAllowed("the account is disabled")
            if agent.presence != presence:
                agent.presence = presence
                agent.presence_changed_at = now
            if presence != "offline":
                agent.last_seen_at = now
            if presence == "online":
                agent.disconnected_at = None
            elif presence == "offline" and agent.disconnected_at is None:
                agent.disconnected_at = now
            return agent_view(agent, self._store.owned_count(s, agent_id))

    def agent_disconnected(self, agent_id: int) -> None:
        """The agent's last connection dropped: offline now, conversations kept for a while."""
        self.set_presence(agent_id, "offline")

    def heartbeat(self, agent_ids: Sequence[int]) -> None:
        """Record that these agents' sockets are alive (called periodically by each hub).

        Routing treats an agent whose heartbeat is older than ``config.presence_timeout`` as
        offline, so a hub process that dies without calling :meth:`agent_disconnected` does
        not leave customers queued for agents nobody serves.
        """
        if not agent_ids:
            return
        now = self._now()
        with self._store.transaction() as s:
            self._store.touch_agents(s, sorted(set(agent_ids)), now)

    def bind_customer(self, conversation_id: str, customer_ref: str) -> bool:
        """Attach a verified customer to an anonymous conversation.

        Used when a valid customer token arrives in a message's metadata rather than in the
        connection auth. A conversation never changes customer: binding the same customer
        again is a no-op, another customer is refused.

        Returns:
            True when the conversation was anonymous and is now the customer's.

        Raises:
            NotFound: Unknown conversation.
            IdentityMismatch: The conversation already belongs to a different customer.
        """
        now = self._now()
        with self._store.transaction() as s:
            conv = self._store.conversation(s, conversation_id, lock=True)
            if conv.customer_ref is not None:
                if not hmac.compare_digest(str(conv.customer_ref), customer_ref):
                    raise IdentityMismatch(conversation_id)
                return False
            conv.customer_ref = customer_ref
            conv.updated_at = now
        log.info(
            "anonymous conversation bound to a verified customer",
            extra={"conversation_id": conversation_id},
        )
        return True

    def requeue_expired(self, now: datetime | None = None) -> list[str]:
        """Requeue, at the front, the conversations of agents whose grace period is over.

        Requeued conversations keep their original ``queued_at`` and get priority, so they are
        offered before anyone who has not yet been served.

        Returns:
            Ids of requeued conversations.
        """
        now = self._now() if now is None else now.astimezone(timezone.utc)
        requeued: list[str] = []
        with self._store.transaction() as s:
            grace = self._config.grace_period
            stale = now - self._config.presence_timeout - grace
            for agent in self._store.expired_disconnects(s, now - grace, stale):
                for conv in self._store.owned(s, int(agent.id)):
                    try:
                        with s.begin_nested():
                            self._requeue(s, conv, int(agent.id), now)
                    except ClaimConflict:
                        # Changed by another process (e.g. a supervisor closed it) meanwhile.
                        log.info(
                            "conversation changed during requeue; left as is",
                            extra={"conversation_id": str(conv.id)},
                        )
                        continue
                    requeued.append(str(conv.id))
                agent.disconnected_at = None
        if requeued:
            log.info("requeued conversations after grace period", extra={"count": len(requeued)})
        return requeued

    def _requeue(self, s: Session, conv: m.Conversation, agent_id: int, now: datetime) -> None:
        self._end_handoff(s, conv, now, "requeue")
        handoff = m.Handoff(
            conversation_id=conv.id,
            kind="requeue",
            reason="agent_disconnected",
            queue=str(conv.queue),
            outcome="queued",
            within_hours=self._is_open(str(conv.queue), now),
            requested_at=now,
        )
        s.add(handoff)
        s.flush()
        self._store.transition(
            s,
            conv,
            "requeue",
            now=now,
            reason="agent_disconnected",
            agent_id=agent_id,
            owner_agent_id=None,
            priority=REQUEUED_PRIORITY,
            handoff_id=handoff.id,
        )

    def _is_open(self, queue: str, now: datetime) -> bool:
        """Business hours of a queue; a queue no longer in the config counts as open."""
        spec = self._config.queues.get(queue)
        return True if spec is None else is_open(spec.hours, now)

    def _waiting_items(self, s: Session, queues: Sequence[str], now: datetime) -> list[WaitingItem]:
        items: list[WaitingItem] = []
        positions: dict[str, int] = {}
        for conv in self._store.waiting(s, queues):
            queue = str(conv.queue)
            positions[queue] = positions.get(queue, 0) + 1
            items.append(
                WaitingItem(
                    conversation_id=str(conv.id),
                    queue=queue,
                    reason=conv.handoff_reason,
                    summary=conv.handoff_summary,
                    customer_ref=conv.customer_ref,
                    position=positions[queue],
                    wait_seconds=(now - conv.queued_at).total_seconds() if conv.queued_at else 0.0,
                    requeued=int(conv.priority or 0) >= REQUEUED_PRIORITY,
                )
            )
        return items

    def _queue_stats(self, s: Session, queues: Sequence[str], now: datetime) -> list[QueueStats]:
        waiting = self._waiting_items(s, queues, now)
        online = self._store.online_agents(s, self._seen_since(now))
        stats: list[QueueStats] = []
        for queue in queues:
            waits = [w.wait_seconds for w in waiting if w.queue == queue]
            stats.append(
                QueueStats(
                    queue=queue,
                    display_name=self._config.queues[queue].display_name,
                    waiting=len(waits),
                    longest_wait_seconds=max(waits) if waits else None,
                    online_agents=sum(
                        1 for a in online if serves(str(a.role), a.queues or (), queue)
                    ),
                    open_now=is_open(self._config.queues[queue].hours, now),
                )
            )
        return stats

    def queue_snapshot(self, agent_id: int) -> QueueSnapshot:
        """What the agent's console shows: waiting customers, own conversations, open tickets.

        Agents see their queues; supervisors see every queue. Both get per-queue numbers.
        """
        now = self._now()
        with self._store.read() as s:
            agent = self._store.agent(s, agent_id)
            queues = visible_queues(str(agent.role), list(agent.queues or ()), self._config)
            return QueueSnapshot(
                agent_id=agent_id,
                role="supervisor" if agent.role == "supervisor" else "agent",
                queues=queues,
                waiting=tuple(self._waiting_items(s, queues, now)),
                mine=tuple(
                    self._conversation_view(s, c, agent) for c in self._store.owned(s, agent_id)
                ),
                tickets=tuple(
                    ticket_view(t, with_transcript=False)
                    for t in self._store.open_tickets(s, queues)
                ),
                stats=tuple(self._queue_stats(s, queues, now)),
                presence=agent_view(agent).presence,
                dispositions=self._config.dispositions,
            )

    def get_ticket(self, agent_id: int, ticket_id: int) -> TicketView:
        """A ticket with its transcript, for an agent who serves its queue."""
        with self._store.read() as s:
            agent = self._store.agent(s, agent_id)
            ticket = self._store.ticket(s, ticket_id)
            if not serves(str(agent.role), agent.queues or (), str(ticket.queue)):
                raise NotAllowed("the ticket belongs to a queue this agent does not serve")
            return ticket_view(ticket)

    def next_offer(self, agent_id: int) -> ConversationView | None:
        """The conversation this agent should be offered next, if they can take one.

        An offer reserves nothing: the agent still has to :meth:`claim` it, and the claim is
        where races are settled.
        """
        now = self._now()
        with self._store.read() as s:
            agent = self._store.agent(s, agent_id)
            if not self._is_reachable(agent, now):
                return None
            if self._store.owned_count(s, agent_id) >= int(agent.capacity):
                return None
            queues = visible_queues(str(agent.role), list(agent.queues or ()), self._config)
            waiting = self._store.waiting(s, queues)
            return self._conversation_view(s, waiting[0]) if waiting else None

    def claim(self, agent_id: int, conversation_id: str) -> ContextPacket:
        """Take a waiting conversation; exactly one of several concurrent claimers wins.

        Raises:
            NotAllowed: Agent disabled, not online, or not serving the conversation's queue.
            CapacityReached: The agent already holds ``capacity`` conversations.
            ClaimConflict: The conversation is not waiting any more (someone else was first).
        """
        now = self._now()
        with self._store.transaction() as s:
            agent = self._store.agent(s, agent_id, lock=True)
            if not agent.active or agent.presence != "online":
                raise NotAllowed("only an online agent can take conversations")
            conv = self._store.conversation(s, conversation_id)
            if conv.state != "queued":
                raise ClaimConflict(conversation_id)
            if not serves(str(agent.role), agent.queues or (), str(conv.queue)):
                raise NotAllowed("the agent does not serve this queue")
            if self._store.owned_count(s, agent_id) >= int(agent.capacity):
                raise CapacityReached(agent_id, int(agent.capacity))
            agent.last_seen_at = now  # acting through a live socket
            self._store.transition(
                s,
                conv,
                "claim",
                now=now,
                reason="claimed",
                agent_id=agent_id,
                owner_agent_id=agent_id,
                priority=NORMAL_PRIORITY,
            )
            handoff = self._store.handoff(s, conv.handoff_id)
            wait: float | None = None
            if handoff is not None:
                handoff.claimed_at = now
                handoff.claimed_by = agent_id
                wait = (now - handoff.requested_at).total_seconds()
            view = self._conversation_view(s, conv)
            transcript = tuple(
                _message_view(r) for r in self._store.messages_after(s, conversation_id, None)
            )
        return self._packet(view, transcript, wait)

    def context(self, agent_id: int, conversation_id: str) -> ContextPacket:
        """The context packet again, for a conversation the agent already owns.

        A console that reloads or reconnects uses this to show its conversations again
        (``claim`` refuses a conversation that is already with an agent). Supervisors may read
        any conversation's packet, as they may transfer or close any.

        Raises:
            NotFound: Unknown conversation.
            NotAllowed: Not the owner (nor a supervisor).
        """
        with self._store.read() as s:
            agent = self._store.agent(s, agent_id)
            conv = self._store.conversation(s, conversation_id)
            owner = conv.state == "agent" and conv.owner_agent_id == agent_id
            if not owner and agent.role != "supervisor":
                raise NotAllowed("only the owning agent may read this conversation")
            handoff = self._store.handoff(s, conv.handoff_id)
            wait = None
            if handoff is not None and handoff.claimed_at is not None:
                wait = (handoff.claimed_at - handoff.requested_at).total_seconds()
            view = self._conversation_view(s, conv)
            transcript = tuple(
                _message_view(r) for r in self._store.messages_after(s, conversation_id, None)
            )
        return self._packet(view, transcript, wait)

    def _packet(
        self, view: ConversationView, transcript: tuple[MessageView, ...], wait: float | None
    ) -> ContextPacket:
        customer, orders, error = self._customer_data(view)
        return ContextPacket(
            conversation=view,
            transcript=transcript,
            customer=customer,
            orders=orders,
            customer_data_error=error,
            wait_seconds=wait,
        )

    def _customer_data(
        self, view: ConversationView
    ) -> tuple[CustomerView | None, tuple[OrderView, ...], str | None]:
        """The verified customer's record and orders; nothing for anonymous conversations.

        Only the ``customer_ref`` verified when the session opened is used, never anything the
        customer typed, so an agent sees exactly what the bot could show that customer.
        """
        if view.customer_ref is None or self._payments is None:
            return None, (), None
        try:
            customer = self._payments.get_customer(view.customer_ref)
            if customer is None:
                return None, (), None
            orders = tuple(self._payments.list_orders(view.customer_ref))
        except StoreError:
            log.exception(
                "payments store unavailable for context packet",
                extra={"conversation_id": view.conversation_id},
            )
            return None, (), "customer data is unavailable right now"
        return customer, orders, None

    def _owned_by(
        self, s: Session, agent_id: int, conversation_id: str
    ) -> tuple[m.Agent, m.Conversation]:
        agent = self._store.agent(s, agent_id)
        conv = self._store.conversation(s, conversation_id, lock=True)
        if agent.role != "supervisor" and conv.owner_agent_id != agent_id:
            raise NotAllowed("only the owner or a supervisor may do this")
        return agent, conv

    def transfer(self, agent_id: int, conversation_id: str, queue: str) -> ConversationView:
        """Send a conversation to another queue; it keeps its place by original wait.

        Raises:
            ValidationFailed: Unknown queue.
            NotAllowed: Not the owner (or a supervisor).
            InvalidTransition: The conversation is not with an agent.
        """
        if queue not in self._config.queues:
            raise ValidationFailed("queue", "unknown queue")
        now = self._now()
        with self._store.transaction() as s:
            _agent, conv = self._owned_by(s, agent_id, conversation_id)
            self._end_handoff(s, conv, now, "transfer")
            handoff = m.Handoff(
                conversation_id=conversation_id,
                kind="transfer",
                reason=str(conv.handoff_reason or "other"),
                queue=queue,
                outcome="queued",
                within_hours=self._is_open(queue, now),
                requested_at=now,
            )
            s.add(handoff)
            s.flush()
            self._store.transition(
                s,
                conv,
                "transfer",
                now=now,
                reason=f"transfer:{queue}",
                agent_id=agent_id,
                owner_agent_id=None,
                queue=queue,
                handoff_id=handoff.id,
            )
            return self._conversation_view(s, conv)

    def hand_back(self, agent_id: int, conversation_id: str) -> ConversationView:
        """Return the conversation to the bot (the connector then resumes Rasa)."""
        now = self._now()
        with self._store.transaction() as s:
            _agent, conv = self._owned_by(s, agent_id, conversation_id)
            self._end_handoff(s, conv, now, "hand_back")
            self._store.transition(
                s,
                conv,
                "hand_back",
                now=now,
                reason="agent_hand_back",
                agent_id=agent_id,
                owner_agent_id=None,
            )
            return self._conversation_view(s, conv)

    def close(self, agent_id: int, conversation_id: str, disposition: str) -> ConversationView:
        """Close with a configured disposition (owner; a supervisor may also close waiting ones).

        Raises:
            ValidationFailed: Disposition not in the configured list.
        """
        if disposition not in self._config.dispositions:
            raise ValidationFailed("disposition", "not a configured disposition")
        now = self._now()
        with self._store.transaction() as s:
            _agent, conv = self._owned_by(s, agent_id, conversation_id)
            self._end_handoff(s, conv, now, "close")
            self._store.transition(
                s,
                conv,
                "close",
                now=now,
                reason=disposition,
                agent_id=agent_id,
                owner_agent_id=None,
                disposition=disposition,
                closed_at=now,
            )
            return self._conversation_view(s, conv)

    # --- metrics -------------------------------------------------------------------------

    def stats(self) -> HubStats:
        """Metric inputs computed from the store, identical in every hub process."""
        now = self._now()
        queues = list(self._config.queues)
        with self._store.read() as s:
            queue_stats = self._queue_stats(s, queues, now)
            total, contained = self._store.containment(s)
            waits: dict[str, list[float]] = {q: [] for q in queues}
            first: dict[str, list[float]] = {q: [] for q in queues}
            for h in self._store.recent_claims(s, now - self._config.wait_window):
                queue = str(h.queue)
                waits.setdefault(queue, []).append((h.claimed_at - h.requested_at).total_seconds())
                if h.first_agent_reply_at is not None:
                    first.setdefault(queue, []).append(
                        (h.first_agent_reply_at - h.claimed_at).total_seconds()
                    )
            return HubStats(
                handoffs=self._store.handoff_counts(s),
                queue_lengths={q.queue: q.waiting for q in queue_stats},
                longest_wait_seconds={q.queue: q.longest_wait_seconds or 0.0 for q in queue_stats},
                online_agents={q.queue: q.online_agents for q in queue_stats},
                messages=self._store.message_counts(s),
                conversations=total,
                contained=contained,
                wait_seconds_recent={q: tuple(v) for q, v in waits.items()},
                first_reply_seconds_recent={q: tuple(v) for q, v in first.items()},
                csat_counts=self._store.csat_counts(s),
            )

    def agent(self, agent_id: int) -> AgentView:
        """One agent's current view (presence, skills, load)."""
        with self._store.read() as s:
            row = self._store.agent(s, agent_id)
            return agent_view(row, self._store.owned_count(s, agent_id))


__all__ = ["HubService", "NotFound"]
