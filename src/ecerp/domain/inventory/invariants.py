"""The ledger's invariants: projections of balances checked against the sum of moves."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import attrs

from ecerp.domain.inventory.locations import LocationCache, LocationKind
from ecerp.domain.shared.errors import InvariantError

if TYPE_CHECKING:
    from ecerp.domain.inventory.moves import BalanceKey, Move, Reservation, WarehouseKey
    from ecerp.domain.inventory.state import StockState


@attrs.frozen
class Projection:
    """The derived stock figures: balances per (SKU, location), sellable on
    hand and reserved per (SKU, warehouse).  Zero entries are left out."""

    balances: Mapping[BalanceKey, int]
    on_hand: Mapping[WarehouseKey, int]
    reserved: Mapping[WarehouseKey, int]


@attrs.frozen
class Discrepancy:
    """A stored figure that differs from what the ledger says."""

    figure: str  # "balance", "on_hand" or "reserved"
    key: tuple[str, str]
    stored: int
    derived: int

    def __str__(self) -> str:
        return f"{self.figure} {self.key}: stored {self.stored}, ledger says {self.derived}"


def project(
    balances: Iterable[tuple[BalanceKey, int]], reservations: Iterable[Reservation]
) -> Projection:
    """Derive the projection from per-location sums of moves and the
    reservations (sellable on hand sums the warehouse's stock bins)."""
    locations = LocationCache()
    bal: dict[BalanceKey, int] = {}
    on_hand: dict[WarehouseKey, int] = {}
    for (sku, loc), qty in balances:
        if not qty:
            continue
        bal[(sku, loc)] = bal.get((sku, loc), 0) + qty
        location = locations.parse(loc)
        if location.kind is LocationKind.STOCK:
            key = (sku, location.warehouse or "")
            on_hand[key] = on_hand.get(key, 0) + qty
    reserved: dict[WarehouseKey, int] = {}
    for r in reservations:
        reserved[(r.sku, r.warehouse)] = reserved.get((r.sku, r.warehouse), 0) + r.qty
    return Projection(
        {k: v for k, v in bal.items() if v},
        {k: v for k, v in on_hand.items() if v},
        {k: v for k, v in reserved.items() if v},
    )


def ledger_sums(moves: Iterable[Move]) -> dict[BalanceKey, int]:
    """Per (SKU, location): what the moves put in minus what they took out."""
    sums: dict[BalanceKey, int] = {}
    for m in moves:
        sums[(m.sku, m.source)] = sums.get((m.sku, m.source), 0) - m.qty
        sums[(m.sku, m.dest)] = sums.get((m.sku, m.dest), 0) + m.qty
    return sums


def compare(stored: Projection, derived: Projection) -> list[Discrepancy]:
    """Every figure where ``stored`` differs from ``derived``, sorted."""
    found = []
    for figure, have, want in (
        ("balance", stored.balances, derived.balances),
        ("on_hand", stored.on_hand, derived.on_hand),
        ("reserved", stored.reserved, derived.reserved),
    ):
        for key in sorted(set(have) | set(want)):
            if have.get(key, 0) != want.get(key, 0):
                found.append(Discrepancy(figure, key, have.get(key, 0), want.get(key, 0)))
    return found


def verify(state: StockState) -> list[Discrepancy]:
    """Recompute ``state``'s projections from its moves and reservations and
    report every difference (empty: the books agree with the ledger)."""
    stored = Projection(
        {k: v for k, v in state.on_hand.items() if v},
        {k: v for k, v in state.sellable.items() if v},
        {k: v for k, v in state.reserved.items() if v},
    )
    reservations = [r for lines in state.reservations.values() for r in lines.values()]
    derived = project(ledger_sums(state.moves).items(), reservations)
    return compare(stored, derived)


def rebuild(state: StockState) -> int:
    """Restore ``state``'s projections from its moves and reservations;
    returns how many figures were wrong."""
    problems = verify(state)
    reservations = [r for lines in state.reservations.values() for r in lines.values()]
    derived = project(ledger_sums(state.moves).items(), reservations)
    state.on_hand = dict(derived.balances)
    state.sellable = dict(derived.on_hand)
    state.reserved = dict(derived.reserved)
    return len(problems)


def check_invariants(state: StockState) -> None:
    """Prove the committed stock consistent, or raise :class:`InvariantError`.

    1. Every balance, on hand and reserved figure equals what the moves and
       reservations say (:func:`verify`).
    2. Conservation: per SKU, all locations (virtual included) sum to zero.
    3. Reserved never exceeds on hand, and no real location is negative,
       unless the warehouse allows negative stock.
    4. Moves have positive quantities and increasing sequence numbers;
       reservations are positive and keyed by their own order, line and SKU.
    """
    problems: list[str] = [str(d) for d in verify(state)]
    problems.extend(_period_problems(state))
    last_seq = 0
    for m in state.moves:
        if m.qty <= 0:
            problems.append(f"move {m.seq} has qty {m.qty}")
        if m.seq <= last_seq:
            problems.append(f"move {m.seq} out of sequence after {last_seq}")
        last_seq = m.seq
    locations = LocationCache()
    per_sku: dict[str, int] = {}
    for (sku, loc), qty in state.on_hand.items():
        per_sku[sku] = per_sku.get(sku, 0) + qty
        location = locations.parse(loc)
        if not location.is_virtual and qty < 0:
            wh = state.warehouses.get(location.warehouse or "")
            if wh is None or not wh.allow_negative:
                problems.append(f"{sku} at {loc} is negative ({qty})")
    problems.extend(
        f"{sku} is not conserved: locations sum to {s}" for sku, s in per_sku.items() if s
    )
    for order, lines in state.reservations.items():
        for (line, sku), res in lines.items():
            if res.qty <= 0 or res.order != order or (res.line, res.sku) != (line, sku):
                problems.append(f"bad reservation {res}")
    for (sku, wh_code), qty in state.reserved.items():
        wh = state.warehouses.get(wh_code)
        on_hand = state.sellable.get((sku, wh_code), 0)
        if (wh is None or not wh.allow_negative) and qty > on_hand:
            problems.append(f"{sku} in {wh_code}: reserved {qty} > on hand {on_hand}")
    if problems:
        raise InvariantError(problems)


def _period_problems(state: StockState) -> list[str]:
    """Each closed period's snapshot must equal the sums of the moves dated
    before its end (one pass over the moves sorted by date)."""
    problems = []
    ordered = sorted(state.moves, key=lambda m: m.at)
    running: dict[BalanceKey, int] = {}
    i = 0
    for until in sorted(state.periods):
        while i < len(ordered) and ordered[i].at < until:
            m = ordered[i]
            running[(m.sku, m.source)] = running.get((m.sku, m.source), 0) - m.qty
            running[(m.sku, m.dest)] = running.get((m.sku, m.dest), 0) + m.qty
            i += 1
        want = {k: v for k, v in running.items() if v}
        have = {k: v for k, v in state.periods[until].items() if v}
        for key in sorted(set(want) | set(have)):
            if want.get(key, 0) != have.get(key, 0):
                problems.append(
                    f"period {until.isoformat()} {key}: snapshot {have.get(key, 0)}, "
                    f"ledger says {want.get(key, 0)}"
                )
    return problems
