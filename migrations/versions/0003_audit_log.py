"""Audit log (append-only) and its purge permits (issue 17, data protection).

``hub_audit_log`` records who opened, exported, erased, transferred or closed which customer's
data, when and from which session. Triggers make it append-only in the database itself: every
UPDATE is refused, and a DELETE only passes for rows older than a ``hub_audit_purge_permits``
row, which only the retention purge writes (and removes) inside its own transaction. On
PostgreSQL TRUNCATE is refused too. See docs/data-protection.md.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

UTC = sa.DateTime(timezone=True)
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

SQLITE_TRIGGERS = (
    """CREATE TRIGGER hub_audit_log_no_update BEFORE UPDATE ON hub_audit_log
    BEGIN SELECT RAISE(ABORT, 'hub_audit_log is append-only'); END""",
    """CREATE TRIGGER hub_audit_log_no_delete BEFORE DELETE ON hub_audit_log
    WHEN NOT EXISTS (SELECT 1 FROM hub_audit_purge_permits p WHERE OLD.at < p.cutoff)
    BEGIN SELECT RAISE(ABORT, 'hub_audit_log is append-only'); END""",
)
POSTGRES_TRIGGERS = (
    """CREATE FUNCTION hub_audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            IF EXISTS (SELECT 1 FROM hub_audit_purge_permits p WHERE OLD.at < p.cutoff) THEN
                RETURN OLD;
            END IF;
        END IF;
        RAISE EXCEPTION 'hub_audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
    END $$""",
    """CREATE TRIGGER hub_audit_log_append_only BEFORE UPDATE OR DELETE ON hub_audit_log
    FOR EACH ROW EXECUTE FUNCTION hub_audit_log_guard()""",
    """CREATE TRIGGER hub_audit_log_no_truncate BEFORE TRUNCATE ON hub_audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION hub_audit_log_guard()""",
)


def upgrade() -> None:
    """Create the audit table, the permits table and the append-only triggers."""
    op.create_table(
        "hub_audit_log",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("at", UTC, nullable=False),
        sa.Column("agent_id", sa.BigInteger(), nullable=True),
        sa.Column("agent_username", sa.String(64), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("customer_ref", sa.String(64), nullable=True),
        sa.Column("conversation_id", sa.String(32), nullable=True),
        sa.Column("session_ref", sa.String(64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_hub_audit_log_at", "hub_audit_log", ["at"])
    op.create_index("ix_hub_audit_log_customer", "hub_audit_log", ["customer_ref", "id"])
    op.create_index("ix_hub_audit_log_conversation", "hub_audit_log", ["conversation_id", "id"])
    op.create_table(
        "hub_audit_purge_permits",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("cutoff", UTC, nullable=False),
    )
    dialect = op.get_context().dialect.name
    for statement in {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(dialect, ()):
        op.execute(statement)


def downgrade() -> None:
    """Drop the triggers and both tables."""
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TABLE hub_audit_log")  # its triggers go with it
        op.execute("DROP FUNCTION hub_audit_log_guard()")
    else:
        op.drop_table("hub_audit_log")
    op.drop_table("hub_audit_purge_permits")
