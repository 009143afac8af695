"""Stock: on PostgreSQL, move numbers come from a sequence (``move_seq``).

Before, every unit that made a move read ``MAX(seq)`` and numbered on from
it, so concurrent writers of unrelated SKUs collided on the key and retried.
A sequence never waits; numbers may now have gaps.  SQLite keeps numbering
on from the last move (its writers hold the database lock).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE SEQUENCE move_seq AS bigint OWNED BY moves.seq")
    op.execute("SELECT setval('move_seq', COALESCE((SELECT MAX(seq) FROM moves), 0) + 1, false)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP SEQUENCE move_seq")
