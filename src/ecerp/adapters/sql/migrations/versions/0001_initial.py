"""The first schema: catalog, stock ledger and projections, orders,
documents, outbox.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

CODE = sa.String(200)
TIME = sa.String(32)


def upgrade() -> None:
    for name in ("products", "bundles", "warehouses"):
        op.create_table(
            name,
            sa.Column("code", CODE, primary_key=True),
            sa.Column("data", sa.Text, nullable=False),
        )
    op.create_table(
        "skus",
        sa.Column("code", CODE, primary_key=True),
        sa.Column("barcode", CODE, nullable=True, unique=True),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "shops",
        sa.Column("code", CODE, primary_key=True),
        sa.Column("channel", CODE, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table(
        "aliases",
        sa.Column("channel", CODE, nullable=False),
        sa.Column("shop", CODE, nullable=False),
        sa.Column("listing_sku", CODE, nullable=False),
        sa.Column("effective_from", TIME, nullable=False),
        sa.Column("target", CODE, nullable=False),
        sa.PrimaryKeyConstraint("listing_sku", "channel", "shop", "effective_from"),
    )
    op.create_table(
        "moves",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("sku", CODE, nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("dest", sa.String(300), nullable=False),
        sa.Column("qty", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("document", sa.String(300), nullable=False),
        sa.Column("actor", CODE, nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ix_moves_sku_seq", "moves", ["sku", "seq"])
    op.create_index("ix_moves_at", "moves", ["at"])
    op.create_table(
        "balances",
        sa.Column("sku", CODE, nullable=False),
        sa.Column("location", sa.String(300), nullable=False),
        sa.Column("qty", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("sku", "location"),
    )
    op.create_table(
        "positions",
        sa.Column("sku", CODE, nullable=False),
        sa.Column("warehouse", CODE, nullable=False),
        sa.Column("on_hand", sa.BigInteger, nullable=False),
        sa.Column("reserved", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("sku", "warehouse"),
    )
    op.create_table(
        "reservations",
        sa.Column("order_id", sa.String(700), nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("sku", CODE, nullable=False),
        sa.Column("warehouse", CODE, nullable=False),
        sa.Column("qty", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("order_id", "line", "sku"),
    )
    op.create_index("ix_reservations_sku_warehouse", "reservations", ["sku", "warehouse"])
    op.create_table(
        "ledger_meta",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.String(700), primary_key=True),
        sa.Column("channel", CODE, nullable=False),
        sa.Column("shop", CODE, nullable=False),
        sa.Column("external_id", CODE, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.UniqueConstraint("channel", "shop", "external_id", name="uq_orders_channel_key"),
    )
    op.create_index("ix_orders_status", "orders", ["status"])
    for name in ("stocktakes", "transfers"):
        op.create_table(
            name,
            sa.Column("id", CODE, primary_key=True),
            sa.Column("data", sa.Text, nullable=False),
        )
    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("recorded_at", TIME, nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("delivered_at", TIME, nullable=True),
    )
    op.create_index("ix_outbox_pending", "outbox", ["delivered_at", "id"])


def downgrade() -> None:
    for name in (
        "outbox",
        "transfers",
        "stocktakes",
        "orders",
        "ledger_meta",
        "reservations",
        "positions",
        "balances",
        "moves",
        "aliases",
        "shops",
        "skus",
        "warehouses",
        "bundles",
        "products",
    ):
        op.drop_table(name)
