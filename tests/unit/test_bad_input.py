"""Every kind of bad input is refused with a typed error naming the bad values,
and leaves the books exactly as they were: through the facade
(``open_erp("memory://")``) and at the domain level."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from ecerp import ERP, open_erp
from ecerp.adapters.clock import SimulatedClock
from ecerp.bootstrap import open_backend
from ecerp.domain.catalog.aliases import Alias, Bundle, Component
from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.catalog.errors import AliasCycleError, BundleCycleError, UnknownSkuError
from ecerp.domain.catalog.products import Shop, Sku
from ecerp.domain.inventory.book import StockBook
from ecerp.domain.inventory.errors import InsufficientStockError, OverShipmentError
from ecerp.domain.inventory.locations import Warehouse
from ecerp.domain.inventory.state import StockState
from ecerp.domain.inventory.stocktakes import Stocktake
from ecerp.domain.inventory.transfers import Transfer
from ecerp.domain.orders.drafts import Address, ChannelLine, ChannelOrder
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import OrderStatus
from ecerp.domain.shared.errors import (
    CurrencyMismatchError,
    DuplicateError,
    EcerpError,
    InvalidQuantityError,
    InvalidTransitionError,
    NotFoundError,
    UnsupportedUrlError,
    ValidationError,
)
from ecerp.domain.shared.money import Money
from ecerp.testing.contracts import dump, order_state, value_state
from ecerp.usecases.results import OutcomeKind
from worlds import eur

E = TypeVar("E", bound=BaseException)

T = datetime(2026, 3, 2, 9, tzinfo=UTC)
NAIVE = datetime(2026, 3, 2, 9)  # noqa: DTZ001 - the bad input under test
ALLOCATED = "shopify/web/1001"
UNPAID = "shopify/web/1002"
SHIPPED = "shopify/web/1003"


def draft(external_id: str, *lines: ChannelLine, shop: str = "web", **extra: Any) -> ChannelOrder:
    channel = {"web": "shopify", "amz-de": "amazon"}.get(shop, "shopify")
    return ChannelOrder(
        channel,
        shop,
        external_id,
        T,
        "EUR",
        lines or (ChannelLine("MUG-RED", 2, eur("9.90")),),
        **{"paid": True, **extra},
    )


def build_shop(erp: ERP) -> None:
    erp.catalog.add(
        Sku("MUG-RED", price=eur("9.90")),
        Sku("LID"),
        Bundle("MUG-SET", (Component("MUG-RED", 2), Component("LID", 2))),
        Shop("web", channel="shopify", currency="EUR"),
        Shop("amz-de", channel="amazon", currency="EUR"),
        Alias("amazon", "amz-de", "B0SET", "MUG-SET"),
    )
    erp.inventory.add_warehouse(Warehouse("SH"))
    erp.inventory.add_warehouse(Warehouse("SZ", priority=1))


@pytest.fixture
def erp() -> ERP:
    """A mug shop a few hours into its day: stock in, an allocated order, an
    unpaid one, a shipped one, a transfer on its way and a count going on."""
    erp = open_erp("memory://", clock=SimulatedClock(T))
    build_shop(erp)
    erp.inventory.receive("MUG-RED", "SH", 10, document="PO-1")
    erp.inventory.receive("LID", "SH", 10, document="PO-1")
    imported = erp.orders.import_orders(
        [
            draft("1001"),
            draft("1002", ChannelLine("LID", 1, eur("2.00")), paid=False),
            draft("1003", ChannelLine("LID", 1, eur("2.00"))),
        ]
    )
    assert imported.ok
    assert erp.orders.allocate([ALLOCATED, SHIPPED]).ok
    assert erp.orders.ship({SHIPPED: "1Z"}).ok
    erp.inventory.transfer("TR-1", "SH", "SZ", {"LID": 2})
    erp.inventory.start_stocktake("ST-1", "SH", ["MUG-RED"])
    return erp


def everything(erp: ERP) -> dict[str, object]:
    """All committed state: catalog, stock ledger and balances, orders, documents."""
    return dump(erp.backend.uow_factory, stocktakes=["ST-1"])


def refused(erp: ERP, call: Callable[[], object], error: type[E]) -> E:
    """``call`` raises ``error`` (an :class:`EcerpError`) and changes nothing."""
    before = everything(erp)
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, EcerpError)
    assert everything(erp) == before
    erp.check()
    return info.value


def catalog() -> Catalog:
    cat = Catalog()
    cat.add_sku(Sku("MUG-RED"))
    cat.add_sku(Sku("LID"))
    cat.add_bundle(Bundle("MUG-SET", (Component("MUG-RED", 2), Component("LID", 2))))
    cat.add_shop(Shop("amz-de", channel="amazon", currency="EUR"))
    cat.add_alias(Alias("amazon", "amz-de", "B0SET", "MUG-SET"))
    return cat


def catalog_refused(cat: Catalog, call: Callable[[], object], error: type[E]) -> E:
    before = value_state((cat.skus(), cat.bundles(), cat.shops(), cat.aliases(), cat.changes()))
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, EcerpError)
    after = value_state((cat.skus(), cat.bundles(), cat.shops(), cat.aliases(), cat.changes()))
    assert after == before
    return info.value


@pytest.fixture
def book() -> StockBook:
    """Ten red mugs in Shanghai, two of them reserved for order A."""
    b = StockBook(StockState())
    b.add_warehouse(Warehouse("SH"))
    b.add_warehouse(Warehouse("SZ"))
    b.receive("MUG-RED", "SH", 10, at=T, actor="ann")
    b.reserve("A", {(1, "MUG-RED"): 2}, "SH")
    b.collect_events()
    return b


def book_refused(book: StockBook, call: Callable[[], object], error: type[E]) -> E:
    before = value_state(book.changes())
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, EcerpError)
    assert value_state(book.changes()) == before
    assert book.collect_events() == []
    return info.value


def ready_order() -> Order:
    d = draft("1001")
    order = Order.from_channel(d, {(1, "MUG-RED"): 2}, at=T, actor="import")
    order.collect_events()
    return order


def order_refused(order: Order, call: Callable[[], object], error: type[E]) -> E:
    before = order_state(order)
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, EcerpError)
    assert order_state(order) == before
    assert order.collect_events() == []
    return info.value


# --- unknown SKU or alias ------------------------------------------------------------------

FacadeCall = Callable[[ERP], object]

UNKNOWN_SKU_CALLS: list[tuple[str, FacadeCall, str]] = [
    ("receive", lambda erp: erp.inventory.receive("MUG-BLUE", "SH", 1), "MUG-BLUE"),
    ("adjust", lambda erp: erp.inventory.adjust("MUG-BLUE", "SH", 1, note="x"), "MUG-BLUE"),
    (
        "transfer",
        lambda erp: erp.inventory.transfer("TR-2", "SH", "SZ", {"MUG-BLUE": 1}),
        "MUG-BLUE",
    ),
    (
        "stocktake",
        lambda erp: erp.inventory.start_stocktake("ST-2", "SH", ["MUG-BLUE"]),
        "MUG-BLUE",
    ),
    ("resolve", lambda erp: erp.catalog.resolve("amazon", "amz-de", "B0BLUE"), "B0BLUE"),
    ("expand", lambda erp: erp.catalog.expand("MUG-BLUE"), "MUG-BLUE"),
    ("sku", lambda erp: erp.catalog.sku("MUG-BLUE"), "MUG-BLUE"),
    (
        "alias target",
        lambda erp: erp.catalog.add(Alias("amazon", "amz-de", "B0B", "MUG-BLUE")),
        "MUG-BLUE",
    ),
    (
        "bundle component",
        lambda erp: erp.catalog.add(
            Bundle("DUO", (Component("MUG-RED", 1), Component("MUG-BLUE", 1)))
        ),
        "MUG-BLUE",
    ),
    (
        "edited line",
        lambda erp: erp.orders.edit_lines(ALLOCATED, [ChannelLine("B0BLUE", 1, eur("9.90"))]),
        "B0BLUE",
    ),
]


@pytest.mark.parametrize(
    ("call", "code"),
    [(call, code) for _, call, code in UNKNOWN_SKU_CALLS],
    ids=[name for name, _, _ in UNKNOWN_SKU_CALLS],
)
def test_an_unknown_sku_or_listing_sku_is_refused_by_name(
    erp: ERP, call: FacadeCall, code: str
) -> None:
    err = refused(erp, lambda: call(erp), UnknownSkuError)

    assert err.code == code
    assert (err.kind, err.key) == ("sku", code)


def test_an_unknown_listing_sku_names_the_channel_and_shop_it_was_looked_up_in(erp: ERP) -> None:
    err = refused(erp, lambda: erp.catalog.resolve("amazon", "amz-de", "B0BLUE"), UnknownSkuError)

    assert (err.code, err.channel, err.shop) == ("B0BLUE", "amazon", "amz-de")


def test_the_catalog_refuses_unknown_codes_at_the_domain_level() -> None:
    cat = catalog()

    assert catalog_refused(cat, lambda: cat.sku("MUG-BLUE"), UnknownSkuError).code == "MUG-BLUE"
    assert (
        catalog_refused(cat, lambda: cat.expand("MUG-BLUE", 2), UnknownSkuError).code == "MUG-BLUE"
    )
    err = catalog_refused(
        cat, lambda: cat.resolve("amazon", "amz-de", "B0BLUE", at=T), UnknownSkuError
    )
    assert (err.code, err.channel, err.shop) == ("B0BLUE", "amazon", "amz-de")
    err = catalog_refused(
        cat, lambda: cat.add_alias(Alias("amazon", "amz-de", "B0B", "MUG-BLUE")), UnknownSkuError
    )
    assert err.code == "MUG-BLUE"
    err = catalog_refused(
        cat,
        lambda: cat.add_bundle(Bundle("DUO", (Component("MUG-BLUE", 1),))),
        UnknownSkuError,
    )
    assert err.code == "MUG-BLUE"


def test_an_alias_for_an_unknown_shop_is_refused(erp: ERP) -> None:
    err = refused(
        erp, lambda: erp.catalog.add(Alias("ebay", "ebay-uk", "123", "LID")), NotFoundError
    )

    assert (err.kind, err.key) == ("shop", "ebay-uk")


def test_an_unknown_order_is_not_found_by_name(erp: ERP) -> None:
    for call in (
        lambda: erp.orders.get("shopify/web/404"),
        lambda: erp.orders.cancel("shopify/web/404"),
        lambda: erp.orders.edit_lines("shopify/web/404", [ChannelLine("LID", 1, eur("1"))]),
    ):
        err = refused(erp, call, NotFoundError)
        assert (err.kind, err.key) == ("order", "shopify/web/404")


# --- zero and negative quantities --------------------------------------------------------------

BAD_QUANTITIES = [0, -1, -100]


@pytest.mark.parametrize("qty", BAD_QUANTITIES)
def test_a_stock_quantity_must_be_positive(erp: ERP, qty: int) -> None:
    calls: list[tuple[Callable[[], object], str]] = [
        (lambda: erp.inventory.receive("MUG-RED", "SH", qty), "qty"),
        (lambda: erp.inventory.damage("MUG-RED", "SH", qty), "qty"),
        (lambda: erp.inventory.transfer("TR-2", "SH", "SZ", {"LID": qty}), "lines[LID]"),
        (lambda: erp.inventory.receive_transfer("TR-1", {"LID": qty}), "quantities[LID]"),
    ]
    for call, field in calls:
        err = refused(erp, call, InvalidQuantityError)
        assert (err.field, err.value) == (field, qty)


def test_an_adjustment_of_zero_is_refused(erp: ERP) -> None:
    err = refused(
        erp, lambda: erp.inventory.adjust("MUG-RED", "SH", 0, note="nothing"), InvalidQuantityError
    )

    assert (err.field, err.value) == ("delta", 0)


def test_a_negative_count_is_refused(erp: ERP) -> None:
    err = refused(erp, lambda: erp.inventory.count("ST-1", {"MUG-RED": -1}), ValidationError)

    assert (err.field, err.value) == ("counted", -1)


@pytest.mark.parametrize("qty", [*BAD_QUANTITIES, 1.0, True])
def test_the_domain_refuses_quantities_that_are_not_positive_whole_units(
    book: StockBook, qty: Any
) -> None:
    for call in (
        lambda: book.receive("MUG-RED", "SH", qty, at=T, actor="ann"),
        lambda: book.reserve("B", {(1, "MUG-RED"): qty}, "SH"),
        lambda: book.release("A", {(1, "MUG-RED"): qty}),
        lambda: book.ship("A", {(1, "MUG-RED"): qty}, at=T, actor="bob"),
    ):
        err = book_refused(book, call, InvalidQuantityError)
        assert (err.field, err.value) == ("qty", qty)


@pytest.mark.parametrize("qty", BAD_QUANTITIES)
def test_order_lines_bundle_components_and_transfers_need_positive_quantities(qty: int) -> None:
    with pytest.raises(InvalidQuantityError) as line:
        ChannelLine("MUG-RED", qty, eur("9.90"))
    assert (line.value.field, line.value.value) == ("qty", qty)
    with pytest.raises(InvalidQuantityError) as component:
        Component("MUG-RED", qty)
    assert (component.value.field, component.value.value) == ("qty", qty)
    with pytest.raises(InvalidQuantityError) as transfer:
        Transfer("TR-1", "SH", "SZ", {"MUG-RED": qty})
    assert (transfer.value.field, transfer.value.value) == ("lines[MUG-RED]", qty)


# --- currency mismatch ------------------------------------------------------------------------


def test_an_order_line_in_another_currency_is_refused(erp: ERP) -> None:
    err = refused(
        erp,
        lambda: erp.orders.edit_lines(ALLOCATED, [ChannelLine("MUG-RED", 1, Money.of("9", "USD"))]),
        CurrencyMismatchError,
    )

    assert (err.left, err.right) == ("EUR", "USD")


def test_the_domain_refuses_to_mix_currencies() -> None:
    with pytest.raises(CurrencyMismatchError) as add:
        eur("1") + Money.of("1", "GBP")
    assert (add.value.left, add.value.right) == ("EUR", "GBP")

    with pytest.raises(CurrencyMismatchError) as line:
        draft("X", ChannelLine("MUG-RED", 1, Money.of("9", "USD")))
    assert (line.value.left, line.value.right) == ("EUR", "USD")

    with pytest.raises(CurrencyMismatchError) as paid:
        draft("X", paid_amount=Money.of("19.80", "CNY"))
    assert (paid.value.left, paid.value.right) == ("EUR", "CNY")

    order = ready_order()
    order.payment = order.payment.UNPAID
    err = order_refused(
        order,
        lambda: order.mark_paid(at=T, actor="paypal", amount=Money.of("19.80", "USD")),
        CurrencyMismatchError,
    )
    assert (err.left, err.right) == ("EUR", "USD")


# --- float money -----------------------------------------------------------------------------


def test_a_float_amount_never_becomes_money() -> None:
    with pytest.raises(TypeError, match="float"):
        Money.of(9.9, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(9.9, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        eur("9.90") * 1.5  # type: ignore[operator]


def test_a_float_amount_is_a_typed_error_naming_the_value() -> None:
    builds: list[Callable[[], object]] = [
        lambda: Money.of(9.9, "EUR"),  # type: ignore[arg-type]
        lambda: Money(9.9, "EUR"),  # type: ignore[arg-type]
    ]
    for build in builds:
        with pytest.raises(ValidationError) as err:
            build()
        assert isinstance(err.value, TypeError)
        assert (err.value.field, err.value.value) == ("amount", 9.9)


def test_a_float_unit_price_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        ChannelLine("MUG-RED", 1, 9.9)  # type: ignore[arg-type]

    assert (err.value.field, err.value.value) == ("unit_price", 9.9)


@pytest.mark.parametrize("field", ["discount", "paid_amount"])
def test_a_float_discount_or_paid_amount_is_refused_naming_the_field(field: str) -> None:
    build: dict[str, Callable[[], object]] = {
        "discount": lambda: draft("X", ChannelLine("MUG-RED", 1, eur("9.90"), 0.5)),  # type: ignore[arg-type]
        "paid_amount": lambda: draft("X", paid_amount=19.8),
    }

    with pytest.raises(ValidationError) as err:
        build[field]()

    assert (err.value.field, err.value.value) == {
        "discount": ("discount", 0.5),
        "paid_amount": ("paid_amount", 19.8),
    }[field]


@pytest.mark.parametrize("field", ["price", "cost"])
def test_a_float_sku_price_or_cost_is_refused_and_nothing_is_added(erp: ERP, field: str) -> None:
    builders: dict[str, Callable[[], Sku]] = {
        "price": lambda: Sku("MUG-BLUE", price=9.9),  # type: ignore[arg-type]
        "cost": lambda: Sku("MUG-BLUE", cost=9.9),  # type: ignore[arg-type]
    }

    err = refused(erp, lambda: erp.catalog.add(builders[field]()), ValidationError)

    assert (err.field, err.value) == (field, 9.9)


# --- shipping more than is reserved -----------------------------------------------------------


def test_shipping_more_than_a_line_holds_is_refused(book: StockBook) -> None:
    err = book_refused(
        book,
        lambda: book.ship("A", {(1, "MUG-RED"): 3}, at=T, actor="bob"),
        OverShipmentError,
    )

    assert (err.order, err.sku, err.requested, err.reserved) == ("A", "MUG-RED", 3, 2)


def test_shipping_a_line_that_holds_nothing_is_refused(book: StockBook) -> None:
    err = book_refused(
        book, lambda: book.ship("A", {(2, "LID"): 1}, at=T, actor="bob"), OverShipmentError
    )

    assert (err.order, err.sku, err.requested, err.reserved) == ("A", "LID", 1, 0)


def test_releasing_more_than_is_reserved_is_refused(book: StockBook) -> None:
    err = book_refused(book, lambda: book.release("A", {(1, "MUG-RED"): 5}), OverShipmentError)

    assert (err.requested, err.reserved) == (5, 2)


@pytest.mark.parametrize("order", [UNPAID, SHIPPED], ids=["holds nothing", "already shipped"])
def test_shipping_an_order_that_holds_no_stock_is_rejected(erp: ERP, order: str) -> None:
    before = everything(erp)

    result = erp.orders.ship({order: "1Z-AGAIN"})

    (outcome,) = result.outcomes
    assert outcome.kind is OutcomeKind.REJECTED
    assert isinstance(outcome.error, InvalidTransitionError)
    assert (outcome.error.to, outcome.ref) == ("shipped", order)
    assert everything(erp) == before


def test_stock_reserved_for_an_order_cannot_be_written_off_instead(erp: ERP) -> None:
    # 10 mugs, 2 reserved for the allocated order: only 8 may leave otherwise
    err = refused(
        erp,
        lambda: erp.inventory.adjust("MUG-RED", "SH", -9, note="lost"),
        InsufficientStockError,
    )

    assert (err.sku, err.warehouse, err.requested, err.available) == ("MUG-RED", "SH/stock", 9, 8)


# --- illegal status transitions ------------------------------------------------------------------


def test_cancelling_a_shipped_order_is_refused(erp: ERP) -> None:
    err = refused(erp, lambda: erp.orders.cancel(SHIPPED, "too late"), InvalidTransitionError)

    assert (err.entity, err.from_, err.to) == (f"order {SHIPPED}", "shipped", "cancelled")


def test_releasing_an_order_that_is_not_on_hold_is_refused(erp: ERP) -> None:
    err = refused(erp, lambda: erp.orders.release(ALLOCATED), InvalidTransitionError)

    assert (err.from_, err.to) == ("allocated", "ready")


@pytest.mark.parametrize(
    ("verb", "order", "from_", "to"),
    [
        ("pick", UNPAID, "unpaid", "picking"),
        ("allocate", SHIPPED, "shipped", "allocated"),
    ],
)
def test_a_batch_step_for_an_order_in_the_wrong_status_is_rejected(
    erp: ERP, verb: str, order: str, from_: str, to: str
) -> None:
    before = everything(erp)

    result = erp.orders.pick([order]) if verb == "pick" else erp.orders.allocate([order])

    (outcome,) = result.outcomes
    assert outcome.kind is OutcomeKind.REJECTED
    assert isinstance(outcome.error, InvalidTransitionError)
    assert (outcome.error.from_, outcome.error.to) == (from_, to)
    assert everything(erp) == before


def test_the_domain_refuses_status_changes_the_table_does_not_allow() -> None:
    order = ready_order()
    order.cancel(at=T, actor="ann")
    order.collect_events()

    for call, to in (
        (lambda: order.ship(at=T, actor="bob", tracking="1Z"), "shipped"),
        (lambda: order.cancel(at=T, actor="ann"), "cancelled"),
        (lambda: order.allocate("SH", at=T, actor="allocator"), "allocated"),
        (lambda: order.hold(["check"], at=T, actor="rules"), "on_hold"),
    ):
        err = order_refused(order, call, InvalidTransitionError)
        assert (err.entity, err.from_, err.to) == (f"order {order.id}", "cancelled", to)

    assert order.status is OrderStatus.CANCELLED


def test_a_transfer_cannot_be_received_before_it_is_sent(book: StockBook) -> None:
    transfer = Transfer("TR-1", "SH", "SZ", {"MUG-RED": 1})

    err = book_refused(
        book,
        lambda: transfer.receive(book, {"MUG-RED": 1}, at=T, actor="sz"),
        InvalidTransitionError,
    )

    assert (err.entity, err.from_, err.to) == ("transfer TR-1", "draft", "received")
    assert transfer.received == {}


# --- duplicate SKU codes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "kind", "key"),
    [
        ((Sku("MUG-RED", weight_g=1),), "sku", "MUG-RED"),
        ((Sku("MUG-SET"),), "sku", "MUG-SET"),
        ((Bundle("LID", (Component("MUG-RED", 1),)),), "bundle", "LID"),
        ((Sku("TEAPOT"), Sku("TEAPOT")), "sku", "TEAPOT"),
        ((Sku("TEAPOT"), Sku("SAUCER"), Sku("LID")), "sku", "LID"),
        ((Shop("web", channel="shopify"),), "shop", "web"),
    ],
    ids=[
        "sku",
        "sku named like a bundle",
        "bundle named like a sku",
        "twice in one call",
        "last of three",
        "shop",
    ],
)
def test_a_code_that_is_taken_is_refused_and_nothing_of_the_call_is_added(
    erp: ERP, items: tuple[Any, ...], kind: str, key: str
) -> None:
    err = refused(erp, lambda: erp.catalog.add(*items), DuplicateError)

    assert (err.kind, err.key) == (kind, key)
    assert erp.catalog.view().find_sku("TEAPOT") is None


def test_the_domain_refuses_a_duplicate_sku_code() -> None:
    cat = catalog()

    err = catalog_refused(cat, lambda: cat.add_sku(Sku("MUG-RED", weight_g=300)), DuplicateError)

    assert (err.kind, err.key) == ("sku", "MUG-RED")
    assert cat.sku("MUG-RED").weight_g == 0


def test_a_warehouse_code_that_is_taken_is_refused(erp: ERP) -> None:
    err = refused(erp, lambda: erp.inventory.add_warehouse(Warehouse("SH")), DuplicateError)

    assert (err.kind, err.key) == ("warehouse", "SH")


def test_an_order_is_never_created_twice_from_one_channel_order(erp: ERP) -> None:
    before = everything(erp)

    result = erp.orders.import_orders([draft("1001")])

    assert [o.kind for o in result] == [OutcomeKind.UNCHANGED]
    assert everything(erp) == before


# --- alias cycles ----------------------------------------------------------------------------------


def test_an_alias_that_would_close_a_loop_is_refused_showing_the_loop(erp: ERP) -> None:
    erp.catalog.add(Alias(None, None, "MUG-R", "MUG-RED"), Alias(None, None, "RED", "MUG-R"))

    err = refused(
        erp, lambda: erp.catalog.add(Alias(None, None, "MUG-RED", "RED")), AliasCycleError
    )

    assert err.path == ("MUG-RED", "RED", "MUG-R", "MUG-RED")


def test_an_alias_of_a_code_to_itself_is_refused(erp: ERP) -> None:
    err = refused(erp, lambda: erp.catalog.add(Alias(None, None, "LID", "LID")), AliasCycleError)

    assert err.path == ("LID", "LID")


def test_the_domain_refuses_an_alias_cycle() -> None:
    cat = catalog()
    cat.add_alias(Alias(None, None, "OLD-RED", "MUG-RED"))

    err = catalog_refused(
        cat, lambda: cat.add_alias(Alias(None, None, "MUG-RED", "OLD-RED")), AliasCycleError
    )

    assert err.path == ("MUG-RED", "OLD-RED", "MUG-RED")
    assert cat.resolve("amazon", "amz-de", "OLD-RED", at=T) == "MUG-RED"


def test_a_later_alias_version_that_would_loop_is_refused() -> None:
    cat = catalog()
    cat.add_alias(Alias(None, None, "OLD-RED", "MUG-RED"))
    later = T + timedelta(days=30)
    # from next month, MUG-RED would mean OLD-RED, which means MUG-RED
    err = catalog_refused(
        cat, lambda: cat.add_alias(Alias(None, None, "MUG-RED", "OLD-RED", later)), AliasCycleError
    )

    assert err.path[0] == err.path[-1] == "MUG-RED"


# --- bundle cycles ---------------------------------------------------------------------------------


def test_a_bundle_that_contains_itself_is_refused() -> None:
    with pytest.raises(BundleCycleError) as err:
        Bundle("GIFT", (Component("MUG-SET", 1), Component("GIFT", 1)))

    assert err.value.path == ("GIFT", "GIFT")
    assert isinstance(err.value, EcerpError)


def test_bundles_that_would_contain_each_other_cannot_be_added(erp: ERP) -> None:
    # BOX would hold CRATE, which holds BOX: a bundle may only use codes that
    # exist, so the first forward reference is refused and neither is added
    err = refused(
        erp,
        lambda: erp.catalog.add(
            Bundle("BOX", (Component("CRATE", 1), Component("LID", 1))),
            Bundle("CRATE", (Component("BOX", 2),)),
        ),
        UnknownSkuError,
    )

    assert err.code == "CRATE"
    assert erp.catalog.view().find_bundle("BOX") is None


def test_a_nested_bundle_cannot_be_made_to_contain_its_parent() -> None:
    cat = catalog()
    cat.add_bundle(Bundle("GIFT", (Component("MUG-SET", 1), Component("LID", 1))))

    # redefining MUG-SET to hold GIFT (which holds MUG-SET) is refused
    err = catalog_refused(
        cat, lambda: cat.add_bundle(Bundle("MUG-SET", (Component("GIFT", 1),))), DuplicateError
    )

    assert (err.kind, err.key) == ("bundle", "MUG-SET")
    assert cat.expand("GIFT") == {"MUG-RED": 2, "LID": 3}


# --- naive datetimes -----------------------------------------------------------------------------


def test_closing_a_period_at_a_naive_time_is_refused(erp: ERP) -> None:
    err = refused(erp, lambda: erp.inventory.close_period(NAIVE), ValidationError)

    assert (err.field, err.value) == ("until", NAIVE)


def test_resolving_at_a_naive_time_is_refused(erp: ERP) -> None:
    err = refused(
        erp, lambda: erp.catalog.resolve("amazon", "amz-de", "B0SET", NAIVE), ValidationError
    )

    assert (err.field, err.value) == ("at", NAIVE)


class NaiveClock:
    """A clock that forgot its time zone."""

    def now(self) -> datetime:
        return NAIVE


def test_a_clock_that_tells_naive_times_cannot_book_anything() -> None:
    erp = open_erp("memory://", clock=NaiveClock())
    build_shop(erp)

    for call in (
        lambda: erp.inventory.receive("MUG-RED", "SH", 1),
        lambda: erp.inventory.adjust("MUG-RED", "SH", 1, note="found"),
    ):
        err = refused(erp, call, ValidationError)
        assert (err.field, err.value) == ("at", NAIVE)
    result = erp.orders.import_orders([draft("2001")])
    (outcome,) = result.outcomes
    assert outcome.kind is OutcomeKind.REJECTED
    assert isinstance(outcome.error, ValidationError)
    assert (outcome.error.field, outcome.error.value) == ("at", NAIVE)
    assert erp.orders.ids() == []


def test_a_simulated_clock_needs_an_aware_start() -> None:
    with pytest.raises(ValidationError) as err:
        SimulatedClock(NAIVE)

    assert (err.value.field, err.value.value) == ("start", NAIVE)


def test_the_domain_refuses_naive_times(book: StockBook) -> None:
    err = book_refused(
        book, lambda: book.receive("MUG-RED", "SH", 1, at=NAIVE, actor="ann"), ValidationError
    )
    assert (err.field, err.value) == ("at", NAIVE)
    err = book_refused(book, lambda: book.close_period(NAIVE), ValidationError)
    assert (err.field, err.value) == ("until", NAIVE)

    with pytest.raises(ValidationError) as ordered:
        ChannelOrder("shopify", "web", "1", NAIVE, "EUR", (ChannelLine("LID", 1, eur("1")),))
    assert (ordered.value.field, ordered.value.value) == ("ordered_at", NAIVE)
    with pytest.raises(ValidationError) as updated:
        draft("1", updated_at=NAIVE)
    assert (updated.value.field, updated.value.value) == ("updated_at", NAIVE)
    with pytest.raises(ValidationError) as alias:
        Alias("amazon", "amz-de", "B0X", "LID", NAIVE)
    assert (alias.value.field, alias.value.value) == ("effective_from", NAIVE)
    with pytest.raises(ValidationError) as started:
        Stocktake.start("ST-1", "SH", ["MUG-RED"], book, at=NAIVE)
    assert (started.value.field, started.value.value) == ("started_at", NAIVE)
    with pytest.raises(ValidationError) as created:
        Order.from_channel(draft("1"), {(1, "MUG-RED"): 2}, at=NAIVE, actor="import")
    assert (created.value.field, created.value.value) == ("at", NAIVE)


@pytest.mark.parametrize("change", ["cancel", "hold", "change_address"])
def test_an_order_change_at_a_naive_time_is_refused(change: str) -> None:
    order = ready_order()
    calls: dict[str, Callable[[], object]] = {
        "cancel": lambda: order.cancel(at=NAIVE, actor="ann"),
        "hold": lambda: order.hold(["check"], at=NAIVE, actor="rules"),
        "change_address": lambda: order.change_address(
            Address("Somebody else"), at=NAIVE, actor="ann"
        ),
    }

    err = order_refused(order, calls[change], ValidationError)

    assert (err.field, err.value) == ("at", NAIVE)


# --- unsupported backend URLs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["mysql://localhost/erp", "", "memory:", "sqlite://relative.db", "MEMORY://", "file:///tmp/x"],
)
def test_a_backend_url_ecerp_does_not_know_is_refused_naming_it(url: str) -> None:
    with pytest.raises(UnsupportedUrlError) as facade:
        open_erp(url)
    with pytest.raises(UnsupportedUrlError) as composition_root:
        open_backend(url)

    for err in (facade.value, composition_root.value):
        assert isinstance(err, EcerpError)
        assert err.url == url
        assert "memory://" in err.fields["supported"]


# --- batch import with one bad draft --------------------------------------------------------------------


def test_a_batch_import_creates_the_good_orders_and_reports_each_bad_one(erp: ERP) -> None:
    stock_before = everything(erp)["stock"]
    drafts = [
        draft("2001", ChannelLine("B0SET", 1, eur("25.00")), shop="amz-de"),
        draft("2002", ChannelLine("LID", 1, eur("2")), ChannelLine("B0BLUE", 1, eur("9"))),
        draft("2003", ChannelLine("LID", 2, eur("2"))),
        draft("2004", shop="ebay-uk"),
    ]

    result = erp.orders.import_orders(drafts)

    assert [(o.ref, o.kind) for o in result] == [
        ("amazon/amz-de/2001", OutcomeKind.CREATED),
        ("shopify/web/2002", OutcomeKind.UNMAPPED),  # kept until B0BLUE is linked
        ("shopify/web/2003", OutcomeKind.CREATED),
        ("shopify/ebay-uk/2004", OutcomeKind.REJECTED),
    ]
    (unknown_shop,) = (o.error for o in result.rejected)
    assert isinstance(unknown_shop, NotFoundError)
    assert (unknown_shop.kind, unknown_shop.key) == ("shop", "ebay-uk")
    assert all(o.detail for o in result.rejected)
    unmapped = erp.orders.get("shopify/web/2002")
    assert (unmapped.status, unmapped.requirements) == (OrderStatus.UNMAPPED, {})
    assert [u.listing_sku for u in unmapped.unmapped] == ["B0BLUE"]
    assert erp.orders.find("shopify/ebay-uk/2004") is None
    assert erp.orders.get("amazon/amz-de/2001").requirements == {(1, "MUG-RED"): 2, (1, "LID"): 2}
    assert erp.orders.get("shopify/web/2003").status is OrderStatus.READY
    assert sorted(erp.orders.ids(OrderStatus.READY)) == ["amazon/amz-de/2001", "shopify/web/2003"]
    assert everything(erp)["stock"] == stock_before


def test_a_bad_draft_in_a_batch_is_reported_the_same_wherever_it_stands(erp: ERP) -> None:
    bad = draft("2002", ChannelLine("LID", 1, eur("9")), shop="ebay-uk")  # an unknown shop
    good = [draft(f"30{i}") for i in range(3)]

    first = erp.orders.import_orders([bad, *good])
    second = erp.orders.import_orders([draft("3100"), bad])

    assert [o.kind for o in first] == [OutcomeKind.REJECTED] + [OutcomeKind.CREATED] * 3
    assert [o.kind for o in second] == [OutcomeKind.CREATED, OutcomeKind.REJECTED]
    assert type(first.rejected[0].error) is type(second.rejected[0].error) is NotFoundError


def test_bad_amount_strings_name_the_field_and_value() -> None:
    with pytest.raises(ValidationError) as err:
        Money.of("9,90", "EUR")

    assert (err.value.field, err.value.value) == ("amount", "9,90")
    assert Decimal("9.90") == eur("9.90").amount
