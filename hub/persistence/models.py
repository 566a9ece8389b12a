"""SQLAlchemy tables of the hub (conversations, messages, agents, tickets, ratings).

They live in the same database as the payments store but in their own ``MetaData`` with a
``hub_`` prefix, so each side creates and migrates its own tables. Customers are referenced by
their public ``customer_ref`` string only: the hub never copies payments data into its tables.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import TypeDecorator

hub_metadata = MetaData()
# SQLAlchemy 1.4 ships no type hints, so mapped classes derive from an ``Any`` base (the
# ``type: ignore[misc]`` on each class); the frozen views are the typed surface.
Base: Any = declarative_base(metadata=hub_metadata)

# Autoincrementing ids that are 64-bit on PostgreSQL and a rowid alias on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):  # type: ignore[misc]
    """Timezone-aware UTC datetimes on every backend.

    SQLite has no time zone type and hands back naive values; this stores UTC and always returns
    an aware UTC ``datetime``, so comparisons with the clock never mix naive and aware values.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Reject naive datetimes and normalise to UTC before storing."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return aware UTC values whatever the backend gave back."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Agent(Base):  # type: ignore[misc]
    """A person who serves queues: an agent or a supervisor."""

    __tablename__ = "hub_agents"

    id = Column(Id, primary_key=True, autoincrement=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(120), nullable=False)
    role = Column(String(16), nullable=False)  # agent | supervisor
    queues = Column(JSON, nullable=False)  # list of queue names (skills)
    # Languages spoken, e.g. ["en", "es"] (skills for routing); English unless told otherwise.
    languages = Column(JSON, nullable=False, default=lambda: ["en"])
    capacity = Column(Integer, nullable=False)
    password_hash = Column(String(255), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    presence = Column(String(16), nullable=False, default="offline")
    presence_changed_at = Column(UTCDateTime(), nullable=True)
    disconnected_at = Column(UTCDateTime(), nullable=True)  # grace period starts here
    # Heartbeat from the hub process holding the agent's socket; stale = that process is gone.
    last_seen_at = Column(UTCDateTime(), nullable=True)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(UTCDateTime(), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)


class AgentSession(Base):  # type: ignore[misc]
    """A login session; only the SHA-256 of the opaque token is stored."""

    __tablename__ = "hub_agent_sessions"

    id = Column(Id, primary_key=True, autoincrement=True)
    agent_id = Column(Id, ForeignKey("hub_agents.id", ondelete="CASCADE"), nullable=False)
    token_hash = Column(String(64), nullable=False, unique=True)
    created_at = Column(UTCDateTime(), nullable=False)
    expires_at = Column(UTCDateTime(), nullable=False)
    revoked_at = Column(UTCDateTime(), nullable=True)


class Conversation(Base):  # type: ignore[misc]
    """One customer's chat; the single source of truth for who owns it."""

    __tablename__ = "hub_conversations"

    id = Column(String(32), primary_key=True)
    session_id = Column(String(64), nullable=False, unique=True)
    session_key_hash = Column(String(64), nullable=True)  # anonymous owners only
    customer_ref = Column(String(64), nullable=True)  # verified at session open, else NULL
    state = Column(String(16), nullable=False)
    queue = Column(String(32), nullable=True)
    owner_agent_id = Column(Id, ForeignKey("hub_agents.id"), nullable=True)
    priority = Column(Integer, nullable=False, default=0)  # 1 = requeued after disconnect
    queued_at = Column(UTCDateTime(), nullable=True)  # ordering key, kept on requeue
    handoff_id = Column(Id, nullable=True)  # current hub_handoffs row
    handoff_reason = Column(String(32), nullable=True)
    handoff_signals = Column(JSON, nullable=True)
    handoff_summary = Column(Text, nullable=True)
    handoff_score = Column(Float, nullable=True)
    handoff_order_number = Column(String(32), nullable=True)
    handoff_intent = Column(String(64), nullable=True)
    disposition = Column(String(32), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)
    updated_at = Column(UTCDateTime(), nullable=False)
    closed_at = Column(UTCDateTime(), nullable=True)
    last_message_id = Column(BigInteger, nullable=True)
    # The customer's language ("en", "es"), decided per message (common.language); NULL until
    # the first message. The host page's BCP-47 tag as the client last reported it.
    language = Column(String(8), nullable=True)
    page_language = Column(String(35), nullable=True)

    __table_args__ = (Index("ix_hub_conversations_waiting", "state", "queue", "queued_at"),)


class Message(Base):  # type: ignore[misc]
    """A stored message; its id is the server id clients resume from."""

    __tablename__ = "hub_messages"

    id = Column(Id, primary_key=True, autoincrement=True)
    conversation_id = Column(
        String(32), ForeignKey("hub_conversations.id", ondelete="CASCADE"), nullable=False
    )
    sender_type = Column(String(16), nullable=False)  # customer | bot | agent | system
    sender_name = Column(String(120), nullable=True)
    agent_id = Column(Id, ForeignKey("hub_agents.id"), nullable=True)
    text = Column(Text, nullable=True)
    payload = Column(JSON, nullable=True)
    client_msg_id = Column(String(64), nullable=True)
    created_at = Column(UTCDateTime(), nullable=False)
    # A customer message's turn: pending (stored, acknowledged, not answered yet) -> answered
    # (its answer is stored; ``turn_handoff`` still to request) -> done. NULL for the other
    # senders and for rows older than migration 0002. See hub/services/messages.py.
    turn_state = Column(String(16), nullable=True)
    # The customer message a bot (or hub) message answers: one answer per turn, ever.
    reply_to = Column(Id, nullable=True)
    # The handoff the stored answer asked for, kept until it has been requested (a crash
    # between the answer and the request re-drives the request, not the bot).
    turn_handoff = Column(JSON, nullable=True)

    __table_args__ = (
        UniqueConstraint("conversation_id", "client_msg_id", name="uq_hub_messages_client_id"),
        Index("ix_hub_messages_conversation", "conversation_id", "id"),
        Index("ix_hub_messages_reply_to", "reply_to"),
        Index("ix_hub_messages_turn_state", "turn_state"),
        {"sqlite_autoincrement": True},
    )


class Transition(Base):  # type: ignore[misc]
    """Audit trail: every state change with its time, event, reason and acting agent."""

    __tablename__ = "hub_transitions"

    id = Column(Id, primary_key=True, autoincrement=True)
    conversation_id = Column(
        String(32), ForeignKey("hub_conversations.id", ondelete="CASCADE"), nullable=False
    )
    from_state = Column(String(16), nullable=False)
    to_state = Column(String(16), nullable=False)
    event = Column(String(16), nullable=False)
    reason = Column(String(64), nullable=True)
    agent_id = Column(Id, ForeignKey("hub_agents.id"), nullable=True)
    at = Column(UTCDateTime(), nullable=False)

    __table_args__ = (Index("ix_hub_transitions_conversation", "conversation_id", "id"),)


class Handoff(Base):  # type: ignore[misc]
    """One routing episode: a bot handoff, a transfer or a requeue, and how it ended.

    Wait times, time to first agent reply and handoff counts are computed from these rows, so
    metrics survive restarts and agree across hub processes.
    """

    __tablename__ = "hub_handoffs"

    id = Column(Id, primary_key=True, autoincrement=True)
    conversation_id = Column(
        String(32), ForeignKey("hub_conversations.id", ondelete="CASCADE"), nullable=False
    )
    kind = Column(String(16), nullable=False)  # handoff | transfer | requeue
    reason = Column(String(32), nullable=False)
    queue = Column(String(32), nullable=False)
    outcome = Column(String(16), nullable=False)  # queued | no_agents
    within_hours = Column(Boolean, nullable=False)
    requested_at = Column(UTCDateTime(), nullable=False)
    claimed_at = Column(UTCDateTime(), nullable=True)
    claimed_by = Column(Id, ForeignKey("hub_agents.id"), nullable=True)
    first_agent_reply_at = Column(UTCDateTime(), nullable=True)
    ended_at = Column(UTCDateTime(), nullable=True)
    end_event = Column(String(16), nullable=True)

    __table_args__ = (Index("ix_hub_handoffs_queue_claimed", "queue", "claimed_at"),)


class Ticket(Base):  # type: ignore[misc]
    """A contact left by a customer nobody could serve, with a transcript snapshot."""

    __tablename__ = "hub_tickets"

    id = Column(Id, primary_key=True, autoincrement=True)
    conversation_id = Column(
        String(32), ForeignKey("hub_conversations.id", ondelete="CASCADE"), nullable=False
    )
    kind = Column(String(16), nullable=False)  # email | callback
    email = Column(String(254), nullable=True)
    phone = Column(String(16), nullable=True)
    note = Column(Text, nullable=True)
    queue = Column(String(32), nullable=False)
    reason = Column(String(32), nullable=True)
    customer_ref = Column(String(64), nullable=True)
    transcript = Column(JSON, nullable=False)
    status = Column(String(16), nullable=False, default="open")
    created_at = Column(UTCDateTime(), nullable=False)
    closed_at = Column(UTCDateTime(), nullable=True)
    closed_by = Column(Id, ForeignKey("hub_agents.id"), nullable=True)

    __table_args__ = (Index("ix_hub_tickets_status_queue", "status", "queue"),)


class Rating(Base):  # type: ignore[misc]
    """The customer's CSAT score for a conversation (latest wins)."""

    __tablename__ = "hub_ratings"

    conversation_id = Column(
        String(32), ForeignKey("hub_conversations.id", ondelete="CASCADE"), primary_key=True
    )
    score = Column(Integer, nullable=False)
    rated_at = Column(UTCDateTime(), nullable=False)


# --- data protection (issue 17) ----------------------------------------------------------


class AuditEntry(Base):  # type: ignore[misc]
    """Who did what to which customer's data, when, from which session: append-only.

    No foreign keys on purpose: an entry must outlive the conversation it names (erased or
    purged) and the account that acted. ``session_ref`` is a non-secret reference
    (``session:<hub_agent_sessions.id>`` or ``cli:<os user>``), never the token. Database
    triggers refuse every UPDATE and any DELETE but the retention purge's (migration 0003).
    """

    __tablename__ = "hub_audit_log"

    id = Column(Id, primary_key=True, autoincrement=True)
    at = Column(UTCDateTime(), nullable=False)
    agent_id = Column(BigInteger, nullable=True)
    agent_username = Column(String(64), nullable=True)
    action = Column(String(32), nullable=False)
    customer_ref = Column(String(64), nullable=True)
    conversation_id = Column(String(32), nullable=True)
    session_ref = Column(String(64), nullable=False)
    detail = Column(JSON, nullable=True)

    __table_args__ = (
        Index("ix_hub_audit_log_at", "at"),
        Index("ix_hub_audit_log_customer", "customer_ref", "id"),
        Index("ix_hub_audit_log_conversation", "conversation_id", "id"),
        {"sqlite_autoincrement": True},
    )


class AuditPurgePermit(Base):  # type: ignore[misc]
    """The retention purge's permit to delete audit entries older than ``cutoff``.

    The purge inserts one row, deletes, and removes the row in the same transaction, so no
    other transaction ever sees a permit (PostgreSQL's isolation; SQLite's single writer).
    The audit table's DELETE trigger accepts a row only when a permit covers its time.
    """

    __tablename__ = "hub_audit_purge_permits"

    id = Column(Id, primary_key=True, autoincrement=True)
    cutoff = Column(UTCDateTime(), nullable=False)
