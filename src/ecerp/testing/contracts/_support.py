"""What every contract suite shares: exact value comparison, seeded worlds, fixtures.

The helpers here are public through :mod:`ecerp.testing.contracts`:
:func:`value_state` compares stored and reloaded values field by field
(Decimal amounts by their digits, datetimes by their ISO form), :func:`seed`
builds the small catalog and warehouses most contract tests start from, and
:class:`_BackendFixtures` holds the fixtures a backend overrides
(``uow_factory``) or may override (its capabilities).

>>> value_state(Decimal("9.90")) == value_state(Decimal("9.9"))
False
>>> value_state(Decimal("9.90")) == value_state(Decimal("9.90"))
True
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
from ecerp.domain.catalog.products import Dimensions, Product, Shop, Sku
from ecerp.domain.inventory.book import StockBook
from ecerp.domain.inventory.locations import (
    Location,
    LocationKind,
    Warehouse,
    WarehouseKind,
)
from ecerp.domain.inventory.moves import Move, MoveReason, StockPosition
from ecerp.domain.inventory.state import StockState
from ecerp.domain.orders.drafts import Address, Buyer, ChannelLine, ChannelOrder
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import OrderStatus
from ecerp.domain.shared.money import Money
from ecerp.ports.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]


T = TypeVar("T")


#: The moment most contract work happens (microseconds on purpose: a backend
#: must keep them).
T0 = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)


HOUR = timedelta(hours=1)


CST = timezone(timedelta(hours=8), "CST")


ALL_STATUSES = tuple(OrderStatus)


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
