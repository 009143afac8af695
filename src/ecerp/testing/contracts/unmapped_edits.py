"""Contract suite for what a seller does about an order whose listing SKU is
unknown: fix the listing SKU on the order itself, and what happens when the
channel names an unknown listing in a newer version of an order ecerp
already mapped.

Every backend runs it (wired into the backend test classes next to
:class:`~ecerp.testing.contracts.inventory.InventoryContract`).
"""

from __future__ import annotations

from datetime import timedelta

import attrs

from ecerp.domain.catalog.aliases import Alias
from ecerp.domain.catalog.errors import UnknownSkuError
from ecerp.domain.orders.drafts import ChannelLine, UnmappedSku
from ecerp.domain.orders.status import OrderStatus
from ecerp.domain.shared.money import Money
from ecerp.testing.contracts._support import UowFactory, _BackendFixtures
from ecerp.testing.contracts.inventory import MONDAY, _draft, _Shop
from ecerp.usecases.catalog.commands import AddToCatalog
from ecerp.usecases.inventory.commands import ReceiveStock
from ecerp.usecases.orders.commands import EditOrderLines, ImportOrders, ProcessOrders
from ecerp.usecases.orders.queries import unmapped_codes
from ecerp.usecases.results import OutcomeKind

ORDER = "shopify/web/1"


def _line(listing_sku: str, qty: int) -> ChannelLine:
    return ChannelLine(listing_sku, qty, Money.of("5", "EUR"))


class UnmappedEditsContract(_BackendFixtures):
    """A seller fixes an unmapped order's lines; a mapped order refuses a
    channel version naming an unknown listing."""

    def test_fixing_the_listing_sku_on_an_unmapped_order_lets_it_flow_on(
        self, uow_factory: UowFactory
    ) -> None:
        shop = _Shop(uow_factory, negative=False)
        shop.run(ReceiveStock("MUG", "BER", 5))
        # the buyer's listing code was mistyped in the shop's back office
        shop.run(ImportOrders((_draft("1", ("MUG-BLU", 2)),)))
        fixed = shop.run(EditOrderLines(ORDER, (_line("MUG", 2),), actor="anna"))
        assert (fixed.status, fixed.unmapped, fixed.warehouse) == (
            OrderStatus.ALLOCATED,
            (),
            "BER",
        )
        with uow_factory() as uow:
            order = uow.orders.get(ORDER)
            assert order.status is OrderStatus.ALLOCATED
            assert order.requirements == {(1, "MUG"): 2}
            assert [(ln.listing_sku, ln.qty) for ln in order.lines] == [("MUG", 2)]
            assert uow.stock.book().reserved("MUG", "BER") == 2
            assert unmapped_codes(uow) == []
            edits = [ch for ch in order.changes if ch.actor == "anna"]
            assert {ch.field for ch in edits} >= {"lines", "unmapped"}
            assert any("MUG-BLU" in ch.before for ch in edits if ch.field == "lines")
        # the channel sends its copy (with the mistyped code) again: nothing changes
        again = shop.run(ImportOrders((_draft("1", ("MUG-BLU", 2)),)))
        assert [o.kind for o in again] == [OutcomeKind.UNCHANGED]
        with uow_factory() as uow:
            assert uow.orders.get(ORDER).status is OrderStatus.ALLOCATED

    def test_edited_lines_still_unknown_keep_the_order_unmapped_with_the_new_codes(
        self, uow_factory: UowFactory
    ) -> None:
        shop = _Shop(uow_factory)
        shop.run(ImportOrders((_draft("1", ("MUG-BLU", 2)),)))
        edited = shop.run(
            EditOrderLines(ORDER, (_line("MUG", 2), _line("LID-BLU", 1)), actor="anna")
        )
        assert edited.status is OrderStatus.UNMAPPED
        assert edited.unmapped == (UnmappedSku("shopify", "web", "LID-BLU"),)
        with uow_factory() as uow:
            order = uow.orders.get(ORDER)
            assert order.status is OrderStatus.UNMAPPED
            assert order.unmapped == (UnmappedSku("shopify", "web", "LID-BLU"),)
            assert [ln.listing_sku for ln in order.lines] == ["MUG", "LID-BLU"]
            assert order.requirements == {}
            assert [u.listing_sku for u in unmapped_codes(uow)] == ["LID-BLU"]
            assert {ch.field for ch in order.changes if ch.actor == "anna"} == {
                "lines",
                "unmapped",
            }
        # the seller then links the code: the order flows on as any unmapped order
        shop.run(AddToCatalog((Alias("shopify", "web", "LID-BLU", "LID"),)))
        with uow_factory() as uow:
            order = uow.orders.get(ORDER)
            assert order.status is not OrderStatus.UNMAPPED
            assert order.requirements == {(1, "MUG"): 2, (2, "LID"): 1}

    def test_an_unmapped_order_edited_unpaid_goes_on_as_unpaid(
        self, uow_factory: UowFactory
    ) -> None:
        shop = _Shop(uow_factory)
        shop.run(ReceiveStock("MUG", "BER", 5))
        shop.run(ImportOrders((_draft("1", ("MUG-BLU", 1), paid=False),)))
        edited = shop.run(EditOrderLines(ORDER, (_line("MUG", 1),)))
        assert edited.status is OrderStatus.UNPAID
        with uow_factory() as uow:
            assert uow.stock.book().reserved("MUG", "BER") == 0

    def test_a_newer_version_of_a_mapped_order_naming_unknown_listings_is_refused(
        self, uow_factory: UowFactory
    ) -> None:
        shop = _Shop(uow_factory, negative=False)
        shop.run(ReceiveStock("MUG", "BER", 5))
        # allocated: it holds stock
        assert shop.run(ProcessOrders((_draft("1", ("MUG", 2)),))).counts() == {"allocated": 1}
        newer = attrs.evolve(
            _draft("1", ("MUG", 2), ("B0NEW", 1), ("X-2", 1)),
            updated_at=MONDAY + timedelta(hours=1),
        )
        result = shop.run(ImportOrders((newer,)))
        [outcome] = result.outcomes
        assert (outcome.kind, outcome.order) == (OutcomeKind.REJECTED, ORDER)
        assert isinstance(outcome.error, UnknownSkuError)
        assert "B0NEW" in outcome.detail, outcome.detail
        assert "X-2" in outcome.detail, outcome.detail
        with uow_factory() as uow:
            order = uow.orders.get(ORDER)
            assert order.status is OrderStatus.ALLOCATED
            assert [(ln.listing_sku, ln.qty) for ln in order.lines] == [("MUG", 2)]
            assert uow.stock.book().reserved("MUG", "BER") == 2
            assert unmapped_codes(uow) == []


__all__ = ["UnmappedEditsContract"]
