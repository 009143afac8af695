"""The stock repository on SQL: a unit of work's book over
:class:`~ecerp.adapters.sql.inventory_state.SqlStockState`, the move ledger,
history ("on hand as of"), reports, and ``verify``/``rebuild`` of the
balance projection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    delete,
    func,
    insert,
    or_,
    select,
    union_all,
)

from ecerp.adapters.sql import schema as t
from ecerp.adapters.sql.catalog_cache import CatalogRows
from ecerp.adapters.sql.database import Database
from ecerp.adapters.sql.inventory_state import SqlStockState, move_from_row
from ecerp.adapters.sql.stored import read_value
from ecerp.domain.inventory.book import StockBook
from ecerp.domain.inventory.history import sellable_on_hand, stock_lines, stock_lines_at
from ecerp.domain.inventory.invariants import Discrepancy, Projection, compare, project
from ecerp.domain.inventory.locations import Warehouse, stock_location
from ecerp.domain.inventory.moves import (
    BalanceKey,
    Move,
    Reservation,
    StockLine,
    WarehouseKey,
)
from ecerp.domain.inventory.state import StockState
from ecerp.domain.shared.values import require_utc
from ecerp.ports.stock import StockRepository, shipping_reads


def read_state(conn: Connection) -> StockState:
    """Every committed stock row, as an independent :class:`StockState`."""
    state = StockState()
    for code, data in conn.execute(select(t.warehouses.c.code, t.warehouses.c.data)):
        wh = read_value("warehouses", code, data, Warehouse)
        state.warehouses[wh.code] = wh
    state.moves = [
        move_from_row(r) for r in conn.execute(select(t.moves).order_by(t.moves.c.seq)).mappings()
    ]
    state.next_seq = (state.moves[-1].seq + 1) if state.moves else 1
    for sku, loc, qty in conn.execute(
        select(t.balances.c.sku, t.balances.c.location, t.balances.c.qty)
    ):
        if qty:
            state.on_hand[(sku, loc)] = int(qty)
    for r in conn.execute(select(t.positions)).mappings():
        if r["on_hand"]:
            state.sellable[(r["sku"], r["warehouse"])] = int(r["on_hand"])
        if r["reserved"]:
            state.reserved[(r["sku"], r["warehouse"])] = int(r["reserved"])
    for r in conn.execute(select(t.reservations)).mappings():
        res = Reservation(r["order_id"], int(r["line"]), r["sku"], r["warehouse"], int(r["qty"]))
        state.reservations.setdefault(res.order, {})[(res.line, res.sku)] = res
    closed = conn.execute(
        select(t.ledger_meta.c.value).where(t.ledger_meta.c.key == "closed_until")
    ).scalar()
    state.closed_until = t.parse_utc(closed) if closed else None
    for (period,) in conn.execute(select(t.periods.c.period).order_by(t.periods.c.period)):
        state.periods[period] = {}
    pb = t.period_balances
    for period, sku, loc, qty in conn.execute(
        select(pb.c.period, pb.c.sku, pb.c.location, pb.c.qty)
    ):
        state.periods.setdefault(period, {})[(sku, loc)] = int(qty)
    return state


class SqlStockRepository(StockRepository):
    def __init__(
        self,
        conn: Connection,
        db: Database,
        *,
        lock: bool,
        cached: Callable[[], CatalogRows | None] | None = None,
    ) -> None:
        self._conn = conn
        self.state = SqlStockState(conn, db, lock=lock, cached=cached)
        self._book = StockBook(self.state)

    def book(self) -> StockBook:
        return self._book

    def prefetch(self, keys: Iterable[WarehouseKey]) -> None:
        self.state.prefetch(keys)

    def prefetch_reservations(self, orders: Iterable[str]) -> None:
        self.state.prefetch_reservations(orders)

    def prefetch_balances(self, keys: Iterable[BalanceKey]) -> None:
        self.state.prefetch_balances(keys)

    def prefetch_shipping(self, orders: Iterable[str], *, bin: str | None = None) -> None:
        ids = list(orders)
        self.state.prefetch_reservations(ids)
        keys, positions = shipping_reads(
            (res for order in ids for res in self._book.reservations_of(order).values()), bin=bin
        )
        self.state.prefetch_balances(keys)
        self.state.prefetch(positions)

    def moves(
        self,
        *,
        sku: str | None = None,
        location: str | None = None,
        since_seq: int = 0,
        until: datetime | None = None,
    ) -> Sequence[Move]:
        stmt = select(t.moves).where(t.moves.c.seq > since_seq).order_by(t.moves.c.seq)
        if sku is not None:
            stmt = stmt.where(t.moves.c.sku == sku)
        if location is not None:
            stmt = stmt.where(or_(t.moves.c.source == location, t.moves.c.dest == location))
        if until is not None:
            stmt = stmt.where(t.moves.c.at <= until)
        return [move_from_row(r) for r in self._conn.execute(stmt).mappings()]

    def snapshot(self) -> StockState:
        return read_state(self._conn)

    def _balances_at(
        self, at: datetime, sku: str | None, warehouse: str | None
    ) -> dict[BalanceKey, int]:
        """Balances of stock locations at the end of ``at``: the latest
        snapshot at or before it plus the moves dated since, summed in SQL
        per (SKU, location).  Only stock locations (of ``warehouse`` when
        given) are read; the caller classifies them exactly."""
        conn = self._conn
        since = conn.execute(
            select(func.max(t.periods.c.period)).where(t.periods.c.period <= at)
        ).scalar()
        pb, mv = t.period_balances, t.moves.c

        def stock_only(column: Any) -> Any:
            if warehouse is None:
                return or_(column.like("%/stock"), column.like("%/stock/%"))
            home = stock_location(warehouse)
            return or_(column == home, column.startswith(f"{home}/", autoescape=True))

        window = [mv.at <= at]
        if since is not None:
            window.append(mv.at >= since)
        if sku is not None:
            window.append(mv.sku == sku)
        parts: list[Select[Any]] = [
            select(mv.sku, mv.dest.label("loc"), mv.qty.label("q")).where(
                *window, stock_only(mv.dest)
            ),
            select(mv.sku, mv.source.label("loc"), (-mv.qty).label("q")).where(
                *window, stock_only(mv.source)
            ),
        ]
        if since is not None:
            kept = [pb.c.period == since, stock_only(pb.c.location)]
            if sku is not None:
                kept.append(pb.c.sku == sku)
            parts.append(
                select(pb.c.sku, pb.c.location.label("loc"), pb.c.qty.label("q")).where(*kept)
            )
        moved = union_all(*parts).subquery()
        rows = conn.execute(
            select(moved.c.sku, moved.c.loc, func.sum(moved.c.q)).group_by(moved.c.sku, moved.c.loc)
        )
        return {(str(s), str(loc)): int(q) for s, loc, q in rows if q}

    def on_hand_at(self, sku: str, warehouse: str | None, at: datetime) -> int:
        at = require_utc("at", at)
        if warehouse is not None:
            self._book.warehouse(warehouse)
        return sellable_on_hand(self._balances_at(at, sku, warehouse), sku, warehouse)

    def report(
        self, warehouse: str | None = None, *, at: datetime | None = None
    ) -> list[StockLine]:
        if warehouse is not None:
            self._book.warehouse(warehouse)
        if at is not None:
            at = require_utc("at", at)
            return stock_lines_at(self._balances_at(at, None, warehouse), warehouse=warehouse)
        p = t.positions.c
        stmt = select(p.sku, p.warehouse, p.on_hand, p.reserved).where(
            or_(p.on_hand != 0, p.reserved != 0)
        )
        if warehouse is not None:
            stmt = stmt.where(p.warehouse == warehouse)
        on_hand: dict[WarehouseKey, int] = {}
        reserved: dict[WarehouseKey, int] = {}
        for sku, wh, have, held in self._conn.execute(stmt):
            on_hand[(sku, wh)] = int(have)
            reserved[(sku, wh)] = int(held)
        return stock_lines(on_hand, reserved, warehouse=warehouse)

    def _stored_and_derived(self) -> tuple[Projection, Projection]:
        conn = self._conn
        moved = union_all(
            select(t.moves.c.sku, t.moves.c.dest.label("loc"), t.moves.c.qty.label("q")),
            select(t.moves.c.sku, t.moves.c.source.label("loc"), (-t.moves.c.qty).label("q")),
        ).subquery()
        sums = conn.execute(
            select(moved.c.sku, moved.c.loc, func.sum(moved.c.q)).group_by(moved.c.sku, moved.c.loc)
        )
        reservations = [
            Reservation(r["order_id"], int(r["line"]), r["sku"], r["warehouse"], int(r["qty"]))
            for r in conn.execute(select(t.reservations)).mappings()
        ]
        derived = project((((sku, loc), int(q)) for sku, loc, q in sums), reservations)
        stored_bal = {
            (sku, loc): int(q)
            for sku, loc, q in conn.execute(
                select(t.balances.c.sku, t.balances.c.location, t.balances.c.qty)
            )
            if q
        }
        on_hand, reserved = {}, {}
        for r in conn.execute(select(t.positions)).mappings():
            if r["on_hand"]:
                on_hand[(r["sku"], r["warehouse"])] = int(r["on_hand"])
            if r["reserved"]:
                reserved[(r["sku"], r["warehouse"])] = int(r["reserved"])
        return Projection(stored_bal, on_hand, reserved), derived

    def verify(self) -> list[Discrepancy]:
        return compare(*self._stored_and_derived())

    def rebuild(self) -> int:
        stored, derived = self._stored_and_derived()
        problems = compare(stored, derived)
        conn = self._conn
        conn.execute(delete(t.balances))
        conn.execute(delete(t.positions))
        if derived.balances:
            conn.execute(
                insert(t.balances),
                [
                    {"sku": s, "location": loc, "qty": q}
                    for (s, loc), q in sorted(derived.balances.items())
                ],
            )
        keys = sorted(set(derived.on_hand) | set(derived.reserved))
        if keys:
            conn.execute(
                insert(t.positions),
                [
                    {
                        "sku": s,
                        "warehouse": w,
                        "on_hand": derived.on_hand.get((s, w), 0),
                        "reserved": derived.reserved.get((s, w), 0),
                    }
                    for s, w in keys
                ],
            )
        return len(problems)
