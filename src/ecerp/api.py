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

import builtins
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

from ecerp.bootstrap import Backend, bootstrap
from ecerp.domain.carriers.rates import RateTable
from ecerp.domain.catalog.aliases import Alias, Bundle
from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.catalog.products import Product, Shop, Sku
from ecerp.domain.inventory.invariants import Discrepancy, check_invariants
from ecerp.domain.inventory.locations import Warehouse
from ecerp.domain.inventory.moves import Move, Reservation, StockLine, StockPosition
from ecerp.domain.inventory.state import StockState
from ecerp.domain.inventory.stocktakes import Stocktake
from ecerp.domain.inventory.transfers import Transfer
from ecerp.domain.orders.drafts import Address, ChannelLine, ChannelOrder
from ecerp.domain.orders.holds import ReviewPolicy
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import OrderStatus
from ecerp.domain.routing.dry_run import RouteChange, dry_run
from ecerp.domain.routing.facts import OrderFacts
from ecerp.domain.routing.rules import Explanation, RuleSet
from ecerp.domain.shared.errors import NotFoundError, ValidationError
from ecerp.domain.shared.values import (
    MAX_ORDER_ID_LEN,
    require_code,
    require_flag,
    require_ids,
    require_iterable,
    require_positive_qty,
    require_text,
    require_utc,
)
from ecerp.ports.clock import Clock
from ecerp.ports.dead_letters import DeadLetter
from ecerp.ports.events import EventPublisher
from ecerp.ports.payments import PaymentRecords
from ecerp.settings_api import SettingsAPI
from ecerp.usecases import commands as c
from ecerp.usecases import queries
from ecerp.usecases.config import Config, LiveService
from ecerp.usecases.idempotency import chunk_key
from ecerp.usecases.messagebus import COMMAND_HANDLERS, MessageBus
from ecerp.usecases.orders import handlers as order_cases
from ecerp.usecases.results import BatchResult, Outcome
from ecerp.usecases.routing import ROUTABLE
from ecerp.usecases.settings import KEEP, ChangeSettings, SettingsSource


class ERP:
    """An open ERP.  Build it with :func:`open_erp`."""

    def __init__(self, bus: MessageBus, backend: Backend, actor: str = "system") -> None:
        self.bus = bus
        self.backend = backend
        self.actor = actor
        self.catalog = CatalogAPI(self)
        self.inventory = InventoryAPI(self)
        self.orders = OrdersAPI(self)
        self.settings = SettingsAPI(self)
        self.dead_letters = DeadLettersAPI(self)

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

    def add(
        self,
        *items: Product | Sku | Shop | Bundle | Alias,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        """Add items in order, all or none (``idempotency_key``: see
        :meth:`InventoryAPI.receive`).

        Raises:
            DuplicateError, UnknownSkuError, NotFoundError, AliasCycleError,
            BundleCycleError, ValidationError: nothing was added.
        """
        self._run(c.AddToCatalog(items, actor=self._actor(actor), idempotency_key=idempotency_key))

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

    def add_warehouse(
        self, warehouse: Warehouse, actor: str | None = None, *, idempotency_key: str | None = None
    ) -> None:
        self._run(
            c.AddWarehouse(warehouse, actor=self._actor(actor), idempotency_key=idempotency_key)
        )

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
        idempotency_key: str | None = None,
    ) -> Move:
        """Goods in from a supplier (to ``damaged`` stock if so).  ``at``
        back-dates the receipt (booked late): refused before the closed date
        or in the future.

        ``idempotency_key`` (on every method that books stock or creates a
        document): a retry with the same key and arguments returns the first
        result and books nothing again; the same key with other arguments
        raises :class:`~ecerp.domain.shared.errors.IdempotencyConflictError`.
        """
        result: Move = self._run(
            c.ReceiveStock(
                sku,
                warehouse,
                qty,
                document,
                damaged,
                actor=self._actor(actor),
                at=at,
                idempotency_key=idempotency_key,
            )
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
        idempotency_key: str | None = None,
    ) -> Move:
        """A gain or loss of sellable stock; ``at`` back-dates it (see
        :meth:`receive`).

        Raises:
            InsufficientStockError: a loss bigger than the unreserved stock.
            HistoricalShortageError: a back-dated loss would leave the
                balance below zero at some moment between ``at`` and now.
            ClosedPeriodError: ``at`` is in a closed period.
            ValidationError: ``at`` is naive or in the future.
        """
        result: Move = self._run(
            c.AdjustStock(
                sku,
                warehouse,
                delta,
                note,
                self._actor(actor),
                at,
                idempotency_key=idempotency_key,
            )
        )
        return result

    def damage(
        self,
        sku: str,
        warehouse: str,
        qty: int,
        *,
        note: str = "",
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> Move:
        result: Move = self._run(
            c.MarkDamaged(
                sku, warehouse, qty, note, self._actor(actor), idempotency_key=idempotency_key
            )
        )
        return result

    def repair(
        self,
        sku: str,
        warehouse: str,
        qty: int,
        *,
        note: str = "",
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> Move:
        result: Move = self._run(
            c.RepairDamaged(
                sku, warehouse, qty, note, self._actor(actor), idempotency_key=idempotency_key
            )
        )
        return result

    def scrap(
        self,
        sku: str,
        warehouse: str,
        qty: int,
        *,
        note: str = "",
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> Move:
        result: Move = self._run(
            c.ScrapDamaged(
                sku, warehouse, qty, note, self._actor(actor), idempotency_key=idempotency_key
            )
        )
        return result

    def transfer(
        self,
        transfer_id: str,
        source: str,
        dest: str,
        lines: Mapping[str, int],
        actor: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Transfer:
        """Send stock from ``source`` to ``dest``; it is in transit until received."""
        result: Transfer = self._run(
            c.SendTransfer(
                transfer_id,
                source,
                dest,
                lines,
                self._actor(actor),
                idempotency_key=idempotency_key,
            )
        )
        return result

    def receive_transfer(
        self,
        transfer_id: str,
        quantities: Mapping[str, int],
        *,
        damaged: bool = False,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> Transfer:
        result: Transfer = self._run(
            c.ReceiveTransfer(
                transfer_id,
                quantities,
                damaged,
                self._actor(actor),
                idempotency_key=idempotency_key,
            )
        )
        return result

    def start_stocktake(
        self,
        stocktake_id: str,
        warehouse: str,
        skus: Iterable[str],
        actor: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Stocktake:
        result: Stocktake = self._run(
            c.StartStocktake(
                stocktake_id,
                warehouse,
                skus,
                self._actor(actor),
                idempotency_key=idempotency_key,
            )
        )
        return result

    def count(
        self,
        stocktake_id: str,
        counts: Mapping[str, int],
        actor: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Stocktake:
        result: Stocktake = self._run(
            c.RecordCount(stocktake_id, counts, self._actor(actor), idempotency_key=idempotency_key)
        )
        return result

    def post_stocktake(
        self, stocktake_id: str, actor: str | None = None, *, idempotency_key: str | None = None
    ) -> list[Move]:
        result: list[Move] = self._run(
            c.PostStocktake(stocktake_id, self._actor(actor), idempotency_key=idempotency_key)
        )
        return result

    def close_period(
        self, until: datetime, actor: str | None = None, *, idempotency_key: str | None = None
    ) -> None:
        """Refuse moves dated before ``until`` from now on, and snapshot every
        balance as it stood then.

        Raises:
            ValidationError: ``until`` is naive, later than now, or earlier
                than the period already closed.
        """
        self._run(c.ClosePeriod(until, self._actor(actor), idempotency_key=idempotency_key))

    def verify(self) -> list[Discrepancy]:
        """Recompute balances and reservations from the ledger; every stored
        figure that differs (empty when the books are sound)."""
        return self._erp.backend.verify()

    def rebuild(self) -> int:
        """Repair the cached balances from the ledger; how many were wrong."""
        return self._erp.backend.rebuild()

    def position(self, sku: str, warehouse: str) -> StockPosition:
        """On hand, reserved, available, damaged and in transit of one SKU.

        Raises:
            UnknownSkuError: the catalog has no SKU ``sku``.
            NotFoundError: unknown warehouse.
        """
        require_code("sku", sku)
        require_code("warehouse", warehouse)
        with self._erp.backend.read() as uow:
            return queries.stock_position(uow, sku, warehouse)

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
        self,
        warehouse: str | None = None,
        *,
        at: datetime | None = None,
        include_empty: bool = False,
        by_warehouse: bool = True,
    ) -> list[StockLine]:
        """The stock report: one :class:`StockLine` per SKU and warehouse
        with stock (sorted by SKU, then warehouse), of one warehouse or all.
        With ``at``, on hand as of that moment; reservations have no history,
        so then ``reserved`` is 0 and ``available`` equals ``on_hand``.

        ``include_empty``: every SKU of the catalog in every warehouse asked
        for, sold-out ones (all zeros) included.  ``by_warehouse=False``: one
        line per SKU summed over the warehouses asked for, with warehouse
        ``"*"`` (:data:`~ecerp.usecases.queries.ALL_WAREHOUSES`).

        Raises:
            ValidationError: ``at`` is naive.
            NotFoundError: unknown warehouse.
        """
        if warehouse is not None:
            require_code("warehouse", warehouse)
        if at is not None:
            require_utc("at", at)
        with self._erp.backend.read() as uow:
            return queries.stock_report(
                uow, warehouse, at=at, include_empty=include_empty, by_warehouse=by_warehouse
            )

    def totals(self, *, include_empty: bool = False) -> list[StockLine]:
        """One line per SKU summed over every warehouse (warehouse ``"*"``):
        ``report(by_warehouse=False)``."""
        return self.report(include_empty=include_empty, by_warehouse=False)

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

    def _each_chunk(
        self,
        command: type[c.ImportOrders] | type[c.AcceptOrders],
        drafts: Iterable[ChannelOrder],
        actor: str | None,
        key: str | None,
    ) -> Iterator[BatchResult]:
        """Send ``drafts`` as one ``command`` per
        :data:`~ecerp.usecases.orders.IMPORT_CHUNK` drafts (commands hold
        values, never a stream); yields each chunk's result once it
        committed.  Chunk ``n`` is keyed ``"<key>#<n>"`` (the first just
        ``"<key>"``), and its items are numbered by their place in the whole
        call.

        Raises:
            ValidationError: ``drafts`` is not a collection, or ``key`` is too
                long to number the chunks (before any work).
        """
        chunk_key(key, 10**6)  # room for any chunk's key, refused before any work
        it = iter(require_iterable("drafts", drafts))
        first = 1  # the position of the chunk's first draft in the whole call
        n = 0
        while chunk := tuple(islice(it, order_cases.IMPORT_CHUNK)):
            yield self._run(
                command(
                    chunk,
                    actor=actor or "import",
                    first=first,
                    idempotency_key=chunk_key(key, n),
                )
            )
            first += len(chunk)
            n += 1

    def import_orders(
        self,
        drafts: Iterable[ChannelOrder],
        actor: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> BatchResult:
        """Import a batch (any iterable, streamed: one command, one unit of
        work per chunk); one outcome per draft, for the whole call.  A chunk
        that lost a race is run again alone; the drafts of one that lost
        every attempt are ``rejected`` with the :class:`ConcurrencyError`.
        With an ``idempotency_key``, chunk ``n`` is keyed ``"<key>#<n>"``
        (the first chunk just ``"<key>"``): a retried call replays the
        chunks that committed and goes on from there."""
        results = self._each_chunk(c.ImportOrders, drafts, actor, idempotency_key)
        return BatchResult(tuple(o for result in results for o in result))

    def import_stream(
        self,
        drafts: Iterable[ChannelOrder],
        actor: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Iterator[Outcome]:
        """Import a stream of any length (a file of a million orders): one
        command per :data:`~ecerp.usecases.orders.IMPORT_CHUNK` drafts, each
        chunk's outcomes yielded once it committed.  Nothing is kept between
        chunks, so memory stays bounded by one chunk whatever the stream's
        length (unlike :meth:`import_orders`, whose result holds an outcome
        for every draft).  Stopping the iteration stops the import after the
        last committed chunk.  With an ``idempotency_key``, chunk ``n`` is
        keyed ``"<key>#<n>"`` (the first chunk just ``"<key>"``): a retried
        stream replays the chunks that committed and goes on from there."""
        for result in self._each_chunk(c.ImportOrders, drafts, actor, idempotency_key):
            yield from result

    def process(
        self,
        drafts: Iterable[ChannelOrder],
        actor: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> BatchResult:
        """Import, review, route and allocate in one call (any iterable,
        streamed in chunks); one outcome per draft telling where it ended
        (``allocated``, ``waiting``, ``held``, ``unmapped``, ``rejected``...), then one for
        each other order the allocation changed.

        Every chunk is imported first (one command each), then the serving
        queue is allocated, so newer orders never jump older ones.  With an
        ``idempotency_key``, the chunks are keyed as :meth:`import_orders`
        keys them and the allocation ``"<key>#alloc"``."""
        results = self._each_chunk(c.ImportOrders, drafts, actor, idempotency_key)
        imported = [o for result in results for o in result]
        done: BatchResult = self._run(
            c.ProcessOrders(
                (),
                actor=actor or "import",
                imported=imported,
                idempotency_key=None if idempotency_key is None else f"{idempotency_key}#alloc",
            )
        )
        return done

    def accept(
        self,
        drafts: Iterable[ChannelOrder],
        actor: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> BatchResult:
        """The web shop's webhook: import, review, route and allocate a few
        orders in one transaction.  Older orders waiting for the same SKUs
        are served first; nothing else is looked at.  Outcomes as
        :meth:`process` gives them (a long input goes as one transaction per
        chunk, keyed as :meth:`import_orders` keys them)."""
        results = self._each_chunk(c.AcceptOrders, drafts, actor, idempotency_key)
        return BatchResult(tuple(o for result in results for o in result))

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

    def find_by_key(self, channel: str, shop: str, external_id: str) -> Order | None:
        """The order ``channel`` sent as ``external_id`` for ``shop``, or
        ``None``.  Only channel orders have a key: a part split off an order
        or a merged parcel is found by its id."""
        with self._erp.backend.read() as uow:
            return uow.orders.find_by_keys([(channel, shop, external_id)]).get(
                (channel, shop, external_id)
            )

    def get_by_key(self, channel: str, shop: str, external_id: str) -> Order:
        """As :meth:`find_by_key`.

        Raises:
            NotFoundError: no such channel order.
        """
        order = self.find_by_key(channel, shop, external_id)
        if order is None:
            raise NotFoundError("order", (channel, shop, external_id))
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
        """Replace an order's lines before picking (audited); reservations
        follow the difference.  On an ``unmapped`` order (fixing a mistyped
        listing SKU) lines that all resolve map it, and it is reviewed,
        routed and allocated; lines still unknown keep it unmapped with
        their codes.

        Raises:
            NotFoundError: no such order.
            OrderLockedError: the order is picked or beyond.
            UnknownSkuError: a listing SKU resolves to nothing (an order that
                is not unmapped; nothing changes).
            ValidationError: no lines, or a malformed one.
            CurrencyMismatchError: a line priced in another currency.
        """
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

    def unmapped(self) -> list[queries.UnmappedCode]:
        """The listing SKUs that keep orders ``unmapped`` (channel, shop,
        listing SKU), with how many orders and units wait for each.  Link
        them (``erp.catalog.add(Alias(...))``, or add the SKU or bundle) and
        the orders flow on.  ``ids(OrderStatus.UNMAPPED)`` lists the orders."""
        with self._erp.backend.read() as uow:
            return queries.unmapped_codes(uow)

    def why_waiting(self, order_id: str) -> queries.WaitingAnswer:
        """Why ``order_id`` waits, worked out now from the stock available
        now: per warehouse allocation would consider, the SKUs it is short
        of, needed vs available (bundles expanded).  An order that does not
        wait says so (``waiting`` false).

        Raises:
            NotFoundError: no such order.
        """
        with self._erp.backend.read() as uow:
            return queries.why_waiting(uow, order_id, self._erp.bus.config)

    def explain(self, order_id: str, rules: RuleSet | None = None) -> Explanation:
        """Which routing rule decides ``order_id`` and why each earlier rule
        does not (with the configured rules, or ``rules``)."""
        require_code("order_id", order_id, MAX_ORDER_ID_LEN)
        if rules is not None and not isinstance(rules, RuleSet):
            raise ValidationError("rules", rules, "must be a RuleSet")
        ruleset = rules or self._erp.settings.config().rules or RuleSet(())
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
        current_rules = self._erp.settings.config().rules or RuleSet(())
        with self._erp.backend.read() as uow:
            ids = list(given) if given is not None else list(uow.orders.ids_with_status(ROUTABLE))
            catalog = uow.catalog.view()
            facts = {oid: OrderFacts.of(o, catalog) for oid, o in uow.orders.find_many(ids).items()}
        current = {oid: current_rules.decide(f) for oid, f in facts.items()}
        return dry_run(rules, facts, current)

    def pick(
        self,
        order_ids: Iterable[str],
        actor: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> BatchResult:
        result: BatchResult = self._run(
            c.StartPicking(order_ids, self._actor(actor), idempotency_key=idempotency_key)
        )
        return result

    def ship(
        self,
        shipments: Mapping[str, str | None] | Iterable[str],
        actor: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> BatchResult:
        """Ship orders: ``{order_id: tracking}`` or just order ids."""
        result: BatchResult = self._run(
            c.ShipOrders(shipments, self._actor(actor), idempotency_key=idempotency_key)
        )
        return result


class DeadLettersAPI(_Context):
    """Follow-up work that failed after its command committed.

    An event handler (the automatic allocation of waiting orders) or a
    publisher that still fails after its retries never raises into the
    caller of the command that caused it: it leaves a :class:`DeadLetter`
    (which consumer, the events, the error, attempts, first and last failure)
    to inspect, replay once the cause is fixed, or discard.
    """

    def list(self, limit: int | None = None) -> list[DeadLetter]:
        """Dead letters, oldest first."""
        letters = self._erp.bus.dead_letters
        return [] if letters is None else letters.list(limit)

    def get(self, letter_id: int) -> DeadLetter:
        """Raises:
        NotFoundError: no such dead letter.
        """
        return self._erp.bus.letters().get(letter_id)

    def replay(self, letter_id: int) -> bool:
        """Give the letter's events to its consumer again: ``True`` when it
        took them (the letter is gone), ``False`` when it failed again (the
        letter stays, with the new error and more attempts).

        Raises:
            NotFoundError: no such letter, or its consumer is not configured
                in this ERP.
        """
        return self._erp.bus.replay(letter_id)

    def replay_all(self) -> builtins.list[DeadLetter]:
        """Replay every letter, oldest first; returns those still dead."""
        return self._erp.bus.replay_all()

    def discard(self, letter_id: int) -> None:
        """Forget a letter without delivering it.

        Raises:
            NotFoundError: no such dead letter.
        """
        self._erp.bus.letters().remove(letter_id)


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
    create: bool | None = None,
    upgrade: bool = False,
) -> ERP:
    """Open an ERP on the backend named by ``url``.

    Args:
        url: ``memory://`` for an in-memory store.
        clock: where the time comes from (default: the system clock, UTC).
        publishers: receive committed domain events.
        actor: who the changes are recorded as, unless a call says otherwise.
        auto_allocate: allocate waiting orders when stock becomes available.
        review: review checks run on import and after edits; orders with a
            reason wait on hold for a person.
        blacklist: buyer ids, e-mails or names the ``Blacklisted`` check holds.
        payments: payment records the ``PaymentMismatch`` check compares with
            (this process's; not stored).
        rules: routing rules (warehouse, carrier service, hold, tags, priority),
            re-run whenever an order changes.
        rate_tables: freight tables, by shipping warehouse code (``"*"`` for
            any) or a plain list for every warehouse: allocation prefers the
            warehouse with the cheapest estimate, and an allocated order
            without a service gets the cheapest qualifying one.
        live_services: ``(CarrierRates, service)`` pairs (by warehouse, or a
            list for every warehouse) quoted live when a service is chosen
            (this process's; not stored).
        create: whether an empty SQL database gets the ecerp schema.  The
            default (``None``) creates it on SQLite (a new file works with
            one call) and not on PostgreSQL; ``False`` refuses an empty
            database everywhere (production: a mistyped path fails instead
            of starting an empty shop); ``True`` creates it on PostgreSQL too.
        upgrade: upgrade a database at an older ecerp schema (by default it
            is refused with a ``SchemaError`` saying how).

    ``review``, ``blacklist``, ``rules`` and ``rate_tables`` are **stored
    settings** (see ``erp.settings``): every process that opens the store
    applies the latest stored version, whatever it was opened with.  Given
    here, a value that differs from the stored one is stored as a new
    version, attributed to ``actor``; one not given (``None``, or empty for
    the blacklist and rate tables) leaves the stored value as it is (turn a
    setting off with ``erp.settings.set(review=None)``).

    Raises:
        UnsupportedUrlError: the URL names no backend ecerp has.
        ValidationError: a malformed setting (nothing stored).
        MissingDependencyError: the backend's optional packages are missing
            (names the extra to install).
        SchemaError: no schema and not to create it, an older one and not
            to upgrade it, or a newer one.
    """
    blacklist, rate_tables = _materialised(blacklist), _materialised(rate_tables)
    publishers = _check_open_arguments(
        url, clock, publishers, actor, auto_allocate, payments, live_services, create, upgrade
    )
    given: dict[str, Any] = {
        "review": KEEP if review is None else review,
        "blacklist": KEEP if _empty(blacklist) else blacklist,
        "rules": KEEP if rules is None else rules,
        "rate_tables": KEEP if _empty(rate_tables) else rate_tables,
    }
    wanted = {name: value for name, value in given.items() if value is not KEEP}
    # validated before anything is opened
    command = ChangeSettings.of(actor, **wanted) if wanted else None
    source = SettingsSource(Config(payments=payments, live_services=live_services))
    source.provide(review)
    bus, backend = bootstrap(
        url,
        clock=clock,
        publishers=publishers,
        auto_allocate=auto_allocate,
        config=source.local,
        settings=source,
        create=create,
        upgrade=upgrade,
    )
    erp = ERP(bus, backend, actor)
    try:
        if command is not None and erp.settings.differs(**dict(command.changes)):
            bus.handle(command)
    except BaseException:
        backend.close()
        raise
    return erp


#: The longest URL :func:`open_erp` takes.
MAX_URL_LEN = 2000


def _check_open_arguments(
    url: object,
    clock: object,
    publishers: object,
    actor: object,
    auto_allocate: object,
    payments: object,
    live_services: object,
    create: object,
    upgrade: object,
) -> tuple[EventPublisher, ...]:
    """Refuse malformed :func:`open_erp` arguments before anything opens;
    returns the publishers as a tuple.

    Raises:
        ValidationError: naming the argument.
    """
    text = require_text("url", url, MAX_URL_LEN)
    if text.startswith("sqlite:///") and not text.removeprefix("sqlite:///").split("?")[0]:
        raise ValidationError("url", url, "names no file (sqlite:///shop.db)")
    if clock is not None and not callable(getattr(clock, "now", None)):
        raise ValidationError("clock", clock, "must be a Clock (with a now() method) or None")
    if isinstance(publishers, str | bytes | Mapping) or not isinstance(publishers, Iterable):
        raise ValidationError("publishers", publishers, "must be a list of EventPublishers")
    given = tuple(publishers)
    for publisher in given:
        if not callable(getattr(publisher, "publish", None)):
            raise ValidationError("publishers", publisher, "must have a publish() method")
    if not isinstance(actor, str) or not actor:
        raise ValidationError("actor", actor, "must be a non-empty string")
    require_text("actor", actor)
    require_flag("auto_allocate", auto_allocate)
    require_flag("upgrade", upgrade)
    if create is not None:
        require_flag("create", create)
    if payments is not None and not callable(getattr(payments, "find", None)):
        raise ValidationError("payments", payments, "must be PaymentRecords (find()) or None")
    if isinstance(live_services, str | bytes) or not isinstance(live_services, Iterable):
        raise ValidationError(
            "live_services", live_services, "must be (CarrierRates, service) pairs"
        )
    return given


def _materialised(value: Any) -> Any:
    """A one-shot iterable as a tuple, so it can be tested for emptiness
    and still be read (a mapping or a string stays as it is)."""
    if isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping | tuple):
        return tuple(value)
    return value


def _empty(value: object) -> bool:
    """An empty collection given where one is optional (not a setting)."""
    return isinstance(value, tuple | list | dict | set | frozenset) and not value


__all__ = ["ERP", "CatalogAPI", "DeadLettersAPI", "InventoryAPI", "OrdersAPI", "open_erp"]
