"""Frozen views the HubService returns; connectors never see ORM objects.

Everything here is plain data (str, int, datetime, tuples, dicts) so connectors can turn it into
JSON without touching the database, and so a view stays valid after its session is gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from store.views import CustomerView, OrderView

SenderType = Literal["customer", "bot", "agent", "system"]
Presence = Literal["online", "away", "offline"]
PRESENCES: tuple[Presence, ...] = ("online", "away", "offline")
Role = Literal["agent", "supervisor"]


@dataclass(frozen=True)
class SessionGrant:
    """The session a customer connection is bound to.

    Attributes:
        session_id: The public session id (the client's key to the conversation); the store
            keeps only its hash.
        identity_required: The conversation is a verified customer's and the connection has
            not proved to be them yet: nothing of it may be delivered until it does.
    """

    conversation_id: str
    session_id: str
    created: bool
    state: str
    customer_ref: str | None
    identity_required: bool = False
    language: str | None = None  # the conversation's language once a message decided it


@dataclass(frozen=True)
class MessageView:
    """A stored message; ``id`` is the server id used for acknowledgements and replay."""

    id: int
    conversation_id: str
    sender_type: SenderType
    sender_name: str | None
    text: str | None
    payload: dict[str, Any] | None
    client_msg_id: str | None
    created_at: datetime
    # The conversation's message just before this one (0: none), known only when it was just
    # stored (read under the row lock): a pusher sees that nothing was skipped without a query.
    # Not part of the message: views of one message compare equal with or without it.
    previous_id: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class TurnAnswer:
    """The stored answer to one customer message (its turn); at most one per turn, ever.

    Attributes:
        messages: The answer's messages in order (empty when the bot may no longer speak).
        created: False when the answer was stored before (a re-driven turn): not sent again.
        handoff: A handoff the answer asked for and that is still to be requested.
    """

    messages: tuple[MessageView, ...]
    created: bool
    handoff: dict[str, Any] | None


@dataclass(frozen=True)
class PendingTurn:
    """A customer message acknowledged but not fully answered (re-driven after a crash)."""

    message: MessageView
    session_id: str
    turn_state: str
    handoff: dict[str, Any] | None
    language: str | None = None
    page_language: str | None = None


@dataclass(frozen=True)
class ConversationView:
    """A conversation's routing state and handoff context."""

    conversation_id: str
    session_id: str
    state: str
    customer_ref: str | None
    queue: str | None
    owner_agent_id: int | None
    owner_name: str | None
    reason: str | None
    signals: tuple[dict[str, Any], ...]
    summary: str | None
    score: float | None
    order_number: str | None
    intent: str | None
    queued_at: datetime | None
    priority: int
    disposition: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    last_message_id: int | None
    # The customer's language ("en", "es"; English until a message says otherwise) and the host
    # page's BCP-47 tag as last reported (issue 19).
    language: str = "en"
    page_language: str | None = None


@dataclass(frozen=True)
class HandoffOutcome:
    """What happened to a request for a person.

    Attributes:
        state: ``queued`` (waiting for an agent), ``no_agents`` (nobody can take it now: the
            conversation stays with the bot and the customer is offered a ticket or callback),
            or ``agent`` (a person already owns the conversation; nothing changed).
        position: 1-based place in the queue when queued.
        estimated_wait_seconds: From recent real waits in this queue; None when unknown.
        within_hours: Whether the queue is open now.
        next_open_at: When the queue next opens (UTC) if it is closed now and ever opens.
    """

    conversation_id: str
    state: Literal["queued", "no_agents", "agent"]
    queue: str
    reason: str
    position: int | None
    estimated_wait_seconds: float | None
    within_hours: bool
    next_open_at: datetime | None = None
    created: bool = True


@dataclass(frozen=True)
class TranscriptLine:
    """One line of a ticket's transcript snapshot."""

    id: int
    sender_type: str
    sender_name: str | None
    text: str | None
    created_at: datetime


@dataclass(frozen=True)
class TicketView:
    """A ticket or callback request left by a customer."""

    ticket_id: int
    conversation_id: str
    kind: Literal["email", "callback"]
    email: str | None
    phone: str | None
    note: str | None
    queue: str
    reason: str | None
    customer_ref: str | None
    status: str
    created_at: datetime
    transcript: tuple[TranscriptLine, ...] = field(default=())


@dataclass(frozen=True)
class AgentSession:
    """A fresh login: the opaque token is shown once and stored only as a hash."""

    token: str
    agent_id: int
    username: str
    display_name: str
    role: Role
    queues: tuple[str, ...]
    expires_at: datetime
    languages: tuple[str, ...] = ("en",)


@dataclass(frozen=True)
class AgentView:
    """An agent as other parts of the hub see them (never the password hash)."""

    agent_id: int
    username: str
    display_name: str
    role: Role
    queues: tuple[str, ...]
    capacity: int
    presence: Presence
    active: bool
    active_conversations: int = 0
    languages: tuple[str, ...] = ("en",)  # languages spoken (routing skills)


@dataclass(frozen=True)
class WaitingItem:
    """A queued conversation as shown in an agent's queue list."""

    conversation_id: str
    queue: str
    reason: str | None
    summary: str | None
    customer_ref: str | None
    position: int
    wait_seconds: float
    requeued: bool
    language: str = "en"  # the customer's language (issue 19)


@dataclass(frozen=True)
class QueueStats:
    """Live numbers for one queue (all queues for a supervisor)."""

    queue: str
    display_name: str
    waiting: int
    longest_wait_seconds: float | None
    online_agents: int
    open_now: bool


@dataclass(frozen=True)
class QueueSnapshot:
    """What an agent's console shows: the queue, their conversations and open tickets.

    Attributes:
        presence: The agent's stored presence, so a reloaded console shows the truth.
        dispositions: The configured close dispositions (the console offers exactly these).
    """

    agent_id: int
    role: Role
    queues: tuple[str, ...]
    waiting: tuple[WaitingItem, ...]
    mine: tuple[ConversationView, ...]
    tickets: tuple[TicketView, ...]
    stats: tuple[QueueStats, ...]
    presence: Presence
    dispositions: tuple[str, ...]


@dataclass(frozen=True)
class ContextPacket:
    """What an agent gets on claim.

    Attributes:
        customer: The verified customer's record from the payments store (``store.views``
            ``CustomerView``), None for anonymous conversations.
        orders: That customer's orders (``OrderView`` with instalments, refunds, disputes).
        customer_data_error: Set when the payments store could not be read; the claim still
            succeeds and the console says the data is missing rather than showing nothing.
        wait_seconds: How long the customer waited for this claim.
    """

    conversation: ConversationView
    transcript: tuple[MessageView, ...]
    customer: CustomerView | None
    orders: tuple[OrderView, ...]
    customer_data_error: str | None
    wait_seconds: float | None


@dataclass(frozen=True)
class StoredMessage:
    """Result of storing a message.

    Attributes:
        first_reply_seconds: Seconds from claim to this reply when it is the agent's first reply
            in this episode (for the time-to-first-reply metric), else None.
        state: The conversation's state once the message was stored (``bot``, ``queued`` or
            ``agent``), read in the same transaction: a customer's message written while a
            person has the conversation belongs to that person, with no second lookup.
        masked: The kinds of sensitive number (``card``, ``iban``... see
            ``common.sensitive``) masked in this message's text before it was stored; empty
            when nothing was, and for a repeat of a stored message (``created=False``).
    """

    message: MessageView
    created: bool
    first_reply_seconds: float | None
    state: str
    masked: frozenset[str] = frozenset()
    # A customer message's turn (``pending``, ``answered``, ``done``); None for other senders.
    turn_state: str | None = None
    # The conversation's language once the message was stored (decided on it for a new
    # customer message) and the page's language tag (issue 19); None when not read.
    language: str | None = None
    page_language: str | None = None


@dataclass(frozen=True)
class HubStats:
    """Numbers for the Prometheus exporter, computed from the store (restart-proof).

    Attributes:
        handoffs: Count per (reason, queue, outcome) of bot-to-person handoff requests.
        queue_lengths: Waiting conversations per queue.
        longest_wait_seconds: Per queue, the current longest wait (0 when empty).
        online_agents: Online agents per queue.
        messages: Message count per sender type.
        conversations: Conversations with at least one customer message.
        contained: Those that never reached the queue (the bot handled them).
        wait_seconds_recent: Recent claim waits (within the configured window), per queue.
        first_reply_seconds_recent: Recent claim-to-first-reply times, per queue.
        csat_counts: Ratings per score 1-5.
    """

    handoffs: dict[tuple[str, str, str], int]
    queue_lengths: dict[str, int]
    longest_wait_seconds: dict[str, float]
    online_agents: dict[str, int]
    messages: dict[str, int]
    conversations: int
    contained: int
    wait_seconds_recent: dict[str, tuple[float, ...]]
    first_reply_seconds_recent: dict[str, tuple[float, ...]]
    csat_counts: dict[int, int]

    @property
    def containment_rate(self) -> float | None:
        """Share of conversations the bot handled alone; None before any conversation."""
        return self.contained / self.conversations if self.conversations else None

    @property
    def csat_average(self) -> float | None:
        """Mean CSAT score; None before any rating."""
        total = sum(self.csat_counts.values())
        if not total:
            return None
        return sum(score * n for score, n in self.csat_counts.items()) / total
