"""Orders: collision-free ids, and only channel orders have a key.

Ids were ``channel/shop/external_id`` joined as they were, so distinct keys
could meet (channel ``a/b`` shop ``c`` against channel ``a`` shop ``b/c``),
and split parts (``<id>#2``) and merged parcels (``channel/shop/M-5+6``)
had the shape of a channel order's id.  From this revision (see
``ecerp.domain.orders.ids``) key parts are escaped (``%`` ``/`` ``#`` as
``%25`` ``%2F`` ``%23``), a split part is ``<its order's id>#<n>`` and a
merged parcel ``channel/shop/#<label>``.

Each order whose id changes gets its new id everywhere ecerp looks it up
(the order row, other orders' links to it, its reservations and SKU index)
and its old id is kept in ``order_former_ids``, so ids already handed out
keep finding it.  Stock moves keep the document names they were booked
with (the ledger is not rewritten).  Orders whose key had none of those
characters, and their split parts, keep their ids.

Split parts and merged parcels lose their ``external_id`` column value
(it stays in the order document as a label): only channel orders answer a
``(channel, shop, external_id)`` look-up, so a marketplace order numbered
``302-1#2`` is never mistaken for a split part again.

The downgrade drops the former ids and gives the label back to the
``external_id`` column; ids stay in their new form (an earlier ecerp finds
channel orders by key, not by id).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ESCAPES = str.maketrans({"%": "%25", "/": "%2F", "#": "%23"})

orders = sa.table(
    "orders",
    sa.column("id", sa.String),
    sa.column("channel", sa.String),
    sa.column("shop", sa.String),
    sa.column("external_id", sa.String),
    sa.column("data", sa.Text),
)
reservations = sa.table(
    "reservations",
    sa.column("order_id", sa.String),
    sa.column("line", sa.Integer),
    sa.column("sku", sa.String),
    sa.column("warehouse", sa.String),
    sa.column("qty", sa.BigInteger),
)
order_skus = sa.table("order_skus", sa.column("sku", sa.String), sa.column("order_id", sa.String))
former_ids = sa.table(
    "order_former_ids", sa.column("former_id", sa.String), sa.column("order_id", sa.String)
)


def _esc(part: str) -> str:
    return part.translate(_ESCAPES)


class _Row:
    def __init__(self, oid: str, channel: str, shop: str, external: str, data: str) -> None:
        self.id, self.channel, self.shop, self.external = oid, channel, shop, external
        self.doc: dict[str, Any] = json.loads(data)
        self.data = data


def _new_ids(rows: dict[str, _Row]) -> dict[str, str]:
    """Every order's id in the new scheme (as ``ecerp.domain.orders.ids``
    spells it at this revision)."""
    new: dict[str, str] = {}

    def of(oid: str, depth: int = 0) -> str:
        if oid in new:
            return new[oid]
        row = rows.get(oid)
        if row is None or depth > 1000:  # a link to nothing: keep what it says
            return oid
        prefix = f"{_esc(row.channel)}/{_esc(row.shop)}/"
        parent = row.doc.get("split_from")
        if parent:
            suffix = oid[len(parent) :] if oid.startswith(parent + "#") else ""
            if not suffix[1:].isdigit():
                suffix = "#" + row.external.rsplit("#", 1)[-1]
            found = of(parent, depth + 1) + suffix
        elif row.doc.get("merged_from"):
            found = prefix + "#" + _esc(row.external)
        else:
            found = prefix + _esc(row.external)
        new[oid] = found
        return found

    for oid in rows:
        of(oid)
    # the new scheme cannot collide; should a damaged store still do, the
    # later order keeps its old id
    taken: dict[str, str] = {}
    for oid in sorted(rows):
        if new[oid] in taken:
            new[oid] = oid
        taken[new[oid]] = oid
    return new


def _relink(doc: dict[str, Any], new: dict[str, str]) -> dict[str, Any]:
    def one(oid: object) -> object:
        return new.get(oid, oid) if isinstance(oid, str) else oid

    doc = dict(doc)
    doc["id"] = one(doc["id"])
    if doc.get("split_from"):
        doc["split_from"] = one(doc["split_from"])
    if doc.get("merged_into"):
        doc["merged_into"] = one(doc["merged_into"])
    if doc.get("merged_from"):
        doc["merged_from"] = [one(i) for i in doc["merged_from"]]
    if doc.get("line_origins"):
        doc["line_origins"] = [[n, one(oid), ln] for n, oid, ln in doc["line_origins"]]
    return doc


def upgrade() -> None:
    op.create_table(
        "order_former_ids",
        sa.Column("former_id", sa.String(700), nullable=False),
        sa.Column("order_id", sa.String(700), nullable=False),
        sa.PrimaryKeyConstraint("former_id"),
    )
    op.create_index("ix_order_former_ids_order", "order_former_ids", ["order_id"])
    with op.batch_alter_table("orders") as batch:
        batch.alter_column("external_id", existing_type=sa.String(200), nullable=True)
    conn = op.get_bind()
    rows = {
        r.id: _Row(r.id, r.channel, r.shop, r.external_id, r.data)
        for r in conn.execute(
            sa.select(
                orders.c.id, orders.c.channel, orders.c.shop, orders.c.external_id, orders.c.data
            )
        )
    }
    new = _new_ids(rows)
    changed = {old: now for old, now in new.items() if old != now}
    updates = []
    for row in rows.values():
        doc = _relink(row.doc, changed) if changed else row.doc
        derived = bool(row.doc.get("split_from") or row.doc.get("merged_from"))
        if doc is not row.doc or derived:
            updates.append(
                {
                    "old": row.id,
                    "new_id": new[row.id],
                    "new_data": json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
                    if doc is not row.doc
                    else row.data,
                    "new_external": None if derived else row.external,
                }
            )
    if changed:
        # through temporary ids, so that no rename meets an id not yet renamed
        _rename(conn, changed)
    if updates:
        conn.execute(
            orders.update()
            .where(orders.c.id == sa.bindparam("target"))
            .values(data=sa.bindparam("new_data"), external_id=sa.bindparam("new_external")),
            [
                {
                    "target": u["new_id"],
                    "new_data": u["new_data"],
                    "new_external": u["new_external"],
                }
                for u in updates
            ],
        )
    if changed:
        conn.execute(
            former_ids.insert(),
            [{"former_id": old, "order_id": now} for old, now in sorted(changed.items())],
        )


def _rename(conn: sa.Connection, changed: dict[str, str]) -> None:
    temporary = {old: f"~0007~{n}" for n, old in enumerate(sorted(changed))}
    for table, column in (
        (orders, orders.c.id),
        (reservations, reservations.c.order_id),
        (order_skus, order_skus.c.order_id),
    ):
        for step in (temporary, {temporary[old]: now for old, now in changed.items()}):
            conn.execute(
                table.update()
                .where(column == sa.bindparam("old_id"))
                .values({column.name: sa.bindparam("new_id")}),
                [{"old_id": old, "new_id": now} for old, now in sorted(step.items())],
            )


def downgrade() -> None:
    conn = op.get_bind()
    labels = [
        {"target": oid, "label": json.loads(data)["external_id"]}
        for oid, data in conn.execute(
            sa.select(orders.c.id, orders.c.data).where(orders.c.external_id.is_(None))
        )
    ]
    if labels:
        conn.execute(
            orders.update()
            .where(orders.c.id == sa.bindparam("target"))
            .values(external_id=sa.bindparam("label")),
            labels,
        )
    with op.batch_alter_table("orders") as batch:
        batch.alter_column("external_id", existing_type=sa.String(200), nullable=False)
    op.drop_index("ix_order_former_ids_order", table_name="order_former_ids")
    op.drop_table("order_former_ids")
