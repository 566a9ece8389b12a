"""Initial schema: the payments tables and the hub's tables, as ``create_all`` made them.

The tables are written out here as a frozen ``MetaData`` (never imported from the models, which
move on with later revisions) because this revision has a second job: databases created before
the project had migrations are checked against :func:`build` and then stamped with this
revision (see ``migrations/runner.py``). Money is ``Numeric(12, 2)`` and times
``DateTime(timezone=True)``: what the models' column types create.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

Money = sa.Numeric(12, 2)
UTC = sa.DateTime(timezone=True)
# Autoincrementing hub ids: 64-bit on PostgreSQL, a rowid alias on SQLite.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

FAILURE_CODES = (
    "insufficient_funds",
    "card_expired",
    "do_not_honor",
    "authentication_failed",
    "card_declined",
    "processing_error",
)


def _choice(name: str, *values: str) -> sa.Enum:
    """A VARCHAR with a CHECK constraint named ``name`` (no native PostgreSQL enum)."""
    return sa.Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(v) for v in values),
    )


def _currency(table: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        "length(currency) = 3 AND upper(currency) = currency", name=f"ck_{table}_currency_iso"
    )


def _non_negative(table: str, column: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} >= 0", name=f"ck_{table}_{column}_non_negative")


def build(metadata: sa.MetaData) -> None:
    """Define this revision's tables in ``metadata``: payments first, then the hub's."""
    _build_payments(metadata)
    _build_hub(metadata)


def _build_payments(md: sa.MetaData) -> None:
    sa.Table(
        "customers",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer_ref", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("phone", sa.String(32)),
        sa.Column("created_at", UTC, nullable=False),
    )
    sa.Table(
        "merchants",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("merchant_ref", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("support_url", sa.String(500)),
        sa.Column("support_email", sa.String(254)),
    )
    sa.Table(
        "orders",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("order_ref", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "customer_id",
            sa.Integer,
            sa.ForeignKey("customers.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "merchant_id",
            sa.Integer,
            sa.ForeignKey("merchants.id", ondelete="RESTRICT"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "status",
            _choice("order_status", "placed", "shipped", "delivered", "cancelled", "returned"),
            nullable=False,
        ),
        sa.Column(
            "shipping_status",
            _choice(
                "shipping_status",
                "not_shipped",
                "label_created",
                "in_transit",
                "out_for_delivery",
                "delivered",
                "returned",
            ),
            nullable=False,
            server_default=sa.text("'not_shipped'"),
        ),
        sa.Column("carrier", sa.String(64)),
        sa.Column("tracking_number", sa.String(64)),
        sa.Column("shipped_at", UTC),
        sa.Column("delivered_at", UTC),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("total", Money, nullable=False),
        sa.Column("placed_at", UTC, nullable=False),
        _currency("orders"),
        _non_negative("orders", "total"),
    )
    sa.Table(
        "order_items",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "order_id",
            sa.Integer,
            sa.ForeignKey("orders.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("description", sa.String(300), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_price", Money, nullable=False),
        sa.CheckConstraint("quantity > 0", name="ck_order_items_quantity_positive"),
        _non_negative("order_items", "unit_price"),
    )
    sa.Table(
        "instalment_plans",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "order_id",
            sa.Integer,
            sa.ForeignKey("orders.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column(
            "kind",
            _choice(
                "plan_kind",
                "pay_in_3",
                "pay_in_4",
                "monthly_3",
                "monthly_6",
                "monthly_12",
                "monthly_24",
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("total", Money, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        _currency("instalment_plans"),
        _non_negative("instalment_plans", "total"),
    )
    sa.Table(
        "instalments",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "plan_id",
            sa.Integer,
            sa.ForeignKey("instalment_plans.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("amount", Money, nullable=False),
        sa.Column(
            "status",
            _choice("instalment_status", "scheduled", "paid", "overdue", "failed"),
            nullable=False,
        ),
        sa.Column("paid_at", UTC),
        sa.Column("failure_code", _choice("failure_code", *FAILURE_CODES)),
        sa.Column("late_fee", Money, nullable=False, server_default=sa.text("0")),
        sa.UniqueConstraint("plan_id", "sequence", name="uq_instalments_plan_sequence"),
        sa.CheckConstraint("sequence >= 1", name="ck_instalments_sequence_positive"),
        _non_negative("instalments", "amount"),
        _non_negative("instalments", "late_fee"),
    )
    sa.Table(
        "payments",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "order_id",
            sa.Integer,
            sa.ForeignKey("orders.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "instalment_id", sa.Integer, sa.ForeignKey("instalments.id", ondelete="SET NULL")
        ),
        sa.Column("amount", Money, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("method", sa.String(64), nullable=False),
        sa.Column(
            "status", _choice("payment_status", "succeeded", "failed", "refunded"), nullable=False
        ),
        sa.Column("failure_code", _choice("payment_failure_code", *FAILURE_CODES)),
        sa.Column("created_at", UTC, nullable=False),
        _currency("payments"),
        _non_negative("payments", "amount"),
    )
    sa.Table(
        "refunds",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("refund_ref", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "order_id",
            sa.Integer,
            sa.ForeignKey("orders.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("amount", Money, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column(
            "status",
            _choice("refund_status", "requested", "processing", "completed", "rejected"),
            nullable=False,
        ),
        sa.Column("reason", sa.String(500)),
        sa.Column("requested_at", UTC, nullable=False),
        sa.Column("expected_by", sa.Date),
        sa.Column("completed_at", UTC),
        _currency("refunds"),
        _non_negative("refunds", "amount"),
    )
    sa.Table(
        "disputes",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dispute_ref", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "order_id",
            sa.Integer,
            sa.ForeignKey("orders.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("amount", Money),
        sa.Column(
            "status",
            _choice("dispute_status", "open", "under_review", "resolved"),
            nullable=False,
        ),
        sa.Column("opened_at", UTC, nullable=False),
        sa.CheckConstraint("amount IS NULL OR amount >= 0", name="ck_disputes_amount_non_negative"),
    )


def _conversation_fk() -> sa.ForeignKey:
    return sa.ForeignKey("hub_conversations.id", ondelete="CASCADE")


def _build_hub(md: sa.MetaData) -> None:
    sa.Table(
        "hub_agents",
        md,
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("queues", sa.JSON, nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("presence", sa.String(16), nullable=False),
        sa.Column("presence_changed_at", UTC, nullable=True),
        sa.Column("disconnected_at", UTC, nullable=True),
        sa.Column("last_seen_at", UTC, nullable=True),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("locked_until", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
    )
    sa.Table(
        "hub_agent_sessions",
        md,
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "agent_id", Id, sa.ForeignKey("hub_agents.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("revoked_at", UTC, nullable=True),
    )
    sa.Table(
        "hub_conversations",
        md,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("session_id", sa.String(64), nullable=False, unique=True),
        sa.Column("session_key_hash", sa.String(64), nullable=True),
        sa.Column("customer_ref", sa.String(64), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("queue", sa.String(32), nullable=True),
        sa.Column("owner_agent_id", Id, sa.ForeignKey("hub_agents.id"), nullable=True),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("queued_at", UTC, nullable=True),
        sa.Column("handoff_id", Id, nullable=True),
        sa.Column("handoff_reason", sa.String(32), nullable=True),
        sa.Column("handoff_signals", sa.JSON, nullable=True),
        sa.Column("handoff_summary", sa.Text, nullable=True),
        sa.Column("handoff_score", sa.Float, nullable=True),
        sa.Column("handoff_order_number", sa.String(32), nullable=True),
        sa.Column("handoff_intent", sa.String(64), nullable=True),
        sa.Column("disposition", sa.String(32), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("closed_at", UTC, nullable=True),
        sa.Column("last_message_id", sa.BigInteger, nullable=True),
        sa.Index("ix_hub_conversations_waiting", "state", "queue", "queued_at"),
    )
    sa.Table(
        "hub_messages",
        md,
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(32), _conversation_fk(), nullable=False),
        sa.Column("sender_type", sa.String(16), nullable=False),
        sa.Column("sender_name", sa.String(120), nullable=True),
        sa.Column("agent_id", Id, sa.ForeignKey("hub_agents.id"), nullable=True),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("payload", sa.JSON, nullable=True),
        sa.Column("client_msg_id", sa.String(64), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.UniqueConstraint("conversation_id", "client_msg_id", name="uq_hub_messages_client_id"),
        sa.Index("ix_hub_messages_conversation", "conversation_id", "id"),
        sqlite_autoincrement=True,
    )
    sa.Table(
        "hub_transitions",
        md,
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(32), _conversation_fk(), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64), nullable=True),
        sa.Column("agent_id", Id, sa.ForeignKey("hub_agents.id"), nullable=True),
        sa.Column("at", UTC, nullable=False),
        sa.Index("ix_hub_transitions_conversation", "conversation_id", "id"),
    )
    sa.Table(
        "hub_handoffs",
        md,
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(32), _conversation_fk(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("queue", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("within_hours", sa.Boolean, nullable=False),
        sa.Column("requested_at", UTC, nullable=False),
        sa.Column("claimed_at", UTC, nullable=True),
        sa.Column("claimed_by", Id, sa.ForeignKey("hub_agents.id"), nullable=True),
        sa.Column("first_agent_reply_at", UTC, nullable=True),
        sa.Column("ended_at", UTC, nullable=True),
        sa.Column("end_event", sa.String(16), nullable=True),
        sa.Index("ix_hub_handoffs_queue_claimed", "queue", "claimed_at"),
    )
    sa.Table(
        "hub_tickets",
        md,
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(32), _conversation_fk(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("phone", sa.String(16), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("queue", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
        sa.Column("customer_ref", sa.String(64), nullable=True),
        sa.Column("transcript", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("closed_at", UTC, nullable=True),
        sa.Column("closed_by", Id, sa.ForeignKey("hub_agents.id"), nullable=True),
        sa.Index("ix_hub_tickets_status_queue", "status", "queue"),
    )
    sa.Table(
        "hub_ratings",
        md,
        sa.Column("conversation_id", sa.String(32), _conversation_fk(), primary_key=True),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("rated_at", UTC, nullable=False),
    )


def upgrade() -> None:
    """Create every table, its constraints and indexes (also in ``--sql`` mode)."""
    metadata = sa.MetaData()
    build(metadata)
    impl = op.get_context().impl
    for table in metadata.sorted_tables:
        impl.create_table(table)


def downgrade() -> None:
    """Drop every table of this revision (and their data)."""
    metadata = sa.MetaData()
    build(metadata)
    for table in reversed(metadata.sorted_tables):
        op.drop_table(table.name)
