"""Stock as of a date: period snapshots plus the moves since."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from ecerp.domain.inventory.invariants import project
from ecerp.domain.inventory.locations import LocationKind, _parse_location
from ecerp.domain.inventory.moves import BalanceKey, Move, StockLine, WarehouseKey


def _window(
    moves: Iterable[Move], since: datetime | None, until: datetime, *, inclusive: bool
) -> Iterable[Move]:
    for m in moves:
        if since is not None and m.at < since:
            continue
        if m.at > until or (m.at == until and not inclusive):
            continue
        yield m


def _add_moves(balances: dict[BalanceKey, int], moves: Iterable[Move]) -> dict[BalanceKey, int]:
    for m in moves:
        balances[(m.sku, m.source)] = balances.get((m.sku, m.source), 0) - m.qty
        balances[(m.sku, m.dest)] = balances.get((m.sku, m.dest), 0) + m.qty
    return {k: v for k, v in balances.items() if v}


def period_snapshot(
    previous: Mapping[BalanceKey, int],
    moves: Iterable[Move],
    *,
    since: datetime | None,
    until: datetime,
) -> dict[BalanceKey, int]:
    """The balances as they stand at ``until`` (summing the moves dated
    before it), from ``previous``, the snapshot at ``since`` (``None``: the
    beginning, an empty snapshot), plus the moves dated in ``[since, until)``;
    other moves are ignored.  Zero balances are left out::

        >>> from datetime import UTC
        >>> from ecerp.domain.inventory.locations import SUPPLIER
        >>> from ecerp.domain.inventory.moves import MoveReason
        >>> t = datetime(2026, 3, 1, tzinfo=UTC)
        >>> m = Move(1, "MUG", SUPPLIER, "SH/stock", 5, MoveReason.RECEIPT, "", "ann", t)
        >>> period_snapshot({}, [m], since=None, until=t)
        {}
        >>> period_snapshot({("MUG", "SH/stock"): 2}, [m], since=t, until=t.replace(day=2))
        {('MUG', 'SH/stock'): 7, ('MUG', '@supplier'): -5}
    """
    return _add_moves(dict(previous), _window(moves, since, until, inclusive=False))


def _by_sku(moves: Iterable[Move]) -> dict[str, list[Move]]:
    found: dict[str, list[Move]] = {}
    for move in moves:
        found.setdefault(move.sku, []).append(move)
    return found


def balances_at(
    snapshot: Mapping[BalanceKey, int],
    moves: Iterable[Move],
    *,
    at: datetime,
    since: datetime | None = None,
    sku: str | None = None,
) -> dict[BalanceKey, int]:
    """The balances at the end of moment ``at`` (every move dated at or
    before it): ``snapshot``, the balances at ``since`` (a closed period's
    end; ``None`` and an empty snapshot: the beginning), plus the moves dated
    in ``[since, at]``.  With ``sku``, only that SKU's balances.  Zero
    balances are left out."""
    start = {k: v for k, v in snapshot.items() if sku is None or k[0] == sku}
    window = _window(moves, since, at, inclusive=True)
    return _add_moves(start, (m for m in window if sku is None or m.sku == sku))


def sellable_on_hand(
    balances: Mapping[BalanceKey, int], sku: str, warehouse: str | None = None
) -> int:
    """Sellable on hand of ``sku`` in ``warehouse`` (its stock location and
    bins; every warehouse when ``None``), as :meth:`StockBook.on_hand` counts."""
    total = 0
    for (s, loc), qty in balances.items():
        if s != sku:
            continue
        location = _parse_location(loc)
        if location.kind is LocationKind.STOCK and warehouse in (None, location.warehouse):
            total += qty
    return total


def stock_lines(
    on_hand: Mapping[WarehouseKey, int],
    reserved: Mapping[WarehouseKey, int] | None = None,
    *,
    warehouse: str | None = None,
) -> list[StockLine]:
    """Report lines from on hand and reserved per (SKU, warehouse), sorted by
    SKU then warehouse, only ``warehouse``'s when given; lines where both are
    zero are left out."""
    reserved = reserved or {}
    keys = sorted(
        k
        for k in set(on_hand) | set(reserved)
        if (warehouse is None or k[1] == warehouse) and (on_hand.get(k) or reserved.get(k))
    )
    lines = []
    for sku, wh in keys:
        have, held = on_hand.get((sku, wh), 0), reserved.get((sku, wh), 0)
        lines.append(StockLine(sku, wh, have, held, have - held))
    return lines


def stock_lines_at(
    balances: Mapping[BalanceKey, int] | Iterable[tuple[BalanceKey, int]],
    *,
    warehouse: str | None = None,
) -> list[StockLine]:
    """Report lines of sellable on hand from balances (as of a past moment):
    reservations have no history, so ``reserved`` is 0 and ``available``
    equals ``on_hand``."""
    items = balances.items() if isinstance(balances, Mapping) else balances
    return stock_lines(project(items, ()).on_hand, warehouse=warehouse)
