"""csat ratings

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 18:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "csat_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csat_ratings")),
    )
    with op.batch_alter_table("csat_ratings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_csat_ratings_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_csat_ratings_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            "uq_csat_ratings_conversation_trigger", ["conversation_id", "trigger"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("csat_ratings", schema=None) as batch_op:
        batch_op.drop_index("uq_csat_ratings_conversation_trigger")
        batch_op.drop_index(batch_op.f("ix_csat_ratings_created_at"))
        batch_op.drop_index(batch_op.f("ix_csat_ratings_conversation_id"))
    op.drop_table("csat_ratings")
