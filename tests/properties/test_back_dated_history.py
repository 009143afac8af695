"""A back-dated loss never makes history negative.

Random days of a shop: receipts (some booked late, dated back), orders
shipped from the shelf, and losses dated back into the week.  Whatever was
accepted, replaying the committed ledger in date order never shows a
negative sellable balance at the end of any moment, in a warehouse that
does not allow negative stock; a refused loss leaves nothing behind.

The independent model is the committed moves themselves, summed moment by
moment; it knows nothing of how the check reads them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from ecerp import ChannelLine, ChannelOrder, Money, Shop, Sku, Warehouse, open_erp
from ecerp.adapters.clock import SimulatedClock
from ecerp.domain.inventory.errors import InsufficientStockError
from ecerp.domain.inventory.locations import Location, LocationKind
from ecerp.domain.inventory.moves import Move

MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SKUS = ("MUG", "LID")

# kind, sku, qty, hours the clock moves on first, hours the move is dated back
ops = st.lists(
    st.tuples(
        st.sampled_from(("receive", "receive", "ship", "ship", "loss", "loss")),
        st.sampled_from(SKUS),
        st.integers(1, 6),
        st.integers(0, 12),
        st.integers(0, 60),
    ),
    max_size=30,
)


def _lowest_balances(moves: list[Move]) -> dict[tuple[str, str], int]:
    """Per (SKU, warehouse): the lowest sellable balance at the end of any
    moment, replaying the moves in date order."""
    balance: dict[tuple[str, str], int] = {}
    lowest: dict[tuple[str, str], int] = {}
    by_moment: dict[datetime, list[Move]] = {}
    for m in moves:
        by_moment.setdefault(m.at, []).append(m)
    for moment in sorted(by_moment):
        for m in by_moment[moment]:
            for loc, sign in ((m.source, -1), (m.dest, 1)):
                location = Location.parse(loc)
                if location.kind is LocationKind.STOCK and location.warehouse is not None:
                    key = (m.sku, location.warehouse)
                    balance[key] = balance.get(key, 0) + sign * m.qty
        for key, qty in balance.items():
            lowest[key] = min(lowest.get(key, 0), qty)
    return lowest


@given(ops)
@example(  # 5 on hand Monday morning, all shipped at 18:00, 5 more at 04:00: a
    # loss dated 15:00 would leave 18:00 at -3
    [
        ("receive", "MUG", 5, 0, 0),
        ("ship", "MUG", 5, 10, 0),
        ("receive", "MUG", 5, 10, 0),
        ("loss", "MUG", 3, 1, 14),
    ]
)
def test_accepted_back_dated_losses_never_leave_a_negative_balance_in_history(
    steps: list[tuple[str, str, int, int, int]],
) -> None:
    clock = SimulatedClock(MONDAY)
    erp = open_erp("memory://", clock=clock)
    erp.catalog.add(Sku("MUG"), Sku("LID"), Shop("web", channel="shopify", currency="EUR"))
    erp.inventory.add_warehouse(Warehouse("BER"))
    for n, (kind, sku, qty, later, back) in enumerate(steps):
        now = clock.advance(timedelta(hours=later))
        at = max(MONDAY, now - timedelta(hours=back))
        before = list(erp.inventory.moves())
        if kind == "receive":
            erp.inventory.receive(sku, "BER", qty, at=at)
        elif kind == "ship":
            draft = ChannelOrder(
                channel="shopify",
                shop="web",
                external_id=f"o{n}",
                ordered_at=now,
                currency="EUR",
                paid=True,
                lines=(ChannelLine(sku, qty, Money.of("5", "EUR")),),
            )
            erp.orders.process([draft])
            if erp.orders.get(f"shopify/web/o{n}").status.value == "allocated":
                erp.orders.ship([f"shopify/web/o{n}"])
        else:
            try:
                erp.inventory.adjust(sku, "BER", -qty, note="found broken", at=at)
            except InsufficientStockError:
                assert list(erp.inventory.moves()) == before, "a refused loss books nothing"
    lowest = _lowest_balances(list(erp.inventory.moves()))
    assert all(qty >= 0 for qty in lowest.values()), lowest
    erp.check()
