"""The facade: one call opens an ERP, its use cases grouped by context.

>>> from ecerp import open_erp, Sku, Warehouse
>>> erp = open_erp("memory://")
>>> erp.catalog.add(Sku("MUG"))
>>> erp.inventory.add_warehouse(Warehouse("SH"))
>>> _ = erp.inventory.receive("MUG", "SH", 5)
>>> erp.inventory.position("MUG", "SH").available
5

Every method runs one command through the message bus (so events, such as
stock arriving for waiting orders, are handled the same way for every
caller) or one read in its own unit of work.  Objects returned are copies:
changing them changes nothing stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

from ecerp.bootstrap import Backend, bootstrap
from ecerp.domain.catalog import Alias, Bundle, Catalog, Product, Shop, Sku
from ecerp.domain.errors import NotFoundError, ValidationError
from ecerp.domain.holds import ReviewPolicy
from ecerp.domain.orders import Address, ChannelLine, ChannelOrder, Order, OrderStatus
from ecerp.domain.routing import Explanation, OrderFacts, RouteChange, RuleSet, dry_run
from ecerp.domain.shipping import RateTable
from ecerp.domain.stock import (
    Discrepancy,
    Move,
    Reservation,
    StockLine,
    StockPosition,
    StockState,
    Stocktake,
    Transfer,
    Warehouse,
    check_invariants,
)
from ecerp.domain.values import (
    MAX_ORDER_ID_LEN,
    require_code,
    require_ids,
    require_iterable,
    require_positive_qty,
    require_utc,
)
from ecerp.ports.clock import Clock
from ecerp.ports.events import EventPublisher
from ecerp.ports.payments import PaymentRecords
from ecerp.usecases import commands as c
from ecerp.usecases import orders as order_cases
from ecerp.usecases.config import Config, LiveService
from ecerp.usecases.messagebus import COMMAND_HANDLERS, MessageBus
from ecerp.usecases.results import BatchResult, Outcome
from ecerp.usecases.routing import ROUTABLE


class ERP:
    """An open ERP.  Build it with :func:`open_erp`."""

    def __init__(self, bus: MessageBus, backend: Backend, actor: str = "system") -> None:
        self.bus = bus
        self.backend = backend
        self.actor = actor
        self.catalog = CatalogAPI(self)
        self.inventory = InventoryAPI(self)
        self.orders = OrdersAPI(self)

    @property
    def clock(self) -> Clock:
        return self.bus.clock

    def handle(self, command: c.Command) -> Any:
        """Run any command through the bus (the methods below are sugar).

        Raises:
            ValidationError: ``command`` is not a command.
        """
        if type(command) not in COMMAND_HANDLERS:
            raise ValidationError("command", command, "must be an ecerp command")
        return self.bus.handle(command)

    def check(self) -> None:
        """Prove the stock books consistent.

        Raises:
            InvariantError: listing every inconsistency found.
        """
        check_invariants(self.backend.snapshot())

    def snapshot(self) -> StockState:
        """A full copy of committed stock (for reports and checks)."""
        return self.backend.snapshot()

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> ERP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Context:
    def __init__(self, erp: ERP) -> None:
        self._erp = erp

    def _actor(self, actor: str | None) -> str:
        return actor if actor is not None else self._erp.actor

    def _run(self, command: c.Command) -> Any:
        return self._erp.bus.handle(command)


class CatalogAPI(_Context):
    """Products, SKUs, shops, bundles and aliases."""

    def add(self, *items: Product | Sku | Shop | Bundle | Alias, actor: str | None = None) -> None:
        """Add items in order, all or none.

        Raises:
            DuplicateError, UnknownSkuError, NotFoundError, AliasCycleError,
            BundleCycleError, ValidationError: nothing was added.
        """
        self._run(c.AddToCatalog(items, actor=self._actor(actor)))

    def view(self) -> Catalog:
        """An independent copy of the committed catalog (reads only; changing
        it changes nothing stored)."""
        with self._erp.backend.read() as uow:
            return uow.catalog.view().copy()

    def sku(self, code: str) -> Sku:
        """Raises:
        UnknownSkuError: no SKU has ``code``.
        """
        require_code("code", code)
        with self._erp.backend.read() as uow:
            return uow.catalog.view().sku(code)

    def resolve(self, channel: str, shop: str, listing_sku: str, at: datetime | None = None) -> str:
        """The SKU or bundle a shop's listing SKU means (now, or at ``at``)."""
        for field, value in (("channel", channel), ("shop", shop), ("listing_sku", listing_sku)):
            require_code(field, value)
        when = require_utc("at", at) if at is not None else self._erp.clock.now()
        with self._erp.backend.read() as uow:
            return uow.catalog.view().resolve(channel, shop, listing_sku, at=when)

    def expand(self, code: str, qty: int = 1) -> dict[str, int]:
        """SKU quantities that ``qty`` of ``code`` ship as."""
        require_code("code", code)
        require_positive_qty("qty", qty)
        with self._erp.backend.read() as uow:
            return uow.catalog.view().expand(code, qty)

    def sellable(self, code: str, warehouse: str) -> int:
        """How many of ``code`` (a SKU or bundle) ``warehouse`` can sell now."""
        require_code("code", code)
        require_code("warehouse", warehouse)
        with self._erp.backend.read() as uow:
            catalog, book = uow.catalog.view(), uow.stock.book()
            available = {sku: book.available(sku, warehouse) for sku in catalog.expand(code)}
            return catalog.sellable(code, available)


class InventoryAPI(_Context):
    """Warehouses, the stock ledger, transfers and stocktakes."""

    def add_warehouse(self, warehouse: Warehouse, actor: str | None = None) -> None:
        self._run(c.AddWarehouse(warehouse, actor=self._actor(actor)))

    def warehouses(self) -> list[Warehouse]:
        with self._erp.backend.read() as uow:
            return uow.stock.book().warehouses()

    def receive(
        self,
        sku: str,
        warehouse: str,
        qty: int,
        *,
        document: str = "",
        damaged: bool = False,
        actor: str | None = None,
        at: datetime | None = None,
    ) -> Move:
        """Goods in from a supplier (to ``damaged`` stock if so).  ``at``
        back-dates the receipt (booked late): refused before the closed date
        or in the future."""
        result: Move = self._run(
            c.ReceiveStock(sku, warehouse, qty, document, damaged, actor=self._actor(actor), at=at)
        )
        return result

    def adjust(
        self,
        sku: str,
        warehouse: str,
        delta: int,
        *,
        note: str,
        actor: str | None = None,
        at: datetime | None = None,
    ) -> Move:
        """A gain or loss of sellable stock; ``at`` back-dates it (see
        :meth:`receive`)."""
        result: Move = self._run(c.AdjustStock(sku, warehouse, delta, note, self._actor(actor), at))
        return result

    def damage(
        self, sku: str, warehouse: str, qty: int, *, note: str = "", actor: str | None = None
    ) -> Move:
        result: Move = self._run(c.MarkDamaged(sku, warehouse, qty, note, self._actor(actor)))
        return result

    def repair(
        self, sku: str, warehouse: str, qty: int, *, note: str = "", actor: str | None = None
    ) -> Move:
        result: Move = self._run(c.RepairDamaged(sku, warehouse, qty, note, self._actor(actor)))
        return result

    def scrap(
        self, sku: str, warehouse: str, qty: int, *, note: str = "", actor: str | None = None
    ) -> Move:
        result: Move = self._run(c.ScrapDamaged(sku, warehouse, qty, note, self._actor(actor)))
        return result

    def transfer(
        self,
        transfer_id: str,
        source: str,
        dest: str,
        lines: Mapping[str, int],
        actor: str | None = None,
    ) -> Transfer:
        """Send stock from ``source`` to ``dest``; it is in transit until received."""
        result: Transfer = self._run(
            c.SendTransfer(transfer_id, source, dest, lines, self._actor(actor))
        )
        return result

    def receive_transfer(
        self,
        transfer_id: str,
        quantities: Mapping[str, int],
        *,
        damaged: bool = False,
        actor: str | None = None,
    ) -> Transfer:
        result: Transfer = self._run(
            c.ReceiveTransfer(transfer_id, quantities, damaged, self._actor(actor))
        )
        return result

    def start_stocktake(
        self, stocktake_id: str, warehouse: str, skus: Iterable[str], actor: str | None = None
    ) -> Stocktake:
        result: Stocktake = self._run(
            c.StartStocktake(stocktake_id, warehouse, skus, self._actor(actor))
        )
        return result

    def count(
        self, stocktake_id: str, counts: Mapping[str, int], actor: str | None = None
    ) -> Stocktake:
        result: Stocktake = self._run(c.RecordCount(stocktake_id, counts, self._actor(actor)))
        return result

    def post_stocktake(self, stocktake_id: str, actor: str | None = None) -> list[Move]:
        result: list[Move] = self._run(c.PostStocktake(stocktake_id, self._actor(actor)))
        return result

    def close_period(self, until: datetime, actor: str | None = None) -> None:
        self._run(c.ClosePeriod(until, self._actor(actor)))

    def verify(self) -> list[Discrepancy]:
        """Recompute balances and reservations from the ledger; every stored
        figure that differs (empty when the books are sound)."""
        return self._erp.backend.verify()

    def rebuild(self) -> int:
        """Repair the cached balances from the ledger; how many were wrong."""
        return self._erp.backend.rebuild()

    def position(self, sku: str, warehouse: str) -> StockPosition:
        """On hand, reserved, available, damaged and in transit of one SKU."""
        require_code("sku", sku)
        require_code("warehouse", warehouse)
        with self._erp.backend.read() as uow:
            book = uow.stock.book()
            book.warehouse(warehouse)
            return book.position(sku, warehouse)

    def on_hand_at(self, sku: str, warehouse: str | None = None, *, at: datetime) -> int:
        """Sellable on hand of ``sku`` at the end of moment ``at`` (every move
        dated at or before it), in ``warehouse`` (its stock and bins) or in
        all warehouses.  Read from the latest closed period's snapshot plus
        the moves since.

        Raises:
            ValidationError: ``at`` is naive.
            NotFoundError: unknown warehouse.
        """
        require_code("sku", sku)
        if warehouse is not None:
            require_code("warehouse", warehouse)
        require_utc("at", at)
        with self._erp.backend.read() as uow:
            return uow.stock.on_hand_at(sku, warehouse, at)

    def report(
        self, warehouse: str | None = None, *, at: datetime | None = None
    ) -> list[StockLine]:
        """The stock report: one :class:`StockLine` per SKU and warehouse
        with stock (sorted by SKU, then warehouse), of one warehouse or all.
        With ``at``, on hand as of that moment; reservations have no history,
        so then ``reserved`` is 0 and ``available`` equals ``on_hand``.

        Raises:
            ValidationError: ``at`` is naive.
            NotFoundError: unknown warehouse.
        """
        if warehouse is not None:
            require_code("warehouse", warehouse)
        if at is not None:
            require_utc("at", at)
        with self._erp.backend.read() as uow:
            return uow.stock.report(warehouse, at=at)

    def moves(self, *, sku: str | None = None, location: str | None = None) -> Sequence[Move]:
        if sku is not None:
            require_code("sku", sku)
        if location is not None:
            require_code("location", location, 2 * MAX_ORDER_ID_LEN)
        with self._erp.backend.read() as uow:
            return uow.stock.moves(sku=sku, location=location)

    def reservations(self, order_id: str) -> list[Reservation]:
        require_code("order_id", order_id, MAX_ORDER_ID_LEN)
        with self._erp.backend.read() as uow:
            return [r for _, r in sorted(uow.stock.book().reservations_of(order_id).items())]


class OrdersAPI(_Context):
    """Import, allocate, edit, cancel, pick and ship orders."""

    def import_orders(
        self, drafts: Iterable[ChannelOrder], actor: str | None = None
    ) -> BatchResult:
        """Import a batch (any iterable, streamed); one outcome per draft."""
        result: BatchResult = self._run(c.ImportOrders(drafts, actor=actor or "import"))
        return result

    def import_stream(
        self, drafts: Iterable[ChannelOrder], actor: str | None = None
    ) -> Iterator[Outcome]:
        """Import a stream of any length (a file of a million orders): one
        command per :data:`~ecerp.usecases.orders.IMPORT_CHUNK` drafts, each
        chunk's outcomes yielded once it committed.  Nothing is kept between
        chunks, so memory stays bounded by one chunk whatever the stream's
        length (unlike :meth:`import_orders`, whose result holds an outcome
        for every draft).  Stopping the iteration stops the import after the
        last committed chunk."""
        it = iter(require_iterable("drafts", drafts))
        while chunk := list(islice(it, order_cases.IMPORT_CHUNK)):
            result: BatchResult = self._run(c.ImportOrders(chunk, actor=actor or "import"))
            yield from result

    def process(self, drafts: Iterable[ChannelOrder], actor: str | None = None) -> BatchResult:
        """Import, review, route and allocate in one call (any iterable,
        streamed in chunks); one outcome per draft telling where it ended
        (``allocated``, ``waiting``, ``held``, ``rejected``...), then one for
        each other order the allocation changed."""
        result: BatchResult = self._run(c.ProcessOrders(drafts, actor=actor or "import"))
        return result

    def accept(self, drafts: Iterable[ChannelOrder], actor: str | None = None) -> BatchResult:
        """The web shop's webhook: import, review, route and allocate a few
        orders in one transaction.  Older orders waiting for the same SKUs
        are served first; nothing else is looked at.  Outcomes as
        :meth:`process` gives them."""
        result: BatchResult = self._run(c.AcceptOrders(drafts, actor=actor or "import"))
        return result

    def allocate(
        self, order_ids: Iterable[str] | None = None, actor: str | None = None
    ) -> BatchResult:
        """Allocate the given orders, or every ready and waiting one."""
        result: BatchResult = self._run(c.AllocateOrders(order_ids, self._actor(actor)))
        return result

    def find(self, order_id: str) -> Order | None:
        require_code("order_id", order_id, MAX_ORDER_ID_LEN)
        with self._erp.backend.read() as uow:
            return uow.orders.find(order_id)

    def get(self, order_id: str) -> Order:
        """Raises:
        NotFoundError: no such order.
        """
        order = self.find(order_id)
        if order is None:
            raise NotFoundError("order", order_id)
        return order

    def total(self) -> int:
        """How many orders are stored."""
        with self._erp.backend.read() as uow:
            return uow.orders.count()

    def ids(self, *statuses: OrderStatus) -> list[str]:
        """Ids of orders in any of ``statuses`` (all orders when none given)."""
        for status in statuses:
            if not isinstance(status, OrderStatus):
                raise ValidationError("statuses", status, "must be an OrderStatus")
        with self._erp.backend.read() as uow:
            return list(uow.orders.ids_with_status(statuses or tuple(OrderStatus)))

    def cancel(self, order_id: str, reason: str = "", actor: str | None = None) -> Order:
        result: Order = self._run(c.CancelOrder(order_id, reason, self._actor(actor)))
        return result.clone()

    def mark_paid(self, order_id: str, actor: str | None = None) -> Order:
        result: Order = self._run(c.MarkPaid(order_id, self._actor(actor)))
        return result.clone()

    def hold(self, order_id: str, *reasons: str, actor: str | None = None) -> Order:
        result: Order = self._run(c.HoldOrder(order_id, reasons, self._actor(actor)))
        return result.clone()

    def release(self, order_id: str, actor: str | None = None) -> Order:
        result: Order = self._run(c.ReleaseOrder(order_id, self._actor(actor)))
        return result.clone()

    def edit_lines(
        self, order_id: str, lines: Iterable[ChannelLine], actor: str | None = None
    ) -> Order:
        result: Order = self._run(c.EditOrderLines(order_id, lines, self._actor(actor)))
        return result.clone()

    def change_address(self, order_id: str, address: Address, actor: str | None = None) -> Order:
        result: Order = self._run(c.ChangeAddress(order_id, address, self._actor(actor)))
        return result.clone()

    def change_service(self, order_id: str, service: str | None, actor: str | None = None) -> Order:
        """Set the carrier service (``"carrier/service"``) a person chose, or
        ``None`` to let allocation choose the cheapest again; audited, and
        holds and rules run again.  Refused once the order is picked."""
        result: Order = self._run(c.ChangeShippingService(order_id, service, self._actor(actor)))
        return result.clone()

    def merge(self, order_ids: Iterable[str], actor: str | None = None) -> Order:
        """Merge unpicked orders of one buyer and address into one order.

        Raises:
            ConsolidationError: they cannot be merged (nothing changes).
        """
        result: Order = self._run(c.MergeOrders(order_ids, self._actor(actor)))
        return result.clone()

    def unmerge(self, order_id: str, actor: str | None = None) -> list[Order]:
        """Undo a merge; returns the restored originals."""
        result: list[Order] = self._run(c.UnmergeOrder(order_id, self._actor(actor)))
        return [o.clone() for o in result]

    def split(
        self, order_id: str, *parts: Mapping[int, int], actor: str | None = None
    ) -> list[Order]:
        """Split ``parts`` (``{line_no: qty}`` each) off an order; returns the
        order (with what stayed) and the new parts."""
        result: list[Order] = self._run(c.SplitOrder(order_id, parts, self._actor(actor)))
        return [o.clone() for o in result]

    def split_by_availability(
        self, order_id: str, warehouse: str | None = None, actor: str | None = None
    ) -> list[Order]:
        """Ship what is in stock now, the rest waits: returns the waiting
        order and the allocated part."""
        result: list[Order] = self._run(
            c.SplitByAvailability(order_id, warehouse, self._actor(actor))
        )
        return [o.clone() for o in result]

    def explain(self, order_id: str, rules: RuleSet | None = None) -> Explanation:
        """Which routing rule decides ``order_id`` and why each earlier rule
        does not (with the configured rules, or ``rules``)."""
        require_code("order_id", order_id, MAX_ORDER_ID_LEN)
        if rules is not None and not isinstance(rules, RuleSet):
            raise ValidationError("rules", rules, "must be a RuleSet")
        ruleset = rules or self._erp.bus.config.rules or RuleSet(())
        with self._erp.backend.read() as uow:
            order = uow.orders.get(order_id)
            return ruleset.explain(OrderFacts.of(order, uow.catalog.view()))

    def dry_run(self, rules: RuleSet, order_ids: Iterable[str] | None = None) -> list[RouteChange]:
        """What ``rules`` would change (warehouse, service, hold) for the given
        orders (default: every order rules may still change: not yet picked,
        shipped, cancelled or merged), compared with the configured rules.
        Changes nothing."""
        if not isinstance(rules, RuleSet):
            raise ValidationError("rules", rules, "must be a RuleSet")
        given = (
            require_ids("order_ids", order_ids, MAX_ORDER_ID_LEN) if order_ids is not None else None
        )
        current_rules = self._erp.bus.config.rules or RuleSet(())
        with self._erp.backend.read() as uow:
            ids = list(given) if given is not None else list(uow.orders.ids_with_status(ROUTABLE))
            catalog = uow.catalog.view()
            facts = {oid: OrderFacts.of(o, catalog) for oid, o in uow.orders.find_many(ids).items()}
        current = {oid: current_rules.decide(f) for oid, f in facts.items()}
        return dry_run(rules, facts, current)

    def pick(self, order_ids: Iterable[str], actor: str | None = None) -> BatchResult:
        result: BatchResult = self._run(c.StartPicking(order_ids, self._actor(actor)))
        return result

    def ship(
        self, shipments: Mapping[str, str | None] | Iterable[str], actor: str | None = None
    ) -> BatchResult:
        """Ship orders: ``{order_id: tracking}`` or just order ids."""
        result: BatchResult = self._run(c.ShipOrders(shipments, self._actor(actor)))
        return result


def open_erp(
    url: str = "memory://",
    *,
    clock: Clock | None = None,
    publishers: Sequence[EventPublisher] = (),
    actor: str = "system",
    auto_allocate: bool = True,
    review: ReviewPolicy | None = None,
    blacklist: Iterable[str] = (),
    payments: PaymentRecords | None = None,
    rules: RuleSet | None = None,
    rate_tables: Mapping[str, Iterable[RateTable]] | Iterable[RateTable] = (),
    live_services: Mapping[str, Iterable[LiveService]] | Iterable[LiveService] = (),
) -> ERP:
    """Open an ERP on the backend named by ``url``.

    Args:
        url: ``memory://`` for an in-memory store.
        clock: where the time comes from (default: the system clock, UTC).
        publishers: receive committed domain events.
        actor: who the changes are recorded as, unless a call says otherwise.
        auto_allocate: allocate waiting orders when stock becomes available.
        review: review checks run on import and after edits; orders with a
            reason wait on hold for a person (``None``: no review holds).
        blacklist: buyer ids, e-mails or names the ``Blacklisted`` check holds.
        payments: payment records the ``PaymentMismatch`` check compares with.
        rules: routing rules (warehouse, carrier service, hold, tags, priority),
            re-run whenever an order changes.
        rate_tables: freight tables, by shipping warehouse code (``"*"`` for
            any) or a plain list for every warehouse: allocation prefers the
            warehouse with the cheapest estimate, and an allocated order
            without a service gets the cheapest qualifying one.
        live_services: ``(CarrierRates, service)`` pairs (by warehouse, or a
            list for every warehouse) quoted live when a service is chosen.

    Raises:
        UnsupportedUrlError: the URL names no backend ecerp has.
    """
    config = Config(
        review=review,
        blacklist=frozenset(blacklist),
        payments=payments,
        rules=rules,
        rate_tables=rate_tables,
        live_services=live_services,
    )
    bus, backend = bootstrap(
        url, clock=clock, publishers=publishers, auto_allocate=auto_allocate, config=config
    )
    return ERP(bus, backend, actor)


__all__ = ["ERP", "CatalogAPI", "InventoryAPI", "OrdersAPI", "open_erp"]
