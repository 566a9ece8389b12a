"""Turn state of customer messages: re-driven after a crash, answered at most once.

``turn_state`` (pending -> answered -> done) on customer messages, ``reply_to`` on the answer's
messages (the customer message they answer) and ``turn_handoff`` (a handoff the stored answer
asked for, until it is requested). Existing rows keep NULL: nothing older is re-driven.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 12:42:27.256181
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

# As in 0001: 64-bit on PostgreSQL, INTEGER on SQLite.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision (must work on SQLite and PostgreSQL)."""
    with op.batch_alter_table("hub_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("turn_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("reply_to", Id, nullable=True))
        batch_op.add_column(sa.Column("turn_handoff", sa.JSON(), nullable=True))
        batch_op.create_index("ix_hub_messages_reply_to", ["reply_to"], unique=False)
        batch_op.create_index("ix_hub_messages_turn_state", ["turn_state"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("hub_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_hub_messages_turn_state")
        batch_op.drop_index("ix_hub_messages_reply_to")
        batch_op.drop_column("turn_handoff")
        batch_op.drop_column("reply_to")
        batch_op.drop_column("turn_state")
