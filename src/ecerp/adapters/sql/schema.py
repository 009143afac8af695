"""The SQL schema (SQLAlchemy Core tables; no ORM classes on domain objects).

Hot, queried values are columns; the rest of an aggregate is a JSON document
written and read by :mod:`ecerp.adapters.sql.serialization`.  Times are
stored as fixed-width ISO 8601 UTC text, so they sort and compare as text on
every database.

Stock is kept as the ledger (``moves``) plus two projections maintained in
the same transaction: ``balances`` per (SKU, location) and ``positions``
per (SKU, warehouse) with sellable on hand and reserved.  ``positions`` rows
are what concurrent allocations lock.  Closing a period adds a ``periods``
row and a snapshot of every non-zero balance at its end to
``period_balances``; as-of reads start from there.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Dialect,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

SCHEMA_REVISION = "0010"
"""The Alembic revision this version of ecerp expects."""

_FORMAT = "%Y-%m-%dT%H:%M:%S.%f+00:00"


def format_utc(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffff+00:00`` (what ``_FORMAT`` spells)."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")


def parse_utc(value: str) -> datetime:
    # fromisoformat reads the stored form exactly, and is ~10x faster than strptime
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


class UtcText(TypeDecorator[datetime]):
    """Aware datetimes as sortable ``YYYY-MM-DDTHH:MM:SS.ffffff+00:00`` text."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> str | None:
        return None if value is None else format_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else parse_utc(value)


metadata = MetaData()

MOVE_SEQUENCE = "move_seq"
"""PostgreSQL only: the sequence move numbers are drawn from (owned by
``moves.seq``, so ``TRUNCATE moves RESTART IDENTITY`` restarts it).  SQLite
numbers moves on from the last one, under its write lock."""

products = Table(
    "products",
    metadata,
    Column("code", String(200), primary_key=True),
    Column("data", Text, nullable=False),
)
skus = Table(
    "skus",
    metadata,
    Column("code", String(200), primary_key=True),
    Column("barcode", String(200), nullable=True, unique=True),
    Column("data", Text, nullable=False),
)
shops = Table(
    "shops",
    metadata,
    Column("code", String(200), primary_key=True),
    Column("channel", String(200), nullable=False),
    Column("data", Text, nullable=False),
)
bundles = Table(
    "bundles",
    metadata,
    Column("code", String(200), primary_key=True),
    Column("data", Text, nullable=False),
)
aliases = Table(
    "aliases",
    metadata,
    Column("channel", String(200), nullable=False),  # "" for every channel
    Column("shop", String(200), nullable=False),  # "" for every shop
    Column("listing_sku", String(200), nullable=False),
    Column("effective_from", UtcText(), nullable=False),
    Column("target", String(200), nullable=False),
    PrimaryKeyConstraint("listing_sku", "channel", "shop", "effective_from"),
)
warehouses = Table(
    "warehouses",
    metadata,
    Column("code", String(200), primary_key=True),
    Column("data", Text, nullable=False),
)
moves = Table(
    "moves",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("sku", String(200), nullable=False),
    Column("source", String(300), nullable=False),
    Column("dest", String(300), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("reason", String(40), nullable=False),
    Column("document", Text, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("at", UtcText(), nullable=False),
    Column("note", Text, nullable=False),
    Index("ix_moves_sku_seq", "sku", "seq"),
    Index("ix_moves_at", "at"),
    Index("ix_moves_sku_at", "sku", "at"),
)
balances = Table(
    "balances",
    metadata,
    Column("sku", String(200), nullable=False),
    Column("location", String(300), nullable=False),
    Column("qty", BigInteger, nullable=False),
    PrimaryKeyConstraint("sku", "location"),
)
positions = Table(
    "positions",
    metadata,
    Column("sku", String(200), nullable=False),
    Column("warehouse", String(200), nullable=False),
    Column("on_hand", BigInteger, nullable=False),
    Column("reserved", BigInteger, nullable=False),
    PrimaryKeyConstraint("sku", "warehouse"),
)
reservations = Table(
    "reservations",
    metadata,
    Column("order_id", Text, nullable=False),
    Column("line", Integer, nullable=False),
    Column("sku", String(200), nullable=False),
    Column("warehouse", String(200), nullable=False),
    Column("qty", BigInteger, nullable=False),
    PrimaryKeyConstraint("order_id", "line", "sku"),
    Index("ix_reservations_sku_warehouse", "sku", "warehouse"),
)
periods = Table(
    "periods",
    metadata,
    Column("period", UtcText(), primary_key=True),
)
"""Closed periods, by their end (moves dated before it are frozen)."""
period_balances = Table(
    "period_balances",
    metadata,
    Column("period", UtcText(), nullable=False),
    Column("sku", String(200), nullable=False),
    Column("location", String(300), nullable=False),
    Column("qty", BigInteger, nullable=False),
    PrimaryKeyConstraint("period", "sku", "location"),
)
"""Every non-zero balance as it stood at a closed period's end."""
ledger_meta = Table(
    "ledger_meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)
orders = Table(
    "orders",
    metadata,
    Column("id", Text, primary_key=True),
    Column("channel", String(200), nullable=False),
    Column("shop", String(200), nullable=False),
    # NULL for orders ecerp made (split parts, merged parcels): only channel
    # orders have a key, so a marketplace order never meets one of them here
    Column("external_id", String(200), nullable=True),
    Column("status", String(20), nullable=False),
    Column("data", Text, nullable=False),
    Column("buyer_key", String(300), nullable=False, server_default=""),
    Column("priority", Integer, nullable=False, server_default="0"),
    Column("ordered_at", String(32), nullable=False, server_default=""),
    UniqueConstraint("channel", "shop", "external_id", name="uq_orders_channel_key"),
    Index("ix_orders_status", "status"),
    Index("ix_orders_shop_buyer", "shop", "buyer_key"),
    Index("ix_orders_queue", "status", "priority", "ordered_at", "id"),
)
order_former_ids = Table(
    "order_former_ids",
    metadata,
    Column("former_id", Text, primary_key=True),
    Column("order_id", Text, nullable=False),
    Index("ix_order_former_ids_order", "order_id"),
)
"""Ids an earlier ecerp gave orders whose id changed (revision 0009): they
keep finding the order, unless an order now has that id itself."""
order_skus = Table(
    "order_skus",
    metadata,
    Column("sku", String(200), nullable=False),
    Column("order_id", Text, nullable=False),
    PrimaryKeyConstraint("sku", "order_id"),
    Index("ix_order_skus_order", "order_id"),
)
"""Which SKUs each order needs (its requirements' SKUs), kept with the order."""
stocktakes = Table(
    "stocktakes",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("data", Text, nullable=False),
)
transfers = Table(
    "transfers",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("data", Text, nullable=False),
)
outbox = Table(
    "outbox",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("recorded_at", UtcText(), nullable=False),
    Column("kind", String(100), nullable=False),
    Column("payload", Text, nullable=False),
    Column("delivered_at", UtcText(), nullable=True),
    Index("ix_outbox_pending", "delivered_at", "id"),
)
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("command", String(100), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("result", Text, nullable=False),
    Column("recorded_at", UtcText(), nullable=False),
)
"""Keyed commands that committed: what was asked (a fingerprint) and what
they returned, written in the command's own transaction."""
settings_versions = Table(
    "settings_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("at", UtcText(), nullable=False),
    Column("actor", Text, nullable=False),
    Column("changed", Text, nullable=False),
    Column("document", Text, nullable=False),
)
"""The store's settings, one row per version (never changed once written):
who set it, when, which fields changed (a JSON list) and the whole settings
as a JSON document (:mod:`ecerp.adapters.formats.settings`)."""

dead_letters = Table(
    "dead_letters",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("consumer", String(300), nullable=False),
    Column("events", Text, nullable=False),  # JSON list of [kind, payload]
    Column("error_type", String(200), nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("first_failed_at", UtcText(), nullable=False),
    Column("last_failed_at", UtcText(), nullable=False),
    sqlite_autoincrement=True,  # ids never come back after a letter is removed
)
