"""Orders: serving-queue columns (priority, ordered_at) and an ``order_skus``
index of which SKUs each order needs, so allocation can stream the queue in
chunks and find the waiting orders a receipt unblocks without reading every
order document.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"


def _utc_text(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(UTC).strftime(_FORMAT)


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("priority", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("ordered_at", sa.String(32), nullable=False, server_default=""))
    op.create_table(
        "order_skus",
        sa.Column("sku", sa.String(200), nullable=False),
        sa.Column("order_id", sa.String(700), nullable=False),
        sa.PrimaryKeyConstraint("sku", "order_id"),
    )
    op.create_index("ix_order_skus_order", "order_skus", ["order_id"])
    op.create_index("ix_orders_queue", "orders", ["status", "priority", "ordered_at", "id"])
    conn = op.get_bind()
    orders = sa.table(
        "orders",
        sa.column("id", sa.String),
        sa.column("data", sa.Text),
        sa.column("priority", sa.Integer),
        sa.column("ordered_at", sa.String),
    )
    order_skus = sa.table(
        "order_skus", sa.column("sku", sa.String), sa.column("order_id", sa.String)
    )
    updates: list[dict[str, object]] = []
    needs: list[dict[str, str]] = []
    for oid, data in conn.execute(sa.select(orders.c.id, orders.c.data)).all():
        doc = json.loads(data)
        updates.append(
            {"oid": oid, "p": int(doc.get("priority") or 0), "at": _utc_text(doc["ordered_at"])}
        )
        needs.extend({"sku": sku, "order_id": oid} for sku in {r[1] for r in doc["requirements"]})
    if updates:
        conn.execute(
            orders.update()
            .where(orders.c.id == sa.bindparam("oid"))
            .values(priority=sa.bindparam("p"), ordered_at=sa.bindparam("at")),
            updates,
        )
    if needs:
        conn.execute(order_skus.insert(), needs)


def downgrade() -> None:
    op.drop_index("ix_orders_queue", table_name="orders")
    op.drop_index("ix_order_skus_order", table_name="order_skus")
    op.drop_table("order_skus")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("ordered_at")
        batch.drop_column("priority")
