"""Orders: ids and the documents that name them are unbounded text on
PostgreSQL.

Since revision 0009 an order id escapes ``%``, ``/`` and ``#`` in its key
parts, so the longest id a valid key makes (``MAX_ORDER_ID_LEN``) no longer
fits ``varchar(700)``, and a shipment's move names its order in ``document``
(``varchar(300)``).  SQLite never enforced these lengths; on PostgreSQL the
columns become ``text`` (a change of type only, no rewrite of the rows), so
every backend stores the same ids.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

#: (table, column, the type before) of every column holding an order id.
COLUMNS = (
    ("orders", "id", "varchar(700)"),
    ("reservations", "order_id", "varchar(700)"),
    ("order_skus", "order_id", "varchar(700)"),
    ("order_former_ids", "former_id", "varchar(700)"),
    ("order_former_ids", "order_id", "varchar(700)"),
    ("moves", "document", "varchar(300)"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, _ in COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE text")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, before in COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {before}")
