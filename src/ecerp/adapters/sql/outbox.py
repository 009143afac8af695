"""The SQL outbox: events stored with the changes that caused them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import bindparam, select, update

from ecerp.adapters.sql import schema as t
from ecerp.adapters.sql.database import Database, translate_errors
from ecerp.adapters.sql.serialization import load_event
from ecerp.domain.events import Event


class SqlOutbox:
    """Reads and acknowledges the ``outbox`` table of a :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def pending(self, limit: int) -> list[tuple[int, Event]]:
        stmt = (
            select(t.outbox.c.id, t.outbox.c.kind, t.outbox.c.payload)
            .where(t.outbox.c.delivered_at.is_(None))
            .order_by(t.outbox.c.id)
            .limit(limit)
        )
        # a read: with nothing pending, relaying never waits for SQLite's write lock
        with translate_errors(self.db.url), self.db.read() as conn:
            rows = conn.execute(stmt).all()
            conn.rollback()
        return [(int(i), load_event(kind, payload)) for i, kind, payload in rows]

    def mark_delivered(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        now = datetime.now(UTC)
        with translate_errors(self.db.url), self.db.engine.connect() as conn:
            conn.execute(
                update(t.outbox)
                .where(t.outbox.c.id == bindparam("oid"))
                .where(t.outbox.c.delivered_at.is_(None))
                .values(delivered_at=bindparam("at")),
                [{"oid": i, "at": now} for i in ids],
            )
            conn.commit()
