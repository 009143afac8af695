"""The persistence contract suite: what every storage backend must do.

A backend (the built-in in-memory and SQL ones, or a third party's) proves
itself by running these test classes.  Each class is plain pytest: its
fixtures raise :class:`NotImplementedError` until a subclass overrides them,
as in fsspec's abstract tests.  The one fixture a backend must provide is
``uow_factory``: a zero-argument callable that makes a fresh
:class:`~ecerp.ports.unit_of_work.UnitOfWork`, every call on the *same*
store (a new, empty store per test)::

    import pytest
    from ecerp.testing.contracts import BackendContract

    class TestMyBackend(BackendContract):
        @pytest.fixture
        def uow_factory(self, tmp_path):
            store = MyStore(tmp_path / "books.db")
            return lambda: MyUnitOfWork(store)

Optional capability fixtures switch on tests for behaviour not every
backend has (they skip otherwise):

* ``supports_nested_units`` (``False``): a second unit of work may be opened
  while another is open in the same thread.
* ``read_uow_factory`` (``None``): units of work for reading only, that may
  be open while a writer's unit is (SQL: another connection); without it,
  ``uow_factory`` when ``supports_nested_units``.
* ``flush_unit`` (``None``): sends a unit's changes to the store without
  committing them (SQL: the statements commit would run, inside the open
  transaction), so isolation is tested against written, uncommitted rows.
* ``reopen_uow_factory`` (``None``): a callable that opens the same store
  afresh (a new engine, a new connection) and returns a unit-of-work factory
  on it, for backends whose state outlives the objects that wrote it.

The in-memory and SQL backends must give the same results, so the suite
compares *full values* of what it stores and reloads, through
:func:`value_state`: every field, Decimal amounts by their exact digits,
datetimes by their ISO form (so a naive or non-UTC time never passes), and
lists, tuples and sets by their type.  :class:`BackendContract` aggregates
every class below.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import pytest

from ecerp.domain.catalog.aliases import Alias, Bundle, Component
from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.catalog.errors import AliasCycleError, UnknownSkuError
from ecerp.domain.catalog.products import EPOCH, Dimensions, Product, Shop, Sku
from ecerp.domain.inventory.book import StockBook
from ecerp.domain.inventory.errors import ClosedPeriodError, InsufficientStockError
from ecerp.domain.inventory.events import StockMoved, StockReserved
from ecerp.domain.inventory.invariants import check_invariants
from ecerp.domain.inventory.locations import (
    ADJUSTMENT,
    CUSTOMER,
    SUPPLIER,
    Location,
    LocationKind,
    Warehouse,
    WarehouseKind,
)
from ecerp.domain.inventory.moves import Move, MoveReason, Reservation, StockLine, StockPosition
from ecerp.domain.inventory.state import StockState
from ecerp.domain.inventory.stocktakes import Stocktake, StocktakeStatus
from ecerp.domain.inventory.transfers import Transfer, TransferStatus
from ecerp.domain.orders.drafts import Address, Buyer, ChannelLine, ChannelOrder, OrderLine
from ecerp.domain.orders.events import (
    OrderAllocated,
    OrderCancelled,
    OrderImported,
    OrderStatusChanged,
)
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import OrderStatus
from ecerp.domain.shared.errors import DuplicateError, NotFoundError, ValidationError
from ecerp.domain.shared.money import Money
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.testing.order_identity import OrderIdentityContract
from ecerp.testing.settings_contract import SettingsRepositoryContract

UowFactory = Callable[[], UnitOfWork]
T = TypeVar("T")

#: The moment most contract work happens (microseconds on purpose: a backend
#: must keep them).
T0 = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
HOUR = timedelta(hours=1)
CST = timezone(timedelta(hours=8), "CST")

ALL_STATUSES = tuple(OrderStatus)


# --- exact value comparison --------------------------------------------------------


def value_state(value: object) -> object:
    """A plain, exactly comparable form of a domain value.

    attrs instances become their class name and public fields (private ones,
    such as an order's pending events, are left out), so an :class:`Order`
    (``eq=False``) can be compared with a reloaded copy.  Decimals compare by
    their exact digits (``9.90`` is not ``9.9``), datetimes by ISO form (the
    offset included), floats never equal ints, and containers keep their type
    (a list is not a tuple; sets and dict items are sorted).
    """
    cls = type(value)
    if attrs.has(cls):
        return (
            cls.__name__,
            tuple(
                (f.name, value_state(getattr(value, f.name)))
                for f in attrs.fields(cls)
                if not f.name.startswith("_")
            ),
        )
    if isinstance(value, enum.Enum):
        return (type(value).__name__, value.value)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, float):
        return ("float!", value)
    if isinstance(value, Decimal):
        return ("Decimal", str(value))
    if isinstance(value, datetime):
        return ("datetime", value.isoformat())
    if isinstance(value, Mapping):
        items = [(value_state(k), value_state(v)) for k, v in value.items()]
        return ("dict", tuple(sorted(items, key=repr)))
    if isinstance(value, set | frozenset):
        return (type(value).__name__, tuple(sorted((value_state(v) for v in value), key=repr)))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(value_state(v) for v in value))
    return value


def order_state(order: Order) -> object:
    """Every public field of ``order`` (history and audit trail included)."""
    return value_state(order)


def stock_state(state: StockState) -> dict[str, object]:
    """The committed stock in exactly comparable form.  Balances and totals
    of zero and orders that hold nothing are left out, so a backend that
    deletes such rows and one that keeps them compare equal."""
    return {
        "warehouses": value_state(sorted(state.warehouses.values(), key=lambda w: w.code)),
        "moves": value_state(list(state.moves)),
        "on_hand": value_state({k: v for k, v in state.on_hand.items() if v}),
        "sellable": value_state({k: v for k, v in state.sellable.items() if v}),
        "reserved": value_state({k: v for k, v in state.reserved.items() if v}),
        "reservations": value_state(
            {order: dict(lines) for order, lines in state.reservations.items() if lines}
        ),
        "closed_until": value_state(state.closed_until),
    }


def dump(
    uow_factory: UowFactory, *, products: Iterable[str] = (), stocktakes: Iterable[str] = ()
) -> dict[str, object]:
    """Everything committed in the store, in exactly comparable form (read
    in a unit of work that is not committed)."""
    with uow_factory() as uow:
        view = uow.catalog.view()
        orders = uow.orders.find_many(uow.orders.ids_with_status(ALL_STATUSES))
        return {
            "products": value_state([view.find_product(code) for code in products]),
            "skus": value_state(view.skus()),
            "bundles": value_state(view.bundles()),
            "shops": value_state(view.shops()),
            "aliases": value_state(view.aliases()),
            "stock": stock_state(uow.stock.snapshot()),
            "orders": {oid: order_state(order) for oid, order in sorted(orders.items())},
            "order_count": uow.orders.count(),
            "transfers": value_state(list(uow.documents.transfers())),
            "stocktakes": value_state([uow.documents.find_stocktake(s) for s in stocktakes]),
        }


def balances_from_moves(moves: Iterable[Move]) -> dict[tuple[str, str], int]:
    """An independent ledger model: each move leaves its source and enters
    its destination.  Zero balances are left out."""
    result: dict[tuple[str, str], int] = {}
    for m in moves:
        result[(m.sku, m.source)] = result.get((m.sku, m.source), 0) - m.qty
        result[(m.sku, m.dest)] = result.get((m.sku, m.dest), 0) + m.qty
    return {k: v for k, v in result.items() if v}


def sellable_from_balances(balances: Mapping[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    result: dict[tuple[str, str], int] = {}
    for (sku, loc), qty in balances.items():
        location = Location.parse(loc)
        if location.kind is LocationKind.STOCK and location.warehouse is not None:
            key = (sku, location.warehouse)
            result[key] = result.get(key, 0) + qty
    return {k: v for k, v in result.items() if v}


def assert_aware_utc(moment: datetime | None) -> None:
    assert moment is not None
    assert moment.utcoffset() == timedelta(0), f"{moment!r} is not an aware UTC datetime"


# --- the story the suites tell ---------------------------------------------------------


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def seed_catalog(view: Catalog) -> None:
    """A mug shop: two mug colours, a lid, a two-mug set, two channels."""
    view.add_product(
        Product(
            "MUGS",
            titles={"en": "Mug", "zh": "马克杯"},
            category="kitchen",
            tags={"ceramic", "bestseller"},
            variant_attributes=("colour",),
        )
    )
    view.add_sku(
        Sku(
            "MUG-RED",
            product="MUGS",
            attributes={"colour": "red"},
            barcode="4006381333931",
            weight_g=350,
            dimensions=Dimensions(120, 90, 100),
            category="kitchen",
            tags={"red", "gift"},
            titles={"en": "Red mug", "zh": "红色马克杯", "de": "Tasse rot"},
            cost=eur("2.105"),
            price=eur("9.90"),
        )
    )
    view.add_sku(Sku("MUG-BLUE", product="MUGS", attributes={"colour": "blue"}, price=eur("9.90")))
    view.add_sku(Sku("LID", weight_g=20, cost=Money.of("3", "CNY")))
    view.add_bundle(
        Bundle("MUG-SET", (Component("MUG-RED", 2), Component("LID", 2)), titles={"en": "Two mugs"})
    )
    view.add_shop(Shop("amz-de", channel="amazon", name="Amazon DE", site="de", currency="EUR"))
    view.add_shop(Shop("web", channel="shopify", name="Own shop", currency="EUR"))
    view.add_alias(Alias("amazon", "amz-de", "B0MUGSET", "MUG-SET"))
    view.add_alias(Alias("amazon", None, "B0RED", "MUG-RED"))


def seed_warehouses(book: StockBook) -> None:
    book.add_warehouse(Warehouse("SH", name="Shanghai", country="CN"))
    book.add_warehouse(
        Warehouse(
            "SZ", name="Shenzhen 3PL", kind=WarehouseKind.THIRD_PARTY, priority=2, country="CN"
        )
    )
    book.add_warehouse(Warehouse("NEG", name="Drop-ship hub", allow_negative=True, priority=1))


def seed(uow: UnitOfWork) -> None:
    seed_catalog(uow.catalog.view())
    seed_warehouses(uow.stock.book())


def commit_work(uow_factory: UowFactory, work: Callable[[UnitOfWork], T]) -> T:
    """Run ``work`` in a fresh unit of work and commit it."""
    with uow_factory() as uow:
        result = work(uow)
        uow.commit()
    return result


def channel_order(
    external_id: str,
    *lines: tuple[str, int, str],
    channel: str = "shopify",
    shop: str = "web",
    paid: bool = True,
    ordered_at: datetime = T0,
    **extra: Any,
) -> ChannelOrder:
    """A EUR draft; ``lines`` are ``(listing_sku, qty, unit price)``."""
    return ChannelOrder(
        channel=channel,
        shop=shop,
        external_id=external_id,
        ordered_at=ordered_at,
        currency="EUR",
        lines=tuple(ChannelLine(sku, qty, eur(price)) for sku, qty, price in lines)
        or (ChannelLine("MUG-RED", 2, eur("9.90")),),
        paid=paid,
        **extra,
    )


def add_order(uow: UnitOfWork, draft: ChannelOrder, *, at: datetime = T0) -> Order:
    """Resolve ``draft`` through the unit's catalog and add the new order."""
    requirements = uow.catalog.view().requirements(
        draft.channel, draft.shop, draft.order_lines(), at=draft.ordered_at
    )
    order = Order.from_channel(draft, requirements, at=at, actor="import")
    uow.orders.add(order)
    return order


def rich_channel_order() -> ChannelOrder:
    """An order with everything a backend could get wrong: a bundle line and
    an aliased one, discounts, three-decimal amounts, non-ASCII text, a
    non-UTC order time with microseconds, tags, a negative priority."""
    return ChannelOrder(
        channel="amazon",
        shop="amz-de",
        external_id="302-1234567-7654321",
        ordered_at=datetime(2026, 3, 2, 17, 45, 1, 250000, tzinfo=CST),
        updated_at=datetime(2026, 3, 2, 10, 0, 0, 1, tzinfo=UTC),
        currency="EUR",
        lines=(
            ChannelLine("B0MUGSET", 1, eur("24.90"), eur("2.50"), "Zwei Tassen — Geschenkset"),
            ChannelLine("B0RED", 3, eur("9.995"), None, "Tasse rot"),
        ),
        buyer=Buyer("A1B2C3", "Jürgen Müller", "j.mueller@example.com"),
        address=Address(
            "Jürgen Müller",
            "Hauptstraße 5",
            "c/o 李雷",
            "Köln",
            "NRW",
            "50667",
            "DE",
            "+49 221 000",
        ),
        paid=True,
        paid_amount=eur("52.385"),
        buyer_note="Bitte nicht knicken 🙏",
        shipping_level="Expedited",
        priority=-3,
        tags={"prime", "gift"},
    )


#: What the rich order's lines mean in warehouse SKUs, from the catalog's
#: story: the set is two red mugs and two lids; B0RED is the red mug.
RICH_REQUIREMENTS = {(1, "MUG-RED"): 2, (1, "LID"): 2, (2, "MUG-RED"): 3}


class _AbandonedError(Exception):
    """Raised inside a unit of work to abandon it."""


ENDINGS = ("left uncommitted", "raised", "rolled back")


def end_without_commit(
    uow_factory: UowFactory, work: Callable[[UnitOfWork], object], how: str
) -> None:
    """Run ``work`` in a unit of work that ends without commit: the block is
    left, an exception escapes it, or :meth:`UnitOfWork.rollback` is called."""
    uow = uow_factory()
    if how == "raised":
        with pytest.raises(_AbandonedError):
            _work_then_raise(uow, work)
        return
    with uow:
        work(uow)
        if how == "rolled back":
            uow.rollback()


def _work_then_raise(uow: UnitOfWork, work: Callable[[UnitOfWork], object]) -> None:
    with uow:
        work(uow)
        raise _AbandonedError


# --- fixtures ----------------------------------------------------------------------------


class _BackendFixtures:
    """Fixtures a backend overrides (``uow_factory``) or may override
    (capabilities)."""

    @pytest.fixture
    def uow_factory(self) -> UowFactory:
        """A zero-argument callable making a fresh unit of work, every call
        on one shared store that is new and empty for each test."""
        raise NotImplementedError("override the uow_factory fixture for your backend")

    @pytest.fixture
    def supports_nested_units(self) -> bool:
        """Whether a unit of work may be opened while another one is open."""
        return False

    @pytest.fixture
    def read_uow_factory(self) -> UowFactory | None:
        """Units of work to read in while a writer's unit is open (``None``:
        ``uow_factory``, if ``supports_nested_units``)."""
        return None

    @pytest.fixture
    def flush_unit(self) -> Callable[[UnitOfWork], None] | None:
        """Writes a unit's changes to the store without committing them
        (``None``: the backend keeps them in the unit until commit)."""
        return None

    @pytest.fixture
    def reopen_uow_factory(self) -> Callable[[], UowFactory] | None:
        """Opens the test's store afresh and returns a factory on it, or
        ``None`` when the store does not outlive its objects."""
        return None


# --- unit of work -------------------------------------------------------------------------


def _catalog_work(uow: UnitOfWork) -> None:
    view = uow.catalog.view()
    view.add_sku(Sku("TEAPOT", barcode="4006381333948"))
    view.add_shop(Shop("ebay-uk", channel="ebay", currency="GBP"))
    view.add_bundle(Bundle("TEA-SET", (Component("TEAPOT", 1), Component("MUG-BLUE", 2))))
    view.add_alias(Alias(None, None, "MUG-R", "MUG-RED"))
    view.add_alias(Alias("amazon", "amz-de", "B0MUGSET", "MUG-BLUE", T0))


def _stock_work(uow: UnitOfWork) -> None:
    book = uow.stock.book()
    book.add_warehouse(Warehouse("HK"))
    book.receive("MUG-RED", "HK", 5, at=T0, actor="ann", document="PO-9")
    book.receive("MUG-RED", "SH", 4, at=T0, actor="ann", document="PO-9")
    book.reserve("somebody", {(1, "MUG-RED"): 3}, "SH")
    book.ship("held", {(1, "LID"): 1}, at=T0, actor="bob")
    book.release("held")
    book.close_period(T0)


def _order_work(uow: UnitOfWork) -> None:
    add_order(uow, channel_order("2001", ("MUG-BLUE", 1, "9.90")))
    held = uow.orders.get("shopify/web/1001")
    held.cancel(at=T0, actor="ann", reason="changed mind")
    held.tags.add("touched")


def _document_work(uow: UnitOfWork) -> None:
    book = uow.stock.book()
    stocktake = Stocktake.start("ST-2", "SH", ["MUG-RED"], book, at=T0)
    stocktake.count("MUG-RED", 1)
    uow.documents.add_stocktake(stocktake)
    old = uow.documents.find_stocktake("ST-1")
    assert old is not None
    old.count("LID", 99)
    transfer = Transfer("TR-2", "SH", "SZ", {"MUG-RED": 1})
    uow.documents.add_transfer(transfer)
    transfer.dispatch(book, at=T0, actor="ann")


WORK: dict[str, Callable[[UnitOfWork], None]] = {
    "catalog": _catalog_work,
    "stock book": _stock_work,
    "orders": _order_work,
    "documents": _document_work,
}


def _baseline(uow: UnitOfWork) -> None:
    """Committed state every unit-of-work test starts from."""
    seed(uow)
    book = uow.stock.book()
    book.receive("MUG-RED", "SH", 10, at=T0 - HOUR, actor="ann", document="PO-1")
    book.receive("LID", "SH", 10, at=T0 - HOUR, actor="ann", document="PO-1")
    book.reserve("held", {(1, "LID"): 2}, "SH")
    add_order(uow, channel_order("1001"))
    uow.documents.add_stocktake(Stocktake.start("ST-1", "SH", ["LID"], book, at=T0 - HOUR))


class UnitOfWorkContract(_BackendFixtures):
    """A unit of work commits whole or leaves nothing."""

    @pytest.mark.parametrize("how", ENDINGS)
    @pytest.mark.parametrize("part", sorted(WORK))
    def test_work_that_is_not_committed_leaves_nothing_behind(
        self, uow_factory: UowFactory, part: str, how: str
    ) -> None:
        commit_work(uow_factory, _baseline)
        before = dump(uow_factory, products=["MUGS"], stocktakes=["ST-1", "ST-2"])

        end_without_commit(uow_factory, WORK[part], how)

        assert dump(uow_factory, products=["MUGS"], stocktakes=["ST-1", "ST-2"]) == before

    @pytest.mark.parametrize("how", ENDINGS)
    def test_nothing_of_an_abandoned_unit_can_be_found_afterwards(
        self, uow_factory: UowFactory, how: str
    ) -> None:
        commit_work(uow_factory, _baseline)

        def everything(uow: UnitOfWork) -> None:
            for work in WORK.values():
                work(uow)

        end_without_commit(uow_factory, everything, how)

        with uow_factory() as uow:
            view, book = uow.catalog.view(), uow.stock.book()
            assert view.find_sku("TEAPOT") is None
            assert view.find_barcode("4006381333948") is None
            assert view.find_shop("ebay-uk") is None
            assert view.find_bundle("TEA-SET") is None
            assert view.alias_versions(None, None, "MUG-R") == ()
            assert view.resolve("amazon", "amz-de", "B0MUGSET", at=T0 + HOUR) == "MUG-SET"
            assert book.find_warehouse("HK") is None
            assert book.on_hand("MUG-RED", "SH") == 10
            assert book.reserved("MUG-RED", "SH") == 0
            assert book.reservations_of("somebody") == {}
            assert book.reserved("LID", "SH") == 2
            assert book.closed_until is None
            assert [m.document for m in uow.stock.moves()] == ["PO-1", "PO-1"]
            assert uow.orders.find("shopify/web/2001") is None
            assert uow.orders.count() == 1
            assert uow.orders.get("shopify/web/1001").status is OrderStatus.READY
            assert uow.documents.find_stocktake("ST-2") is None
            assert uow.documents.find_transfer("TR-2") is None
            stocktake = uow.documents.find_stocktake("ST-1")
            assert stocktake is not None
            assert stocktake.counts == {}

    def test_committed_work_is_visible_to_the_next_unit_of_work(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, _baseline)

        def everything(uow: UnitOfWork) -> None:
            for work in WORK.values():
                work(uow)

        commit_work(uow_factory, everything)

        with uow_factory() as uow:
            view, book = uow.catalog.view(), uow.stock.book()
            assert view.sku("TEAPOT") == Sku("TEAPOT", barcode="4006381333948")
            assert view.find_barcode("4006381333948") == "TEAPOT"
            assert view.shop("ebay-uk") == Shop("ebay-uk", channel="ebay", currency="GBP")
            assert view.expand("TEA-SET", 2) == {"TEAPOT": 2, "MUG-BLUE": 4}
            assert view.resolve("shopify", "web", "MUG-R", at=T0) == "MUG-RED"
            assert view.resolve("amazon", "amz-de", "B0MUGSET", at=T0 - HOUR) == "MUG-SET"
            assert view.resolve("amazon", "amz-de", "B0MUGSET", at=T0) == "MUG-BLUE"
            assert book.warehouse("HK") == Warehouse("HK")
            assert book.on_hand("MUG-RED", "HK") == 5
            # 10 received, 4 more, 1 sent to SZ by the transfer
            assert book.on_hand("MUG-RED", "SH") == 13
            assert book.reservations_of("somebody") == {
                (1, "MUG-RED"): Reservation("somebody", 1, "MUG-RED", "SH", 3)
            }
            assert book.on_hand("LID", "SH") == 9
            assert book.reserved("LID", "SH") == 0
            assert book.closed_until == T0
            assert uow.orders.get("shopify/web/2001").status is OrderStatus.READY
            cancelled = uow.orders.get("shopify/web/1001")
            assert cancelled.status is OrderStatus.CANCELLED
            assert "touched" in cancelled.tags
            stocktake = uow.documents.find_stocktake("ST-1")
            assert stocktake is not None
            assert stocktake.counts == {("LID", "SH/stock"): 99}
            new_stocktake = uow.documents.find_stocktake("ST-2")
            assert new_stocktake is not None
            assert new_stocktake.counts == {("MUG-RED", "SH/stock"): 1}
            transfer = uow.documents.find_transfer("TR-2")
            assert transfer is not None
            assert transfer.status is TransferStatus.IN_TRANSIT
            assert book.in_transit("MUG-RED", "SZ") == 1

    def test_work_committed_before_an_exception_stays_committed(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)

        def commit_then_fail() -> None:
            with uow_factory() as uow:
                uow.stock.book().receive("LID", "SH", 7, at=T0, actor="ann")
                uow.commit()
                raise _AbandonedError

        with pytest.raises(_AbandonedError):
            commit_then_fail()

        with uow_factory() as uow:
            assert uow.stock.book().on_hand("LID", "SH") == 7

    def test_changes_made_after_commit_are_dropped_unless_committed_again(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)

        with uow_factory() as uow:
            uow.stock.book().receive("LID", "SH", 7, at=T0, actor="ann")
            uow.commit()
            uow.stock.book().receive("LID", "SH", 100, at=T0, actor="ann")
            uow.catalog.view().add_sku(Sku("AFTERTHOUGHT"))
            add_order(uow, channel_order("3001"))

        with uow_factory() as uow:
            assert uow.stock.book().on_hand("LID", "SH") == 7
            assert uow.catalog.view().find_sku("AFTERTHOUGHT") is None
            assert uow.orders.count() == 0

    def test_committing_twice_in_one_block_keeps_both_parts(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)

        with uow_factory() as uow:
            uow.stock.book().receive("LID", "SH", 7, at=T0, actor="ann")
            uow.commit()
            uow.stock.book().receive("LID", "SH", 5, at=T0 + HOUR, actor="ann")
            uow.commit()

        with uow_factory() as uow:
            assert uow.stock.book().on_hand("LID", "SH") == 12
            assert [m.qty for m in uow.stock.moves(sku="LID")] == [7, 5]

    def test_committed_events_are_handed_out_once(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        uow = uow_factory()
        with uow:
            book = uow.stock.book()
            move = book.receive("MUG-RED", "SH", 5, at=T0, actor="ann", document="PO-1")
            order = add_order(uow, channel_order("1001"))
            book.reserve(order.id, order.requirements, "SH")
            order.allocate("SH", at=T0, actor="ann")
            assert uow.collect_events() == [], "no events before commit"
            uow.commit()

        events = uow.collect_events()

        oid = order.id
        assert [e for e in events if isinstance(e, StockMoved | StockReserved)] == [
            StockMoved(move),
            StockReserved(oid, "SH", (((1, "MUG-RED"), 2),)),
        ]
        assert [e for e in events if not isinstance(e, StockMoved | StockReserved)] == [
            OrderStatusChanged(oid, "new", "ready"),
            OrderImported(oid),
            OrderStatusChanged(oid, "ready", "allocated"),
            OrderAllocated(oid, "SH"),
        ]
        assert uow.collect_events() == []

    def test_a_later_unit_only_hands_out_its_own_events(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        order_id = commit_work(uow_factory, lambda uow: add_order(uow, channel_order("1001")).id)

        uow = uow_factory()
        with uow:
            uow.orders.get(order_id).cancel(at=T0, actor="ann", reason="out of stock")
            uow.commit()

        assert uow.collect_events() == [
            OrderStatusChanged(order_id, "ready", "cancelled"),
            OrderCancelled(order_id, "out of stock"),
        ]

    @pytest.mark.parametrize("how", ENDINGS)
    def test_work_that_is_not_committed_hands_out_no_events(
        self, uow_factory: UowFactory, how: str
    ) -> None:
        commit_work(uow_factory, _baseline)
        uow = uow_factory()
        if how == "raised":
            with pytest.raises(_AbandonedError):
                _work_then_raise(uow, _order_work)
        else:
            with uow:
                _order_work(uow)
                uow.stock.book().receive("LID", "SH", 1, at=T0, actor="ann")
                if how == "rolled back":
                    uow.rollback()

        assert uow.collect_events() == []

    def test_a_unit_of_work_can_be_entered_again_after_it_ends(
        self, uow_factory: UowFactory
    ) -> None:
        uow = uow_factory()
        with uow:
            seed(uow)
            uow.commit()
        with uow:
            assert uow.catalog.view().find_sku("MUG-RED") is not None
            uow.stock.book().receive("LID", "SH", 3, at=T0, actor="ann")
            uow.commit()
        first_events = uow.collect_events()
        with uow:
            assert uow.stock.book().on_hand("LID", "SH") == 3
            uow.stock.book().receive("LID", "SH", 50, at=T0, actor="ann")
        with pytest.raises(_AbandonedError):
            _work_then_raise(uow, lambda u: u.catalog.view().add_sku(Sku("GHOST")))
        with uow:
            assert uow.stock.book().on_hand("LID", "SH") == 3
            assert uow.catalog.view().find_sku("GHOST") is None
            order = add_order(uow, channel_order("1001", ("LID", 1, "1.00")))
            uow.commit()

        assert [type(e) for e in first_events] == [StockMoved]
        assert [type(e) for e in uow.collect_events()] == [OrderStatusChanged, OrderImported]
        with uow:
            assert uow.orders.get(order.id).status is OrderStatus.READY
            assert uow.orders.count() == 1

    def test_repositories_hand_out_one_view_one_book_and_one_order_per_unit(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        commit_work(uow_factory, lambda uow: add_order(uow, channel_order("1001")))

        with uow_factory() as uow:
            assert uow.catalog.view() is uow.catalog.view()
            assert uow.stock.book() is uow.stock.book()
            order = uow.orders.get("shopify/web/1001")
            assert uow.orders.find("shopify/web/1001") is order
            assert uow.orders.find_many(["shopify/web/1001"]) == {"shopify/web/1001": order}
            assert uow.orders.find_by_keys([("shopify", "web", "1001")]) == {
                ("shopify", "web", "1001"): order
            }

    def test_one_unit_does_not_see_another_units_uncommitted_work(
        self,
        uow_factory: UowFactory,
        supports_nested_units: bool,
        read_uow_factory: UowFactory | None,
        flush_unit: Callable[[UnitOfWork], None] | None,
    ) -> None:
        reader_factory = read_uow_factory or (uow_factory if supports_nested_units else None)
        if reader_factory is None:
            pytest.skip("the backend cannot open two units of work at once")
        commit_work(uow_factory, seed)

        with uow_factory() as writer:
            writer.catalog.view().add_sku(Sku("SECRET"))
            writer.stock.book().receive("LID", "SH", 4, at=T0, actor="ann")
            add_order(writer, channel_order("1001"))
            if flush_unit is not None:
                flush_unit(writer)
                assert writer.catalog.view().find_sku("SECRET") is not None
                assert writer.stock.book().on_hand("LID", "SH") == 4
            with reader_factory() as reader:
                assert reader.catalog.view().find_sku("SECRET") is None
                assert reader.stock.book().on_hand("LID", "SH") == 0
                assert reader.stock.moves() == []
                assert reader.orders.find("shopify/web/1001") is None
                assert reader.orders.count() == 0
        # the writer left without committing: what it wrote is gone
        with reader_factory() as after:
            assert after.catalog.view().find_sku("SECRET") is None
            assert after.stock.moves() == []
            assert after.orders.count() == 0

    def test_committed_work_survives_reopening_the_store(
        self,
        uow_factory: UowFactory,
        reopen_uow_factory: Callable[[], UowFactory] | None,
    ) -> None:
        if reopen_uow_factory is None:
            pytest.skip("the store does not outlive its objects")
        commit_work(uow_factory, _baseline)
        commit_work(uow_factory, WORK["documents"])
        before = dump(uow_factory, products=["MUGS"], stocktakes=["ST-1", "ST-2"])

        reopened = reopen_uow_factory()

        assert dump(reopened, products=["MUGS"], stocktakes=["ST-1", "ST-2"]) == before


# --- catalog ----------------------------------------------------------------------------------


class CatalogRepositoryContract(_BackendFixtures):
    """The catalog view: writes persist on commit; resolution after reload."""

    def test_catalog_items_come_back_equal_to_what_was_written(
        self, uow_factory: UowFactory
    ) -> None:
        written = Catalog()
        seed_catalog(written)

        commit_work(uow_factory, lambda uow: seed_catalog(uow.catalog.view()))

        with uow_factory() as uow:
            view = uow.catalog.view()
            assert value_state(view.skus()) == value_state(written.skus())
            assert value_state(view.bundles()) == value_state(written.bundles())
            assert value_state(view.shops()) == value_state(written.shops())
            assert value_state(view.aliases()) == value_state(written.aliases())
            assert value_state(view.find_product("MUGS")) == value_state(
                written.find_product("MUGS")
            )
            assert view.find_barcode("4006381333931") == "MUG-RED"
            assert view.find_product("CUPS") is None
            assert view.find_sku("CUP") is None
            assert view.find_bundle("MUG-RED") is None
            red = view.sku("MUG-RED")
            assert red.title("zh") == "红色马克杯"
            assert red.attribute("colour") == "red"
            assert red.dimensions == Dimensions(120, 90, 100)
            assert red.cost == eur("2.105")

    def test_items_added_in_later_units_join_the_committed_catalog(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, lambda uow: seed_catalog(uow.catalog.view()))

        def more(uow: UnitOfWork) -> None:
            view = uow.catalog.view()
            view.add_sku(Sku("SAUCER"))
            view.add_bundle(Bundle("GIFT", (Component("MUG-SET", 1), Component("SAUCER", 2))))
            view.add_alias(Alias("shopify", "web", "gift-box", "GIFT"))

        commit_work(uow_factory, more)

        with uow_factory() as uow:
            view = uow.catalog.view()
            assert [s.code for s in view.skus()] == ["LID", "MUG-BLUE", "MUG-RED", "SAUCER"]
            assert [b.code for b in view.bundles()] == ["GIFT", "MUG-SET"]
            assert view.resolve("shopify", "web", "gift-box", at=T0) == "GIFT"
            assert view.expand("GIFT", 1) == {"MUG-RED": 2, "LID": 2, "SAUCER": 2}

    def test_a_listing_sku_resolves_through_shop_then_channel_then_global_aliases(
        self, uow_factory: UowFactory
    ) -> None:
        def catalog(uow: UnitOfWork) -> None:
            view = uow.catalog.view()
            seed_catalog(view)
            view.add_shop(Shop("amz-fr", channel="amazon", currency="EUR"))
            view.add_alias(Alias("amazon", None, "B0MUGSET", "MUG-BLUE"))
            view.add_alias(Alias(None, None, "RED-MUG", "MUG-RED"))

        commit_work(uow_factory, catalog)

        with uow_factory() as uow:
            view = uow.catalog.view()
            # the shop's own alias wins over the channel's
            assert view.resolve("amazon", "amz-de", "B0MUGSET", at=T0) == "MUG-SET"
            # another shop of the channel gets the channel's alias
            assert view.resolve("amazon", "amz-fr", "B0MUGSET", at=T0) == "MUG-BLUE"
            assert view.resolve("amazon", "amz-fr", "B0RED", at=T0) == "MUG-RED"
            # a global alias applies everywhere
            assert view.resolve("shopify", "web", "RED-MUG", at=T0) == "MUG-RED"
            # a catalog code means itself
            assert view.resolve("shopify", "web", "LID", at=T0) == "LID"
            # an alias of one channel does not apply to another
            with pytest.raises(UnknownSkuError) as err:
                view.resolve("shopify", "web", "B0RED", at=T0)
            assert (err.value.code, err.value.channel, err.value.shop) == (
                "B0RED",
                "shopify",
                "web",
            )

    def test_a_replaced_alias_resolves_by_date_across_units(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, lambda uow: seed_catalog(uow.catalog.view()))
        replaced_at = datetime(2026, 4, 1, 8, 0, tzinfo=CST)  # 00:00 UTC

        commit_work(
            uow_factory,
            lambda uow: uow.catalog.view().add_alias(
                Alias("amazon", None, "B0RED", "MUG-BLUE", replaced_at)
            ),
        )

        with uow_factory() as uow:
            view = uow.catalog.view()
            versions = view.alias_versions("amazon", None, "B0RED")
            assert [(a.target, a.effective_from) for a in versions] == [
                ("MUG-RED", EPOCH),
                ("MUG-BLUE", datetime(2026, 4, 1, tzinfo=UTC)),
            ]
            for alias in versions:
                assert_aware_utc(alias.effective_from)
            before = replaced_at - timedelta(microseconds=1)
            assert view.resolve("amazon", "amz-de", "B0RED", at=before) == "MUG-RED"
            assert view.resolve("amazon", "amz-de", "B0RED", at=replaced_at) == "MUG-BLUE"
            assert view.resolve("amazon", "amz-de", "B0RED", at=replaced_at + HOUR) == "MUG-BLUE"

    def test_a_retired_code_follows_its_global_replacement(self, uow_factory: UowFactory) -> None:
        def catalog(uow: UnitOfWork) -> None:
            view = uow.catalog.view()
            seed_catalog(view)
            view.add_alias(Alias(None, None, "MUG-R-OLD", "MUG-RED"))

        commit_work(uow_factory, catalog)
        commit_work(
            uow_factory,
            lambda uow: uow.catalog.view().add_alias(
                Alias("shopify", "web", "legacy-red", "MUG-R-OLD")
            ),
        )

        with uow_factory() as uow:
            assert uow.catalog.view().resolve("shopify", "web", "legacy-red", at=T0) == "MUG-RED"

    def test_bundles_come_back_with_their_components_and_expand_after_reload(
        self, uow_factory: UowFactory
    ) -> None:
        def catalog(uow: UnitOfWork) -> None:
            view = uow.catalog.view()
            seed_catalog(view)
            view.add_bundle(Bundle("GIFT", (Component("MUG-SET", 1), Component("LID", 1))))

        commit_work(uow_factory, catalog)

        with uow_factory() as uow:
            view = uow.catalog.view()
            gift = view.find_bundle("GIFT")
            assert gift == Bundle("GIFT", (Component("MUG-SET", 1), Component("LID", 1)))
            # a gift is a set (two mugs, two lids) and one more lid
            assert view.expand("GIFT", 2) == {"MUG-RED": 4, "LID": 6}
            assert view.sellable("GIFT", {"MUG-RED": 9, "LID": 7}) == 2
            assert view.sellable("MUG-SET", {"MUG-RED": 9}) == 0
            assert view.requirements(
                "amazon",
                "amz-de",
                channel_order("X", ("B0MUGSET", 1, "20"), ("B0RED", 1, "9")).order_lines(),
                at=T0,
            ) == {(1, "MUG-RED"): 2, (1, "LID"): 2, (2, "MUG-RED"): 1}

    def test_catalog_rules_see_what_earlier_units_committed(self, uow_factory: UowFactory) -> None:
        def catalog(uow: UnitOfWork) -> None:
            view = uow.catalog.view()
            seed_catalog(view)
            view.add_alias(Alias(None, None, "MUG-R-OLD", "MUG-RED"))

        commit_work(uow_factory, catalog)

        with uow_factory() as uow:
            view = uow.catalog.view()
            with pytest.raises(DuplicateError) as dup:
                view.add_sku(Sku("MUG-RED"))
            assert (dup.value.kind, dup.value.key) == ("sku", "MUG-RED")
            with pytest.raises(DuplicateError) as dup_bundle:
                view.add_sku(Sku("MUG-SET"))
            assert dup_bundle.value.key == "MUG-SET"
            with pytest.raises(DuplicateError) as dup_barcode:
                view.add_sku(Sku("CUP", barcode="4006381333931"))
            assert (dup_barcode.value.kind, dup_barcode.value.key) == ("barcode", "4006381333931")
            with pytest.raises(DuplicateError):
                view.add_shop(Shop("web", channel="shopify"))
            with pytest.raises(DuplicateError):
                view.add_alias(Alias("amazon", "amz-de", "B0MUGSET", "MUG-BLUE"))
            with pytest.raises(AliasCycleError) as cycle:
                view.add_alias(Alias(None, None, "MUG-RED", "MUG-R-OLD"))
            assert cycle.value.path == ("MUG-RED", "MUG-R-OLD", "MUG-RED")
            with pytest.raises(NotFoundError) as no_shop:
                view.add_alias(Alias("ebay", "ebay-uk", "X", "LID"))
            assert (no_shop.value.kind, no_shop.value.key) == ("shop", "ebay-uk")

    def test_a_refused_catalog_write_leaves_the_rest_of_the_unit_to_commit(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, lambda uow: seed_catalog(uow.catalog.view()))

        def work(uow: UnitOfWork) -> None:
            view = uow.catalog.view()
            view.add_sku(Sku("SAUCER"))
            with pytest.raises(UnknownSkuError):
                view.add_bundle(Bundle("CUP-SET", (Component("CUP", 2),)))
            with pytest.raises(DuplicateError):
                view.add_sku(Sku("SAUCER", weight_g=99))
            view.add_alias(Alias("shopify", "web", "saucer", "SAUCER"))

        commit_work(uow_factory, work)

        with uow_factory() as uow:
            view = uow.catalog.view()
            assert view.sku("SAUCER") == Sku("SAUCER")
            assert view.find_bundle("CUP-SET") is None
            assert view.resolve("shopify", "web", "saucer", at=T0) == "SAUCER"

    def test_prefetching_listing_skus_changes_no_answer(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, lambda uow: seed_catalog(uow.catalog.view()))

        with uow_factory() as uow:
            uow.catalog.prefetch(
                [
                    ("amazon", "amz-de", "B0MUGSET"),
                    ("amazon", "amz-de", "B0RED"),
                    ("amazon", "amz-de", "NOPE"),
                ]
            )
            view = uow.catalog.view()
            assert view.resolve("amazon", "amz-de", "B0MUGSET", at=T0) == "MUG-SET"
            assert view.resolve("amazon", "amz-de", "B0RED", at=T0) == "MUG-RED"
            with pytest.raises(UnknownSkuError):
                view.resolve("amazon", "amz-de", "NOPE", at=T0)


# --- stock ----------------------------------------------------------------------------------


def _first_day(uow: UnitOfWork) -> list[Move]:
    """Goods in, a relocation to a bin, a gain, damage and a transfer out."""
    book = uow.stock.book()
    return [
        book.receive("MUG-RED", "SH", 10, at=T0, actor="ann", document="PO-1"),
        book.receive("LID", "SH", 4, at=T0 + HOUR, actor="ann", document="PO-1", damaged=True),
        book.move(
            "MUG-RED",
            "SH/stock",
            "SH/stock/A-01",
            3,
            MoveReason.RELOCATE,
            at=(T0 + 2 * HOUR).astimezone(CST),
            actor="李雷",
            document="",
            note="put away",
        ),
        book.adjust("LID", "SH", 6, at=T0 + 3 * HOUR, actor="ann", note="found behind shelf"),
        book.damage("MUG-RED", "SH", 1, at=T0 + 4 * HOUR, actor="bob", note="chipped"),
        book.transfer_out("MUG-RED", "SH", "SZ", 2, at=T0 + 5 * HOUR, actor="bob", document="TR-1"),
    ]


def _second_day(uow: UnitOfWork) -> list[Move]:
    book = uow.stock.book()
    day = T0 + timedelta(days=1)
    return [
        book.transfer_in("MUG-RED", "SZ", 2, at=day, actor="sz-team", document="TR-1"),
        book.scrap("LID", "SH", 1, at=day + HOUR, actor="ann", note="cracked"),
        book.repair("LID", "SH", 2, at=day + 2 * HOUR, actor="ann"),
        book.adjust("MUG-RED", "SH", -1, at=day + 3 * HOUR, actor="ann", note="lost"),
    ]


def _position(
    sku: str, warehouse: str, on_hand: int, reserved: int, damaged: int, in_transit: int
) -> StockPosition:
    return StockPosition(sku, warehouse, on_hand, reserved, on_hand - reserved, damaged, in_transit)


class StockRepositoryContract(_BackendFixtures):
    """The ledger, balances and reservations persist exactly."""

    def test_warehouses_come_back_with_every_field_in_preference_order(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, lambda uow: seed_warehouses(uow.stock.book()))

        with uow_factory() as uow:
            book = uow.stock.book()
            assert value_state(book.warehouses()) == value_state(
                [
                    Warehouse("SH", name="Shanghai", country="CN"),
                    Warehouse("NEG", name="Drop-ship hub", allow_negative=True, priority=1),
                    Warehouse(
                        "SZ",
                        name="Shenzhen 3PL",
                        kind=WarehouseKind.THIRD_PARTY,
                        priority=2,
                        country="CN",
                    ),
                ]
            )
            assert book.find_warehouse("HK") is None
            with pytest.raises(DuplicateError):
                book.add_warehouse(Warehouse("SH"))

    def test_moves_come_back_in_sequence_order_with_every_field(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        first = commit_work(uow_factory, _first_day)
        second = commit_work(uow_factory, _second_day)

        with uow_factory() as uow:
            stored = list(uow.stock.moves())

        assert value_state(stored) == value_state(first + second)
        seqs = [m.seq for m in stored]
        assert seqs == sorted(set(seqs)), "sequence numbers increase and never repeat"
        assert min(m.seq for m in second) > max(m.seq for m in first)
        for m in stored:
            assert_aware_utc(m.at)
        relocation = stored[2]
        assert (relocation.actor, relocation.note, relocation.reason) == (
            "李雷",
            "put away",
            MoveReason.RELOCATE,
        )
        assert relocation.at == T0 + 2 * HOUR

    def test_balances_are_the_sum_of_the_committed_moves(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        moves = commit_work(uow_factory, _first_day) + commit_work(uow_factory, _second_day)
        ledger = balances_from_moves(moves)

        with uow_factory() as uow:
            book = uow.stock.book()
            for (sku, location), qty in ledger.items():
                assert book.balance(sku, location) == qty, (sku, location)
            # the story in numbers: 10 red mugs in, 1 damaged, 2 sent to SZ, 1 lost
            assert book.position("MUG-RED", "SH") == _position("MUG-RED", "SH", 6, 0, 1, 0)
            assert book.balance("MUG-RED", "SH/stock/A-01") == 3
            assert book.balance("MUG-RED", "SH/stock") == 3
            assert book.position("MUG-RED", "SZ") == _position("MUG-RED", "SZ", 2, 0, 0, 0)
            # 4 damaged lids in, 6 found, 1 scrapped, 2 repaired
            assert book.position("LID", "SH") == _position("LID", "SH", 8, 0, 1, 0)
            assert book.balance("LID", SUPPLIER) == -4
            assert book.balance("LID", ADJUSTMENT) == -5
            assert book.balance("MUG-RED", ADJUSTMENT) == 1
            assert book.balance("MUG-RED", "SZ/transit") == 0
            assert book.on_hand("MUG-BLUE", "SH") == 0

    def test_goods_in_transit_are_counted_until_received(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        commit_work(uow_factory, _first_day)

        with uow_factory() as uow:
            assert uow.stock.book().position("MUG-RED", "SZ") == _position(
                "MUG-RED", "SZ", 0, 0, 0, 2
            )

    def test_reservations_persist_and_follow_release_and_shipment(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)

        def reserve(uow: UnitOfWork) -> None:
            book = uow.stock.book()
            book.receive("MUG-RED", "SH", 10, at=T0, actor="ann")
            book.receive("LID", "SH", 6, at=T0, actor="ann")
            book.reserve("order-A", RICH_REQUIREMENTS, "SH")
            book.reserve("order-B", {(1, "LID"): 1}, "SH")

        commit_work(uow_factory, reserve)

        with uow_factory() as uow:
            book = uow.stock.book()
            assert book.reservations_of("order-A") == {
                (1, "MUG-RED"): Reservation("order-A", 1, "MUG-RED", "SH", 2),
                (1, "LID"): Reservation("order-A", 1, "LID", "SH", 2),
                (2, "MUG-RED"): Reservation("order-A", 2, "MUG-RED", "SH", 3),
            }
            assert (book.reserved("MUG-RED", "SH"), book.available("MUG-RED", "SH")) == (5, 5)
            assert (book.reserved("LID", "SH"), book.available("LID", "SH")) == (3, 3)
            assert book.reservations_at("LID", "SH") == [
                Reservation("order-A", 1, "LID", "SH", 2),
                Reservation("order-B", 1, "LID", "SH", 1),
            ]
            assert book.reservations_at("MUG-RED", "SZ") == []
            book.release("order-A", {(2, "MUG-RED"): 1})
            shipped = book.ship("order-B", at=T0 + HOUR, actor="bob")
            uow.commit()

        with uow_factory() as uow:
            book = uow.stock.book()
            assert book.reservations_of("order-A")[(2, "MUG-RED")].qty == 2
            assert book.reservations_of("order-B") == {}
            assert book.reserved("MUG-RED", "SH") == 4
            assert book.reserved("LID", "SH") == 2
            assert book.on_hand("LID", "SH") == 5
            assert book.balance("LID", CUSTOMER) == 1
            assert list(uow.stock.moves(location=CUSTOMER)) == shipped
            assert shipped[0].document == "order-B"

    def test_a_whole_release_leaves_the_order_holding_nothing(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)

        def reserve(uow: UnitOfWork) -> None:
            book = uow.stock.book()
            book.receive("LID", "SH", 6, at=T0, actor="ann")
            book.reserve("order-A", {(1, "LID"): 4}, "SH")

        commit_work(uow_factory, reserve)
        commit_work(uow_factory, lambda uow: uow.stock.book().release("order-A"))

        with uow_factory() as uow:
            book = uow.stock.book()
            assert book.reservations_of("order-A") == {}
            assert book.reservations_at("LID", "SH") == []
            assert (book.reserved("LID", "SH"), book.available("LID", "SH")) == (0, 6)
            # it may now reserve in another warehouse
            book.reserve("order-A", {(1, "LID"): 1}, "NEG")

    @pytest.mark.parametrize(
        ("sku", "location", "since_seq", "until_hours"),
        [
            ("LID", None, 0, None),
            (None, "SH/damaged", 0, None),
            (None, SUPPLIER, 0, None),
            (None, "SH/stock/A-01", 0, None),
            (None, None, 3, None),
            (None, None, 0, 3),
            ("MUG-RED", "SH/stock", 1, 26),
            ("NOPE", None, 0, None),
            (None, "XX/stock", 0, None),
            (None, None, 999, None),
            (None, None, 0, -1),
        ],
    )
    def test_moves_can_be_filtered_by_sku_location_sequence_and_time(
        self,
        uow_factory: UowFactory,
        sku: str | None,
        location: str | None,
        since_seq: int,
        until_hours: int | None,
    ) -> None:
        commit_work(uow_factory, seed)
        committed = commit_work(uow_factory, _first_day) + commit_work(uow_factory, _second_day)
        until = None if until_hours is None else T0 + until_hours * HOUR
        # the port's rule: sequence order; the SKU; a location the move leaves
        # or enters; after since_seq (exclusive); at or before until (inclusive)
        expected = [
            m
            for m in committed
            if (sku is None or m.sku == sku)
            and (location is None or location in (m.source, m.dest))
            and m.seq > since_seq
            and (until is None or m.at <= until)
        ]

        with uow_factory() as uow:
            found = list(
                uow.stock.moves(sku=sku, location=location, since_seq=since_seq, until=until)
            )

        assert value_state(found) == value_state(expected)

    def test_history_reads_only_committed_moves(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        first = commit_work(uow_factory, _first_day)

        with uow_factory() as uow:
            _second_day(uow)
            assert list(uow.stock.moves()) == first

    def test_a_snapshot_is_a_complete_copy_that_passes_the_invariant_checks(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        moves = commit_work(uow_factory, _first_day) + commit_work(uow_factory, _second_day)

        def reserve(uow: UnitOfWork) -> None:
            uow.stock.book().reserve("order-A", {(1, "LID"): 2, (2, "MUG-RED"): 1}, "SH")

        commit_work(uow_factory, reserve)

        with uow_factory() as uow:
            snapshot = uow.stock.snapshot()

        check_invariants(snapshot)
        ledger = balances_from_moves(moves)
        expected_warehouses = StockBook(StockState())
        seed_warehouses(expected_warehouses)
        assert stock_state(snapshot) == {
            "warehouses": value_state(
                sorted(expected_warehouses.warehouses(), key=lambda w: w.code)
            ),
            "moves": value_state(moves),
            "on_hand": value_state(ledger),
            "sellable": value_state(sellable_from_balances(ledger)),
            "reserved": value_state({("LID", "SH"): 2, ("MUG-RED", "SH"): 1}),
            "reservations": value_state(
                {
                    "order-A": {
                        (1, "LID"): Reservation("order-A", 1, "LID", "SH", 2),
                        (2, "MUG-RED"): Reservation("order-A", 2, "MUG-RED", "SH", 1),
                    }
                }
            ),
            "closed_until": value_state(None),
        }

    def test_a_snapshot_does_not_change_when_the_books_do(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        commit_work(uow_factory, _first_day)
        with uow_factory() as uow:
            snapshot = uow.stock.snapshot()
        taken = stock_state(snapshot)

        commit_work(uow_factory, _second_day)
        commit_work(
            uow_factory, lambda uow: uow.stock.book().reserve("o", {(1, "MUG-RED"): 1}, "SH")
        )

        assert stock_state(snapshot) == taken
        snapshot.moves.clear()
        snapshot.on_hand.clear()
        snapshot.reservations.clear()
        with uow_factory() as uow:
            again = uow.stock.snapshot()
            assert len(again.moves) == 10
            assert uow.stock.book().on_hand("MUG-RED", "SH") == 6
            assert uow.stock.book().reserved("MUG-RED", "SH") == 1
        check_invariants(again)

    def test_a_snapshot_leaves_out_uncommitted_work(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        commit_work(uow_factory, _first_day)
        with uow_factory() as uow:
            committed = stock_state(uow.stock.snapshot())

        with uow_factory() as uow:
            _second_day(uow)
            uow.stock.book().add_warehouse(Warehouse("HK"))
            assert stock_state(uow.stock.snapshot()) == committed

    def test_the_ledger_check_finds_nothing_wrong_with_books_kept_by_the_rules(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        commit_work(uow_factory, _first_day)

        def reserve_and_ship(uow: UnitOfWork) -> None:
            book = uow.stock.book()
            book.reserve("order-A", {(1, "MUG-RED"): 2, (2, "LID"): 1}, "SH")
            book.reserve("order-B", {(1, "MUG-RED"): 1}, "SH")
            book.ship("order-B", at=T0 + 6 * HOUR, actor="bob")

        commit_work(uow_factory, reserve_and_ship)
        commit_work(uow_factory, _second_day)
        with uow_factory() as uow:
            before = stock_state(uow.stock.snapshot())
            assert uow.stock.verify() == []

        assert commit_work(uow_factory, lambda uow: uow.stock.rebuild()) == 0

        with uow_factory() as uow:
            assert stock_state(uow.stock.snapshot()) == before
            assert uow.stock.verify() == []

    def test_a_closed_period_persists_and_refuses_back_dated_moves(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        closing = datetime(2026, 3, 1, 8, 0, tzinfo=CST)
        commit_work(uow_factory, lambda uow: uow.stock.book().close_period(closing))

        with uow_factory() as uow:
            book = uow.stock.book()
            assert book.closed_until == closing
            assert_aware_utc(book.closed_until)
            assert uow.stock.snapshot().closed_until == closing
            with pytest.raises(ClosedPeriodError):
                book.receive("LID", "SH", 1, at=closing - HOUR, actor="ann")
            book.receive("LID", "SH", 1, at=closing, actor="ann")

    def test_negative_stock_where_a_warehouse_allows_it_persists(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)

        def oversell(uow: UnitOfWork) -> list[Move]:
            book = uow.stock.book()
            book.receive("LID", "NEG", 1, at=T0, actor="ann")
            book.reserve("order-A", {(1, "LID"): 3}, "NEG")
            return book.ship("order-A", at=T0, actor="bob")

        commit_work(uow_factory, oversell)

        with uow_factory() as uow:
            book = uow.stock.book()
            assert book.on_hand("LID", "NEG") == -2
            assert book.balance("LID", "NEG/stock") == -2
            assert book.balance("LID", CUSTOMER) == 3
            snapshot = uow.stock.snapshot()
        check_invariants(snapshot)

    def test_a_refused_stock_operation_leaves_the_rest_of_the_unit_to_commit(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)

        def work(uow: UnitOfWork) -> None:
            book = uow.stock.book()
            book.receive("LID", "SH", 5, at=T0, actor="ann")
            book.reserve("order-A", {(1, "LID"): 4}, "SH")
            with pytest.raises(InsufficientStockError) as short:
                book.adjust("LID", "SH", -2, at=T0, actor="ann", note="lost")
            assert (short.value.requested, short.value.available) == (2, 1)
            with pytest.raises(InsufficientStockError):
                book.reserve("order-B", {(1, "LID"): 1, (2, "MUG-RED"): 1}, "SH")
            book.reserve("order-C", {(1, "LID"): 1}, "SH")

        commit_work(uow_factory, work)

        with uow_factory() as uow:
            book = uow.stock.book()
            assert (book.on_hand("LID", "SH"), book.reserved("LID", "SH")) == (5, 5)
            assert book.reservations_of("order-B") == {}
            assert len(uow.stock.moves()) == 1
            snapshot = uow.stock.snapshot()
        check_invariants(snapshot)

    # --- closed periods, as-of and the stock report ------------------------------------

    def test_closing_a_period_snapshots_every_balance_at_its_end(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        moves = commit_work(uow_factory, _first_day)
        closings = [T0 + 3 * HOUR, T0 + 3 * HOUR, T0 + 30 * HOUR]

        def close(until: datetime) -> Callable[[UnitOfWork], None]:
            return lambda uow: uow.stock.book().close_period(until)

        for closing in closings[:2]:  # closing twice at one moment changes nothing
            commit_work(uow_factory, close(closing))
        moves += commit_work(uow_factory, _second_day)
        commit_work(uow_factory, lambda uow: uow.stock.book().close_period(closings[2]))

        with uow_factory() as uow:
            snapshot = uow.stock.snapshot()
        check_invariants(snapshot)
        # the independent model: each period sums the moves dated before its end
        assert {until: dict(b) for until, b in snapshot.periods.items()} == {
            until: balances_from_moves(m for m in moves if m.at < until)
            for until in (closings[0], closings[2])
        }

    def test_on_hand_at_any_moment_equals_replaying_the_ledger_up_to_it(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        committed = commit_work(uow_factory, _first_day)
        first_close = T0 + 3 * HOUR  # between the first day's moves
        commit_work(uow_factory, lambda uow: uow.stock.book().close_period(first_close))

        def back_dated(uow: UnitOfWork) -> list[Move]:
            """Booked after the close, dated before moves already booked
            (but not before the closed date), one exactly at it."""
            book = uow.stock.book()
            return [
                book.move(
                    "MUG-RED",
                    "SH/stock",
                    "SH/stock/B-02",
                    2,
                    MoveReason.RELOCATE,
                    at=first_close,
                    actor="ann",
                ),
                book.receive("LID", "SZ", 5, at=first_close + HOUR / 2, actor="ann"),
                book.adjust("MUG-RED", "SH", 4, at=T0 + 4 * HOUR, actor="ann", note="found"),
            ]

        committed += commit_work(uow_factory, back_dated)
        committed += commit_work(uow_factory, _second_day)
        second_close = T0 + timedelta(days=1, minutes=90)  # in the second day
        commit_work(uow_factory, lambda uow: uow.stock.book().close_period(second_close))

        def later(uow: UnitOfWork) -> list[Move]:
            book = uow.stock.book()
            return [
                book.move(
                    "MUG-RED",
                    "SH/stock/A-01",
                    "SH/stock",
                    1,
                    MoveReason.RELOCATE,
                    at=second_close,
                    actor="bob",
                ),
                book.receive("MUG-RED", "SZ", 3, at=second_close + HOUR, actor="bob"),
                book.transfer_out(
                    "MUG-RED", "SH", "SZ", 1, at=T0 + 3 * 24 * HOUR, actor="bob", document="TR-2"
                ),
            ]

        committed += commit_work(uow_factory, later)
        moments = sorted(
            {m.at for m in committed} | {first_close, second_close, T0 - timedelta(microseconds=1)}
        )
        moments += [t + timedelta(microseconds=1) for t in moments] + [T0 + 365 * 24 * HOUR]

        def replayed(sku: str, warehouse: str | None, at: datetime) -> int:
            def counts(location: str) -> bool:
                home, _, rest = location.partition("/")
                kind = rest.split("/")[0]
                return kind == "stock" and warehouse in (None, home)

            return sum(
                (m.qty if counts(m.dest) else 0) - (m.qty if counts(m.source) else 0)
                for m in committed
                if m.sku == sku and m.at <= at
            )

        with uow_factory() as uow:
            stock = uow.stock
            for sku in ("MUG-RED", "LID", "MUG-BLUE"):
                for warehouse in ("SH", "SZ", "NEG", None):
                    for at in moments:
                        expected = replayed(sku, warehouse, at)
                        assert stock.on_hand_at(sku, warehouse, at) == expected, (
                            sku,
                            warehouse,
                            at,
                        )
            # a moment in another time zone is the same moment
            assert stock.on_hand_at("MUG-RED", "SH", (T0 + HOUR).astimezone(CST)) == 10
            # before any move there is nothing; now, the book says the same as history
            assert stock.on_hand_at("MUG-RED", None, T0 - HOUR) == 0
            book = stock.book()
            for sku in ("MUG-RED", "LID"):
                for warehouse in ("SH", "SZ"):
                    assert stock.on_hand_at(sku, warehouse, T0 + 999 * HOUR) == book.on_hand(
                        sku, warehouse
                    )

    def test_on_hand_at_reads_committed_moves_only(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        commit_work(uow_factory, _first_day)

        with uow_factory() as uow:
            uow.stock.book().receive("MUG-RED", "SH", 50, at=T0, actor="ann")
            uow.stock.book().close_period(T0 + 2 * HOUR)
            assert uow.stock.on_hand_at("MUG-RED", "SH", T0 + HOUR) == 10
            assert uow.stock.report(at=T0 + HOUR) == [StockLine("MUG-RED", "SH", 10, 0, 10)]

        with uow_factory() as uow:  # the abandoned close left no period behind
            assert uow.stock.snapshot().periods == {}
            assert uow.stock.on_hand_at("MUG-RED", "SH", T0 + HOUR) == 10

    def test_as_of_reads_refuse_naive_moments_and_unknown_warehouses(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        naive = datetime(2026, 3, 2, 9, 0)  # noqa: DTZ001 - the bad input under test

        with uow_factory() as uow:
            stock = uow.stock
            with pytest.raises(ValidationError):
                stock.on_hand_at("MUG-RED", "SH", naive)
            with pytest.raises(ValidationError):
                stock.report(at=naive)
            with pytest.raises(NotFoundError):
                stock.on_hand_at("MUG-RED", "HK", T0)
            with pytest.raises(NotFoundError):
                stock.report("HK")
            with pytest.raises(NotFoundError):
                stock.report("HK", at=T0)

    def test_the_stock_report_lists_each_sku_and_warehouse_with_stock(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        moves = commit_work(uow_factory, _first_day) + commit_work(uow_factory, _second_day)

        def reserve(uow: UnitOfWork) -> list[Move]:
            book = uow.stock.book()
            received = book.receive("MUG-BLUE", "NEG", 1, at=T0, actor="ann")
            book.reserve("order-A", {(1, "LID"): 2, (2, "MUG-RED"): 1}, "SH")
            book.reserve("order-B", {(1, "MUG-BLUE"): 3}, "NEG")  # negative stock allowed
            book.reserve("order-C", {(1, "LID"): 1}, "SH")
            return [received, *book.ship("order-C", at=T0 + 30 * HOUR, actor="bob")]

        moves += commit_work(uow_factory, reserve)
        # independent model: on hand from the moves, reserved from what was reserved
        on_hand = sellable_from_balances(balances_from_moves(moves))
        reserved = {("LID", "SH"): 2, ("MUG-RED", "SH"): 1, ("MUG-BLUE", "NEG"): 3}
        expected = [
            StockLine(
                sku,
                wh,
                on_hand.get((sku, wh), 0),
                reserved.get((sku, wh), 0),
                on_hand.get((sku, wh), 0) - reserved.get((sku, wh), 0),
            )
            for sku, wh in sorted(set(on_hand) | set(reserved))
        ]
        assert [(line.sku, line.warehouse) for line in expected] == [
            ("LID", "SH"),
            ("MUG-BLUE", "NEG"),
            ("MUG-RED", "SH"),
            ("MUG-RED", "SZ"),
        ]

        with uow_factory() as uow:
            assert uow.stock.report() == expected
            assert uow.stock.report("SH") == [line for line in expected if line.warehouse == "SH"]
            assert uow.stock.report("SZ") == [StockLine("MUG-RED", "SZ", 2, 0, 2)]

    def test_the_stock_report_as_of_a_past_moment_shows_on_hand_then(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        moves = commit_work(uow_factory, _first_day)
        commit_work(uow_factory, lambda uow: uow.stock.book().close_period(T0 + 3 * HOUR))
        moves += commit_work(uow_factory, _second_day)
        commit_work(
            uow_factory, lambda uow: uow.stock.book().reserve("order-A", {(1, "LID"): 2}, "SH")
        )

        def expected(at: datetime, warehouse: str | None = None) -> list[StockLine]:
            on_hand = sellable_from_balances(balances_from_moves(m for m in moves if m.at <= at))
            return [
                StockLine(sku, wh, qty, 0, qty)
                for (sku, wh), qty in sorted(on_hand.items())
                if warehouse in (None, wh)
            ]

        with uow_factory() as uow:
            for at in sorted({m.at for m in moves} | {T0 + 3 * HOUR}):
                assert uow.stock.report(at=at) == expected(at), at
                assert uow.stock.report("SH", at=at) == expected(at, "SH"), at
            assert uow.stock.report(at=T0 - HOUR) == []
            assert uow.stock.report(at=T0 + 5 * HOUR)[0] == StockLine("LID", "SH", 6, 0, 6)


# --- orders ----------------------------------------------------------------------------------


class OrderRepositoryContract(_BackendFixtures):
    """Orders persist whole: lines, requirements, history and audit trail."""

    def test_an_order_comes_back_equal_to_what_was_stored(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)

        def add(uow: UnitOfWork) -> object:
            order = add_order(uow, rich_channel_order(), at=T0.astimezone(CST))
            order.set_shipping_service("DHL-PAKET", at=T0, actor="rules")
            return order_state(order)

        stored = commit_work(uow_factory, add)

        with uow_factory() as uow:
            order = uow.orders.get("amazon/amz-de/302-1234567-7654321")
            assert order_state(order) == stored
            assert order.requirements == RICH_REQUIREMENTS
            assert order.ordered_at == datetime(2026, 3, 2, 9, 45, 1, 250000, tzinfo=UTC)
            for moment in (order.ordered_at, order.updated_at, *(h.at for h in order.history)):
                assert_aware_utc(moment)
            # 24.90 - 2.50 + 3 x 9.995 = 52.385, rounded half-up
            assert order.total() == eur("52.39")
            assert order.lines[1] == OrderLine(
                2, "B0RED", 3, eur("9.995"), eur("0.00"), "Tasse rot"
            )
            assert order.collect_events() == []

    def test_an_unknown_order_is_not_found(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            assert uow.orders.find("shopify/web/404") is None
            with pytest.raises(NotFoundError) as err:
                uow.orders.get("shopify/web/404")
            assert (err.value.kind, err.value.key) == ("order", "shopify/web/404")
            assert uow.orders.find_many(["shopify/web/404"]) == {}
            assert uow.orders.find_by_keys([("shopify", "web", "404")]) == {}
            assert uow.orders.count() == 0

    def test_orders_are_found_many_at_a_time_among_committed_and_new(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        commit_work(uow_factory, lambda uow: add_order(uow, channel_order("1001")))

        with uow_factory() as uow:
            new = add_order(uow, channel_order("1002"))
            found = uow.orders.find_many(["shopify/web/1001", "shopify/web/404", new.id])
            assert sorted(found) == ["shopify/web/1001", "shopify/web/1002"]
            assert found[new.id] is new
            assert found["shopify/web/1001"].external_id == "1001"
            by_key = uow.orders.find_by_keys(
                [("shopify", "web", "1001"), ("shopify", "web", "1002"), ("amazon", "web", "1001")]
            )
            assert sorted(by_key) == [("shopify", "web", "1001"), ("shopify", "web", "1002")]
            assert by_key[("shopify", "web", "1002")] is new
            assert by_key[("shopify", "web", "1001")] is found["shopify/web/1001"]

    def test_ids_by_status_are_sorted_and_include_this_units_changes(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)

        def orders(uow: UnitOfWork) -> None:
            for ext in ("1003", "1001", "1002"):
                add_order(uow, channel_order(ext))
            add_order(uow, channel_order("2001", paid=False))

        commit_work(uow_factory, orders)

        with uow_factory() as uow:
            repo = uow.orders
            assert repo.ids_with_status([OrderStatus.READY]) == [
                "shopify/web/1001",
                "shopify/web/1002",
                "shopify/web/1003",
            ]
            assert repo.ids_with_status({OrderStatus.UNPAID, OrderStatus.CANCELLED}) == [
                "shopify/web/2001"
            ]
            assert repo.ids_with_status([]) == []
            repo.get("shopify/web/1002").cancel(at=T0, actor="ann")
            add_order(uow, channel_order("1000"))
            assert repo.ids_with_status([OrderStatus.READY]) == [
                "shopify/web/1000",
                "shopify/web/1001",
                "shopify/web/1003",
            ]
            assert repo.ids_with_status([OrderStatus.CANCELLED]) == ["shopify/web/1002"]
            uow.commit()

        with uow_factory() as uow:
            assert uow.orders.ids_with_status([OrderStatus.CANCELLED]) == ["shopify/web/1002"]
            assert len(uow.orders.ids_with_status(ALL_STATUSES)) == 5

    def test_ids_needing_finds_orders_in_a_status_that_need_any_of_the_skus(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)

        def orders(uow: UnitOfWork) -> None:
            for ext, listing in (("A", "MUG-RED"), ("B", "LID"), ("C", "MUG-SET"), ("D", "LID")):
                order = add_order(uow, channel_order(ext, (listing, 1, "5.00")))
                if ext != "D":
                    order.wait([listing], at=T0, actor="allocator")

        commit_work(uow_factory, orders)

        with uow_factory() as uow:
            repo = uow.orders
            waiting = {OrderStatus.WAITING}
            # C is a set: two red mugs and two lids
            assert repo.ids_needing({"LID"}, waiting) == ["shopify/web/B", "shopify/web/C"]
            assert repo.ids_needing({"MUG-RED"}, waiting) == ["shopify/web/A", "shopify/web/C"]
            assert repo.ids_needing({"LID"}, {OrderStatus.READY}) == ["shopify/web/D"]
            assert repo.ids_needing({"MUG-BLUE"}, waiting) == []
            assert repo.ids_needing(set(), waiting) == []
            repo.get("shopify/web/B").cancel(at=T0, actor="ann")
            new = add_order(uow, channel_order("E", ("LID", 1, "5.00")))
            new.wait(["LID"], at=T0, actor="allocator")
            assert repo.ids_needing({"LID"}, waiting) == ["shopify/web/C", "shopify/web/E"]

    def test_the_queue_serves_highest_priority_then_oldest_then_by_id(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        later = T0 + timedelta(hours=1)

        def orders(uow: UnitOfWork) -> None:
            add_order(uow, channel_order("late", ordered_at=later))
            add_order(uow, channel_order("early-b"))
            add_order(uow, channel_order("early-a"))
            urgent = add_order(uow, channel_order("urgent", ordered_at=later))
            urgent.route(rule="vip", warehouse=None, service=None, priority=5, at=T0, actor="rules")
            add_order(uow, channel_order("unpaid", paid=False))

        commit_work(uow_factory, orders)

        with uow_factory() as uow:
            repo = uow.orders
            ready = {OrderStatus.READY}
            assert repo.queue(ready) == [
                "shopify/web/urgent",
                "shopify/web/early-a",
                "shopify/web/early-b",
                "shopify/web/late",
            ]
            # this unit's changes count: a raised priority, a cancelled order
            repo.get("shopify/web/late").route(
                rule="vip", warehouse=None, service=None, priority=9, at=T0, actor="rules"
            )
            repo.get("shopify/web/early-a").cancel(at=T0, actor="ann")
            assert repo.queue(ready) == [
                "shopify/web/late",
                "shopify/web/urgent",
                "shopify/web/early-b",
            ]
            uow.commit()

        with uow_factory() as uow:
            assert uow.orders.queue({OrderStatus.READY})[0] == "shopify/web/late"
            assert uow.orders.queue({OrderStatus.UNPAID}) == ["shopify/web/unpaid"]
            assert uow.orders.queue(()) == []

    def test_ids_needing_follows_committed_changes_of_an_orders_lines(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)

        def orders(uow: UnitOfWork) -> None:
            add_order(uow, channel_order("A", ("LID", 1, "5.00"))).wait(
                ["LID"], at=T0, actor="allocator"
            )

        commit_work(uow_factory, orders)

        def swap(uow: UnitOfWork) -> None:
            order = uow.orders.get("shopify/web/A")
            line = OrderLine(1, "MUG-RED", 1, eur("9.90"), eur("0.00"))
            requirements = uow.catalog.view().requirements("shopify", "web", [line], at=T0)
            order.replace_lines([line], requirements, at=T0, actor="ann")

        commit_work(uow_factory, swap)

        with uow_factory() as uow:
            waiting = {OrderStatus.WAITING}
            assert uow.orders.ids_needing({"LID"}, waiting) == []
            assert uow.orders.ids_needing({"MUG-RED"}, waiting) == ["shopify/web/A"]

    def test_the_count_includes_orders_added_in_this_unit(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        commit_work(uow_factory, lambda uow: add_order(uow, channel_order("1001")))

        with uow_factory() as uow:
            assert uow.orders.count() == 1
            add_order(uow, channel_order("1002"))
            add_order(uow, channel_order("1003"))
            assert uow.orders.count() == 3

        with uow_factory() as uow:
            assert uow.orders.count() == 1

    def test_adding_an_order_twice_is_refused(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, seed)
        before = commit_work(
            uow_factory, lambda uow: order_state(add_order(uow, channel_order("1001")))
        )

        with uow_factory() as uow:
            with pytest.raises(DuplicateError) as committed_twice:
                add_order(uow, channel_order("1001", ("LID", 5, "1.00")))
            assert (committed_twice.value.kind, committed_twice.value.key) == (
                "order",
                "shopify/web/1001",
            )
            add_order(uow, channel_order("1002"))
            with pytest.raises(DuplicateError) as added_twice:
                add_order(uow, channel_order("1002", ("LID", 5, "1.00")))
            assert added_twice.value.key == "shopify/web/1002"
            assert uow.orders.count() == 2
            uow.commit()

        with uow_factory() as uow:
            assert order_state(uow.orders.get("shopify/web/1001")) == before
            assert uow.orders.get("shopify/web/1002").lines[0].listing_sku == "MUG-RED"
            assert uow.orders.count() == 2

    @pytest.mark.parametrize("how", ENDINGS)
    def test_an_order_changed_in_an_abandoned_unit_is_unchanged_when_reloaded(
        self, uow_factory: UowFactory, how: str
    ) -> None:
        commit_work(uow_factory, seed)
        stored = commit_work(
            uow_factory, lambda uow: order_state(add_order(uow, rich_channel_order()))
        )
        oid = "amazon/amz-de/302-1234567-7654321"

        def meddle(uow: UnitOfWork) -> None:
            order = uow.orders.get(oid)
            order.hold(["address check"], at=T0, actor="ann")
            order.change_address(Address(name="Somebody else"), at=T0, actor="ann")
            order.tags.add("meddled")
            order.requirements[(9, "LID")] = 1
            order.lines.pop()
            order.history.clear()

        end_without_commit(uow_factory, meddle, how)

        with uow_factory() as uow:
            assert order_state(uow.orders.get(oid)) == stored

    def test_orders_handed_out_later_reflect_every_committed_change(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        oid = "shopify/web/1001"
        commit_work(uow_factory, lambda uow: add_order(uow, channel_order("1001", paid=False)))
        steps: list[Callable[[Order], None]] = [
            lambda o: o.mark_paid(at=T0 + HOUR, actor="paypal", amount=eur("19.80")),
            lambda o: o.hold(["buyer note", "new buyer"], at=T0 + 2 * HOUR, actor="rules"),
            lambda o: o.release_hold(at=T0 + 3 * HOUR, actor="ann"),
            lambda o: o.change_address(
                Address("Li Lei", "1 Nanjing Rd", city="上海", country="CN"),
                at=T0 + 4 * HOUR,
                actor="ann",
            ),
            lambda o: o.replace_lines(
                [
                    OrderLine(1, "MUG-RED", 3, eur("9.90"), eur("1.00")),
                    OrderLine(2, "LID", 1, eur("2"), eur("0")),
                ],
                {(1, "MUG-RED"): 3, (2, "LID"): 1},
                at=T0 + 5 * HOUR,
                actor="ann",
            ),
            lambda o: o.set_shipping_service("SF-EXPRESS", at=T0 + 6 * HOUR, actor="rules"),
            lambda o: o.wait(["MUG-RED"], at=T0 + 7 * HOUR, actor="allocator"),
            lambda o: o.allocate("SH", at=T0 + 8 * HOUR, actor="allocator"),
            lambda o: o.start_picking(at=T0 + 9 * HOUR, actor="picker"),
            lambda o: o.ship(at=T0 + 10 * HOUR, actor="packer", tracking="SF1234567890"),
        ]

        for step in steps:

            def change(uow: UnitOfWork, step: Callable[[Order], None] = step) -> object:
                order = uow.orders.get(oid)
                step(order)
                return order_state(order)

            expected = commit_work(uow_factory, change)
            with uow_factory() as uow:
                assert order_state(uow.orders.get(oid)) == expected

        with uow_factory() as uow:
            order = uow.orders.get(oid)
            assert [(h.from_, h.to, h.actor) for h in order.history] == [
                (OrderStatus.NEW, OrderStatus.UNPAID, "import"),
                (OrderStatus.UNPAID, OrderStatus.READY, "paypal"),
                (OrderStatus.READY, OrderStatus.ON_HOLD, "rules"),
                (OrderStatus.ON_HOLD, OrderStatus.READY, "ann"),
                (OrderStatus.READY, OrderStatus.WAITING, "allocator"),
                (OrderStatus.WAITING, OrderStatus.ALLOCATED, "allocator"),
                (OrderStatus.ALLOCATED, OrderStatus.PICKING, "picker"),
                (OrderStatus.PICKING, OrderStatus.SHIPPED, "packer"),
            ]
            assert [(c.field, c.actor) for c in order.changes] == [
                ("payment", "paypal"),
                ("address", "ann"),
                ("lines", "ann"),
                ("shipping_service", "rules"),
            ]
            assert order.history[2].note == "buyer note; new buyer"
            assert order.paid_amount == eur("19.80")
            assert (order.warehouse, order.tracking) == ("SH", "SF1234567890")
            assert order.requirements == {(1, "MUG-RED"): 3, (2, "LID"): 1}
            assert uow.orders.ids_with_status([OrderStatus.SHIPPED]) == [oid]

    def test_an_order_kept_after_its_unit_ended_cannot_change_what_is_stored(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, seed)
        uow = uow_factory()
        with uow:
            kept = add_order(uow, channel_order("1001"))
            uow.commit()
        stored = order_state(kept)

        kept.tags.add("scribbled")
        kept.cancel(at=T0, actor="nobody")

        with uow_factory() as later:
            assert order_state(later.orders.get(kept.id)) == stored
            assert later.orders.ids_with_status([OrderStatus.READY]) == [kept.id]


# --- documents ---------------------------------------------------------------------------------


def _stock_for_documents(uow: UnitOfWork) -> None:
    seed(uow)
    book = uow.stock.book()
    book.receive("MUG-RED", "SH", 10, at=T0, actor="ann")
    book.receive("LID", "SH", 6, at=T0, actor="ann")
    book.receive("LID", "SH", 2, at=T0, actor="ann", damaged=True)


class DocumentRepositoryContract(_BackendFixtures):
    """Stocktakes and transfers round-trip with everything they hold."""

    def test_a_stocktake_comes_back_with_its_snapshot_counts_and_status(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, _stock_for_documents)

        def start(uow: UnitOfWork) -> object:
            book = uow.stock.book()
            stocktake = Stocktake.start(
                "ST-1", "SH", ["MUG-RED", "LID", "MUG-BLUE"], book, at=T0.astimezone(CST)
            )
            stocktake.count("MUG-RED", 9)
            stocktake.count("MUG-BLUE", 0)
            uow.documents.add_stocktake(stocktake)
            return value_state(stocktake)

        stored = commit_work(uow_factory, start)

        with uow_factory() as uow:
            stocktake = uow.documents.find_stocktake("ST-1")
            assert stocktake is not None
            assert value_state(stocktake) == stored
            assert stocktake.snapshot == {
                ("LID", "SH/stock"): 6,
                ("MUG-BLUE", "SH/stock"): 0,
                ("MUG-RED", "SH/stock"): 10,
            }
            assert stocktake.status is StocktakeStatus.COUNTING
            assert_aware_utc(stocktake.started_at)
            stocktake.count("LID", 7)
            stocktake.post(uow.stock.book(), at=T0 + HOUR, actor="ann")
            posted = value_state(stocktake)
            uow.commit()

        with uow_factory() as uow:
            stocktake = uow.documents.find_stocktake("ST-1")
            assert stocktake is not None
            assert value_state(stocktake) == posted
            assert stocktake.status is StocktakeStatus.POSTED
            book = uow.stock.book()
            assert (book.on_hand("MUG-RED", "SH"), book.on_hand("LID", "SH")) == (9, 7)

    def test_a_transfer_comes_back_with_its_lines_receipts_and_status(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, _stock_for_documents)

        def send(uow: UnitOfWork) -> object:
            transfer = Transfer("TR-1", "SH", "SZ", {"MUG-RED": 4, "LID": 2})
            uow.documents.add_transfer(transfer)
            transfer.dispatch(uow.stock.book(), at=T0, actor="ann")
            return value_state(transfer)

        sent = commit_work(uow_factory, send)

        with uow_factory() as uow:
            transfer = uow.documents.find_transfer("TR-1")
            assert transfer is not None
            assert value_state(transfer) == sent
            assert transfer.status is TransferStatus.IN_TRANSIT
            transfer.receive(uow.stock.book(), {"MUG-RED": 3}, at=T0 + HOUR, actor="sz")
            partial = value_state(transfer)
            uow.commit()

        with uow_factory() as uow:
            transfer = uow.documents.find_transfer("TR-1")
            assert transfer is not None
            assert value_state(transfer) == partial
            assert transfer.received == {"MUG-RED": 3}
            assert transfer.outstanding() == {"LID": 2, "MUG-RED": 1}
            assert transfer.status is TransferStatus.PARTIAL
            assert uow.stock.book().position("MUG-RED", "SZ").in_transit == 1

    def test_transfers_are_listed_by_id_with_those_of_this_unit(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, _stock_for_documents)
        commit_work(
            uow_factory,
            lambda uow: [
                uow.documents.add_transfer(Transfer(tid, "SH", "SZ", {"LID": 1}))
                for tid in ("TR-3", "TR-1")
            ],
        )

        with uow_factory() as uow:
            uow.documents.add_transfer(Transfer("TR-2", "SZ", "SH", {"MUG-RED": 1}))
            assert [t.id for t in uow.documents.transfers()] == ["TR-1", "TR-2", "TR-3"]

        with uow_factory() as uow:
            assert [t.id for t in uow.documents.transfers()] == ["TR-1", "TR-3"]
            assert all(t.status is TransferStatus.DRAFT for t in uow.documents.transfers())

    def test_document_ids_are_unique(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, _stock_for_documents)

        def documents(uow: UnitOfWork) -> None:
            book = uow.stock.book()
            uow.documents.add_stocktake(Stocktake.start("ST-1", "SH", ["LID"], book, at=T0))
            uow.documents.add_transfer(Transfer("TR-1", "SH", "SZ", {"LID": 1}))

        commit_work(uow_factory, documents)

        with uow_factory() as uow:
            book = uow.stock.book()
            with pytest.raises(DuplicateError) as st:
                uow.documents.add_stocktake(Stocktake.start("ST-1", "SZ", ["LID"], book, at=T0))
            assert (st.value.kind, st.value.key) == ("stocktake", "ST-1")
            with pytest.raises(DuplicateError) as tr:
                uow.documents.add_transfer(Transfer("TR-1", "SZ", "SH", {"LID": 1}))
            assert (tr.value.kind, tr.value.key) == ("transfer", "TR-1")
            uow.documents.add_transfer(Transfer("TR-2", "SH", "SZ", {"LID": 1}))
            with pytest.raises(DuplicateError):
                uow.documents.add_transfer(Transfer("TR-2", "SH", "SZ", {"LID": 2}))

    def test_unknown_documents_are_not_found(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            assert uow.documents.find_stocktake("ST-404") is None
            assert uow.documents.find_transfer("TR-404") is None
            assert list(uow.documents.transfers()) == []

    @pytest.mark.parametrize("how", ENDINGS)
    def test_a_document_changed_in_an_abandoned_unit_is_unchanged_when_reloaded(
        self, uow_factory: UowFactory, how: str
    ) -> None:
        commit_work(uow_factory, _stock_for_documents)

        def documents(uow: UnitOfWork) -> None:
            book = uow.stock.book()
            uow.documents.add_stocktake(Stocktake.start("ST-1", "SH", ["LID"], book, at=T0))
            transfer = Transfer("TR-1", "SH", "SZ", {"LID": 2})
            uow.documents.add_transfer(transfer)
            transfer.dispatch(book, at=T0, actor="ann")

        commit_work(uow_factory, documents)
        before = dump(uow_factory, stocktakes=["ST-1"])

        def meddle(uow: UnitOfWork) -> None:
            stocktake = uow.documents.find_stocktake("ST-1")
            transfer = uow.documents.find_transfer("TR-1")
            assert stocktake is not None
            assert transfer is not None
            stocktake.count("LID", 3)
            stocktake.post(uow.stock.book(), at=T0, actor="ann")
            transfer.receive(uow.stock.book(), {"LID": 2}, at=T0, actor="sz")

        end_without_commit(uow_factory, meddle, how)

        assert dump(uow_factory, stocktakes=["ST-1"]) == before

    def test_a_document_kept_after_its_unit_ended_cannot_change_what_is_stored(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, _stock_for_documents)
        with uow_factory() as uow:
            transfer = Transfer("TR-1", "SH", "SZ", {"LID": 2})
            uow.documents.add_transfer(transfer)
            stocktake = Stocktake.start("ST-1", "SH", ["LID"], uow.stock.book(), at=T0)
            uow.documents.add_stocktake(stocktake)
            uow.commit()
        stored = dump(uow_factory, stocktakes=["ST-1"])

        transfer.lines["MUG-RED"] = 99
        stocktake.count("LID", 0)

        assert dump(uow_factory, stocktakes=["ST-1"]) == stored


# --- everything ----------------------------------------------------------------------------------

from ecerp.testing.queue_contracts import OrderQueueContract  # noqa: E402  (it builds on the above)


class BackendContract(
    OrderIdentityContract,
    UnitOfWorkContract,
    CatalogRepositoryContract,
    StockRepositoryContract,
    OrderRepositoryContract,
    DocumentRepositoryContract,
    OrderQueueContract,
    SettingsRepositoryContract,
):
    """Every persistence contract at once: subclass it, override ``uow_factory``."""


__all__ = [
    "ALL_STATUSES",
    "BackendContract",
    "CatalogRepositoryContract",
    "DocumentRepositoryContract",
    "OrderRepositoryContract",
    "RICH_REQUIREMENTS",
    "StockRepositoryContract",
    "T0",
    "UnitOfWorkContract",
    "UowFactory",
    "add_order",
    "balances_from_moves",
    "channel_order",
    "commit_work",
    "dump",
    "order_state",
    "rich_channel_order",
    "seed",
    "seed_catalog",
    "seed_warehouses",
    "sellable_from_balances",
    "stock_state",
    "value_state",
]
