"""Languages (issue 19): the conversation's language and the agents' language skills.

``hub_conversations.language`` ("en", "es": decided per customer message and kept with the
conversation) and ``page_language`` (the host page's BCP-47 tag as the client reported it);
both NULL for conversations from before. ``hub_agents.languages`` (a JSON list, e.g.
``["en", "es"]``): existing agents are given English, the only language the hub served
before, then the column becomes NOT NULL.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the columns; existing agents speak English."""
    with op.batch_alter_table("hub_conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("page_language", sa.String(length=35), nullable=True))
    with op.batch_alter_table("hub_agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("languages", sa.JSON(), nullable=True))
    agents = sa.table("hub_agents", sa.column("languages", sa.JSON()))
    op.execute(agents.update().values(languages=["en"]))
    with op.batch_alter_table("hub_agents", schema=None) as batch_op:
        batch_op.alter_column("languages", existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    """Drop the columns."""
    with op.batch_alter_table("hub_agents", schema=None) as batch_op:
        batch_op.drop_column("languages")
    with op.batch_alter_table("hub_conversations", schema=None) as batch_op:
        batch_op.drop_column("page_language")
        batch_op.drop_column("language")
