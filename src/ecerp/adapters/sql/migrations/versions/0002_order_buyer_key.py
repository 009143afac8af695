"""Orders: a normalised buyer key per shop, for review checks (duplicates).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _key(data: str) -> str:
    buyer = json.loads(data).get("buyer") or ["", "", ""]
    buyer_id, name, email = [*list(buyer), "", "", ""][:3]
    return str(buyer_id or email or name).strip().lower()


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("buyer_key", sa.String(300), nullable=False, server_default=""))
    conn = op.get_bind()
    orders = sa.table(
        "orders",
        sa.column("id", sa.String),
        sa.column("data", sa.Text),
        sa.column("buyer_key", sa.String),
    )
    rows = conn.execute(sa.select(orders.c.id, orders.c.data)).all()
    updates = [{"oid": oid, "key": _key(data)} for oid, data in rows]
    if updates:
        conn.execute(
            orders.update()
            .where(orders.c.id == sa.bindparam("oid"))
            .values(buyer_key=sa.bindparam("key")),
            updates,
        )
    op.create_index("ix_orders_shop_buyer", "orders", ["shop", "buyer_key"])


def downgrade() -> None:
    op.drop_index("ix_orders_shop_buyer", table_name="orders")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("buyer_key")
