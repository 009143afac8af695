"""Stock: closed-period snapshots (``periods``, ``period_balances``) and a
(sku, at) index on moves for as-of queries.

A database closed before this revision gets the snapshot of its closed
period, summed once from the moves dated before it.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "periods",
        sa.Column("period", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("period"),
    )
    op.create_table(
        "period_balances",
        sa.Column("period", sa.String(32), nullable=False),
        sa.Column("sku", sa.String(200), nullable=False),
        sa.Column("location", sa.String(300), nullable=False),
        sa.Column("qty", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("period", "sku", "location"),
    )
    op.create_index("ix_moves_sku_at", "moves", ["sku", "at"])
    conn = op.get_bind()
    meta = sa.table("ledger_meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    closed = conn.execute(sa.select(meta.c.value).where(meta.c.key == "closed_until")).scalar()
    if closed is None:
        # The row always exists from now on ("" = nothing closed): units that
        # move stock share-lock it on PostgreSQL, so a close waits for them.
        conn.execute(meta.insert().values(key="closed_until", value=""))
    if not closed:
        return
    moves = sa.table(
        "moves",
        sa.column("sku", sa.String),
        sa.column("source", sa.String),
        sa.column("dest", sa.String),
        sa.column("qty", sa.Integer),
        sa.column("at", sa.String),
    )
    moved = sa.union_all(
        sa.select(moves.c.sku, moves.c.dest.label("loc"), moves.c.qty.label("q")).where(
            moves.c.at < closed
        ),
        sa.select(moves.c.sku, moves.c.source.label("loc"), (-moves.c.qty).label("q")).where(
            moves.c.at < closed
        ),
    ).subquery()
    total = sa.func.sum(moved.c.q)
    period = sa.literal(str(closed), sa.String(32))
    snapshot = (
        sa.select(period, moved.c.sku, moved.c.loc, total)
        .group_by(moved.c.sku, moved.c.loc)
        .having(total != 0)
    )
    periods = sa.table("periods", sa.column("period", sa.String))
    balances = sa.table(
        "period_balances",
        sa.column("period", sa.String),
        sa.column("sku", sa.String),
        sa.column("location", sa.String),
        sa.column("qty", sa.BigInteger),
    )
    conn.execute(periods.insert(), [{"period": str(closed)}])
    conn.execute(balances.insert().from_select(["period", "sku", "location", "qty"], snapshot))


def downgrade() -> None:
    meta = sa.table("ledger_meta", sa.column("key", sa.String), sa.column("value", sa.Text))
    op.get_bind().execute(
        meta.delete().where(meta.c.key == "closed_until").where(meta.c.value == "")
    )
    op.drop_index("ix_moves_sku_at", table_name="moves")
    op.drop_table("period_balances")
    op.drop_table("periods")
