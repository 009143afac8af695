"""The SQL outbox (events stored with the changes that caused them) and
dead letters (follow-up work that failed after its command committed)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Select, bindparam, delete, insert, select, update

from ecerp.adapters.sql import schema as t
from ecerp.adapters.sql.database import Database, translate_errors
from ecerp.adapters.sql.serialization import dump_event, load_event
from ecerp.domain.shared.errors import NotFoundError
from ecerp.domain.shared.events import Event
from ecerp.ports.dead_letters import DeadLetter, describe


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


class SqlDeadLetters:
    """The ``dead_letters`` table of a :class:`Database`: failed follow-up
    work, seen by every process on the database.  Each call is its own short
    transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(
        self,
        consumer: str,
        events: Sequence[Event],
        error: BaseException,
        *,
        attempts: int,
        at: datetime,
    ) -> int:
        error_type, message = describe(error)
        payload = orjson.dumps([list(dump_event(e)) for e in events]).decode()
        row = {
            "consumer": consumer[:300],
            "events": payload,
            "error_type": error_type[:200],
            "error": message,
            "attempts": attempts,
            "first_failed_at": at,
            "last_failed_at": at,
        }
        with translate_errors(self.db.url), self.db.engine.connect() as conn:
            letter_id = conn.execute(
                insert(t.dead_letters).values(row).returning(t.dead_letters.c.id)
            ).scalar_one()
            conn.commit()
        return int(letter_id)

    def failed_again(
        self, letter_id: int, error: BaseException, *, attempts: int, at: datetime
    ) -> None:
        error_type, message = describe(error)
        dl = t.dead_letters
        with translate_errors(self.db.url), self.db.engine.connect() as conn:
            changed = conn.execute(
                update(dl)
                .where(dl.c.id == letter_id)
                .values(
                    error_type=error_type[:200],
                    error=message,
                    attempts=dl.c.attempts + attempts,
                    last_failed_at=at,
                )
            ).rowcount
            conn.commit()
        if not changed:
            raise NotFoundError("dead letter", letter_id)

    def list(self, limit: int | None = None) -> list[DeadLetter]:
        stmt = select(t.dead_letters).order_by(t.dead_letters.c.id)
        if limit is not None:
            stmt = stmt.limit(limit)
        return self._read(stmt)

    def get(self, letter_id: int) -> DeadLetter:
        found = self._read(select(t.dead_letters).where(t.dead_letters.c.id == letter_id))
        if not found:
            raise NotFoundError("dead letter", letter_id)
        return found[0]

    def remove(self, letter_id: int) -> None:
        with translate_errors(self.db.url), self.db.engine.connect() as conn:
            gone = conn.execute(
                delete(t.dead_letters).where(t.dead_letters.c.id == letter_id)
            ).rowcount
            conn.commit()
        if not gone:
            raise NotFoundError("dead letter", letter_id)

    def _read(self, stmt: Select[Any]) -> builtins.list[DeadLetter]:
        with translate_errors(self.db.url), self.db.engine.connect() as conn:
            conn = conn.execution_options(ecerp_readonly=True)
            rows = conn.execute(stmt).all()
            conn.rollback()
        return [
            DeadLetter(
                int(r.id),
                r.consumer,
                tuple(load_event(kind, payload) for kind, payload in orjson.loads(r.events)),
                r.error_type,
                r.error,
                int(r.attempts),
                r.first_failed_at,
                r.last_failed_at,
            )
            for r in rows
        ]
