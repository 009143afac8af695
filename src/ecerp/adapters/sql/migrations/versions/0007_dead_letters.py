"""Dead letters: follow-up work (event handlers, publishers) that failed
after its command committed, kept until replayed or discarded.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dead_letters",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("consumer", sa.String(300), nullable=False),
        sa.Column("events", sa.Text, nullable=False),
        sa.Column("error_type", sa.String(200), nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("first_failed_at", sa.String(32), nullable=False),
        sa.Column("last_failed_at", sa.String(32), nullable=False),
        sqlite_autoincrement=True,  # ids never come back after a letter is removed
    )


def downgrade() -> None:
    op.drop_table("dead_letters")
