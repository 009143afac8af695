"""``erp.orders``: import, allocate, edit, route, pick and ship orders.

>>> from datetime import UTC, datetime
>>> from ecerp import ChannelLine, ChannelOrder, Money, Shop, Sku, Warehouse, open_erp
>>> erp = open_erp("memory://")
>>> erp.catalog.add(Shop("web", "shopify", currency="EUR"), Sku("MUG"))
>>> erp.inventory.add_warehouse(Warehouse("SH"))
>>> _ = erp.inventory.receive("MUG", "SH", 5)
>>> def order(number, qty):
...     return ChannelOrder(
...         "shopify", "web", number, datetime(2026, 1, 5, tzinfo=UTC), "EUR",
...         (ChannelLine("MUG", qty, Money.of("9.90", "EUR")),), paid=True,
...     )
>>> erp.orders.process([order("1001", 3), order("1002", 4)]).counts()
{'allocated': 1, 'waiting': 1}
>>> [o.ok for o in erp.orders.ship(["shopify/web/1001"])]
[True]
>>> erp.orders.why_waiting("shopify/web/1002").waiting
True

Batch calls (``import_orders``, ``import_stream``, ``process``,
``accept``) take any iterable and send it in chunks of
:data:`~ecerp.usecases.orders.IMPORT_CHUNK` drafts, one command each; they
return one outcome per draft instead of raising for a bad one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import islice

from ecerp.api._base import ContextAPI
from ecerp.domain.orders.drafts import Address, ChannelLine, ChannelOrder
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import OrderStatus
from ecerp.domain.routing.dry_run import RouteChange, dry_run
from ecerp.domain.routing.facts import OrderFacts
from ecerp.domain.routing.rules import Explanation, RuleSet
from ecerp.domain.shared.errors import NotFoundError, ValidationError
from ecerp.domain.shared.values import (
    MAX_ORDER_ID_LEN,
    require_code,
    require_ids,
    require_iterable,
)
from ecerp.usecases.allocation.commands import AllocateOrders
from ecerp.usecases.allocation.queries import WaitingAnswer, why_waiting
from ecerp.usecases.idempotency import chunk_key
from ecerp.usecases.orders import handlers as order_cases
from ecerp.usecases.orders.commands import (
    AcceptOrders,
    CancelOrder,
    ChangeAddress,
    ChangeShippingService,
    EditOrderLines,
    HoldOrder,
    ImportOrders,
    MarkPaid,
    MergeOrders,
    ProcessOrders,
    ReleaseOrder,
    ShipOrders,
    SplitByAvailability,
    SplitOrder,
    StartPicking,
    UnmergeOrder,
)
from ecerp.usecases.orders.queries import UnmappedCode, unmapped_codes
from ecerp.usecases.results import BatchResult, Outcome
from ecerp.usecases.routing.routes import ROUTABLE


class OrdersAPI(ContextAPI):
    """Import, allocate, edit, cancel, pick and ship orders."""

    def _each_chunk(
        self,
        command: type[ImportOrders] | type[AcceptOrders],
        drafts: Iterable[ChannelOrder],
        actor: str | None,
        key: str | None,
    ) -> Iterator[BatchResult]:
        """Send ``drafts`` in chunks; yield each chunk's result once it committed.

        One ``command`` per :data:`~ecerp.usecases.orders.IMPORT_CHUNK`
        drafts (commands hold values, never a stream).  Chunk ``n`` is keyed
        ``"<key>#<n>"`` (the first just ``"<key>"``), and its items are
        numbered by their place in the whole call.

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
        """Import a batch; one outcome per draft, for the whole call.

        Any iterable, streamed: one command, one unit of work per chunk.
        A chunk that lost a race is run again alone; the drafts of one that lost
        every attempt are ``rejected`` with the :class:`ConcurrencyError`.
        With an ``idempotency_key``, chunk ``n`` is keyed ``"<key>#<n>"``
        (the first chunk just ``"<key>"``): a retried call replays the
        chunks that committed and goes on from there.
        """
        results = self._each_chunk(ImportOrders, drafts, actor, idempotency_key)
        return BatchResult(tuple(o for result in results for o in result))

    def import_stream(
        self,
        drafts: Iterable[ChannelOrder],
        actor: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Iterator[Outcome]:
        """Import a stream of any length (a file of a million orders).

        One command per :data:`~ecerp.usecases.orders.IMPORT_CHUNK` drafts, each
        chunk's outcomes yielded once it committed.  Nothing is kept between
        chunks, so memory stays bounded by one chunk whatever the stream's
        length (unlike :meth:`import_orders`, whose result holds an outcome
        for every draft).  Stopping the iteration stops the import after the
        last committed chunk.  With an ``idempotency_key``, chunk ``n`` is
        keyed ``"<key>#<n>"`` (the first chunk just ``"<key>"``): a retried
        stream replays the chunks that committed and goes on from there.
        """
        for result in self._each_chunk(ImportOrders, drafts, actor, idempotency_key):
            yield from result

    def process(
        self,
        drafts: Iterable[ChannelOrder],
        actor: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> BatchResult:
        """Import, review, route and allocate in one call.

        Any iterable, streamed in chunks; one outcome per draft telling where
        it ended (``allocated``, ``waiting``, ``held``, ``unmapped``,
        ``rejected``...), then one for each other order the allocation
        changed.

        Every chunk is imported first (one command each), then the serving
        queue is allocated, so newer orders never jump older ones.  With an
        ``idempotency_key``, the chunks are keyed as :meth:`import_orders`
        keys them and the allocation ``"<key>#alloc"``.
        """
        results = self._each_chunk(ImportOrders, drafts, actor, idempotency_key)
        imported = [o for result in results for o in result]
        done: BatchResult = self._run(
            ProcessOrders(
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
        """The web shop's webhook: import, review, route and allocate a few orders.

        They go in one transaction.  Older orders waiting for the same SKUs
        are served first; nothing else is looked at.  Outcomes as
        :meth:`process` gives them (a long input goes as one transaction per
        chunk, keyed as :meth:`import_orders` keys them).
        """
        results = self._each_chunk(AcceptOrders, drafts, actor, idempotency_key)
        return BatchResult(tuple(o for result in results for o in result))

    def allocate(
        self, order_ids: Iterable[str] | None = None, actor: str | None = None
    ) -> BatchResult:
        """Allocate the given orders, or every ready and waiting one."""
        result: BatchResult = self._run(AllocateOrders(order_ids, self._actor(actor)))
        return result

    def find(self, order_id: str) -> Order | None:
        """The order ``order_id``, or ``None``."""
        require_code("order_id", order_id, MAX_ORDER_ID_LEN)
        with self._erp.backend.read() as uow:
            return uow.orders.find(order_id)

    def get(self, order_id: str) -> Order:
        """The order ``order_id``.

        Raises:
            NotFoundError: no such order.
        """
        order = self.find(order_id)
        if order is None:
            raise NotFoundError("order", order_id)
        return order

    def find_by_key(self, channel: str, shop: str, external_id: str) -> Order | None:
        """The order ``channel`` sent as ``external_id`` for ``shop``, or ``None``.

        Only channel orders have a key: a part split off an order
        or a merged parcel is found by its id.
        """
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

    def count(self) -> int:
        """How many orders are stored."""
        with self._erp.backend.read() as uow:
            return uow.orders.count()

    def total(self) -> int:
        """How many orders are stored: the old name of :meth:`count`.

        Kept as an alias (it counts; an order's ``total()`` is money).
        """
        return self.count()

    def ids(self, *statuses: OrderStatus) -> list[str]:
        """Ids of orders in any of ``statuses`` (all orders when none given)."""
        for status in statuses:
            if not isinstance(status, OrderStatus):
                raise ValidationError("statuses", status, "must be an OrderStatus")
        with self._erp.backend.read() as uow:
            return list(uow.orders.ids_with_status(statuses or tuple(OrderStatus)))

    def cancel(self, order_id: str, reason: str = "", actor: str | None = None) -> Order:
        """Cancel an order and release what it held.

        Cancelling a merged order cancels the orders it was made of too; an
        order folded into a merged one is cancelled through it (or unmerged
        first).

        Raises:
            NotFoundError: no such order.
            InvalidTransitionError: shipped, cancelled or returned already.
            ConsolidationError: the order is folded into a merged order.
        """
        result: Order = self._run(CancelOrder(order_id, reason, self._actor(actor)))
        return result.clone()

    def mark_paid(self, order_id: str, actor: str | None = None) -> Order:
        """Record that the order is paid (audited).

        Raises:
            NotFoundError: no such order.
        """
        result: Order = self._run(MarkPaid(order_id, self._actor(actor)))
        return result.clone()

    def hold(self, order_id: str, *reasons: str, actor: str | None = None) -> Order:
        """Hold the order for a person with ``reasons``.

        A held order is released (:meth:`release`) or cancelled; holding a
        held order adds the new reasons.

        Raises:
            NotFoundError: no such order.
            ValidationError: no reason given.
        """
        result: Order = self._run(HoldOrder(order_id, reasons, self._actor(actor)))
        return result.clone()

    def release(self, order_id: str, actor: str | None = None) -> Order:
        """Release a held order: it flows on (allocation, when it may).

        Raises:
            NotFoundError: no such order.
            InvalidTransitionError: the order is not on hold.
        """
        result: Order = self._run(ReleaseOrder(order_id, self._actor(actor)))
        return result.clone()

    def edit_lines(
        self, order_id: str, lines: Iterable[ChannelLine], actor: str | None = None
    ) -> Order:
        """Replace an order's lines before picking (audited).

        Reservations follow the difference.  On an ``unmapped`` order (fixing a mistyped
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
        result: Order = self._run(EditOrderLines(order_id, lines, self._actor(actor)))
        return result.clone()

    def change_address(self, order_id: str, address: Address, actor: str | None = None) -> Order:
        """Change where the order goes (audited); refused once it is picked.

        Raises:
            NotFoundError: no such order.
            OrderLockedError: the order is picked or beyond.
        """
        result: Order = self._run(ChangeAddress(order_id, address, self._actor(actor)))
        return result.clone()

    def change_service(self, order_id: str, service: str | None, actor: str | None = None) -> Order:
        """Set the carrier service (``"carrier/service"``) a person chose.

        ``None`` lets allocation choose the cheapest again.  Audited, and
        holds and rules run again.  Refused once the order is picked.
        """
        result: Order = self._run(ChangeShippingService(order_id, service, self._actor(actor)))
        return result.clone()

    def merge(self, order_ids: Iterable[str], actor: str | None = None) -> Order:
        """Merge unpicked orders of one buyer and address into one order.

        Raises:
            ConsolidationError: they cannot be merged (nothing changes).
        """
        result: Order = self._run(MergeOrders(order_ids, self._actor(actor)))
        return result.clone()

    def unmerge(self, order_id: str, actor: str | None = None) -> list[Order]:
        """Undo a merge; returns the restored originals."""
        result: list[Order] = self._run(UnmergeOrder(order_id, self._actor(actor)))
        return [o.clone() for o in result]

    def split(
        self, order_id: str, *parts: Mapping[int, int], actor: str | None = None
    ) -> list[Order]:
        """Split ``parts`` (``{line_no: qty}`` each) off an order.

        Returns the order (with what stayed) and the new parts.
        """
        result: list[Order] = self._run(SplitOrder(order_id, parts, self._actor(actor)))
        return [o.clone() for o in result]

    def split_by_availability(
        self, order_id: str, warehouse: str | None = None, actor: str | None = None
    ) -> list[Order]:
        """Ship what is in stock now, the rest waits.

        Returns the waiting order and the allocated part.
        """
        result: list[Order] = self._run(
            SplitByAvailability(order_id, warehouse, self._actor(actor))
        )
        return [o.clone() for o in result]

    def unmapped(self) -> list[UnmappedCode]:
        """The listing SKUs that keep orders ``unmapped``.

        Each as (channel, shop, listing SKU), with how many orders and units
        wait for it.  Link
        them (``erp.catalog.add(Alias(...))``, or add the SKU or bundle) and
        the orders flow on.  ``ids(OrderStatus.UNMAPPED)`` lists the orders.
        """
        with self._erp.backend.read() as uow:
            return unmapped_codes(uow)

    def why_waiting(self, order_id: str) -> WaitingAnswer:
        """Why ``order_id`` waits, worked out from the stock available now.

        Per warehouse allocation would consider, the SKUs it is short
        of, needed vs available (bundles expanded).  An order that does not
        wait says so (``waiting`` false).

        Raises:
            NotFoundError: no such order.
        """
        with self._erp.backend.read() as uow:
            return why_waiting(uow, order_id, self._erp.bus.config)

    def explain(self, order_id: str, rules: RuleSet | None = None) -> Explanation:
        """Which routing rule decides ``order_id``, and why no earlier one does.

        With the configured rules, or ``rules``.
        """
        require_code("order_id", order_id, MAX_ORDER_ID_LEN)
        if rules is not None and not isinstance(rules, RuleSet):
            raise ValidationError("rules", rules, "must be a RuleSet")
        ruleset = rules or self._erp.settings.config().rules or RuleSet(())
        with self._erp.backend.read() as uow:
            order = uow.orders.get(order_id)
            return ruleset.explain(OrderFacts.of(order, uow.catalog.view()))

    def dry_run(self, rules: RuleSet, order_ids: Iterable[str] | None = None) -> list[RouteChange]:
        """What ``rules`` would change (warehouse, service, hold), changing nothing.

        For the given orders (default: every order rules may still change:
        not yet picked, shipped, cancelled or merged), compared with the
        configured rules.
        """
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
        """Start picking allocated orders; one outcome per order.

        An order that cannot be picked is ``rejected`` in its outcome, the
        others go on (``idempotency_key``: see :meth:`InventoryAPI.receive`).
        """
        result: BatchResult = self._run(
            StartPicking(order_ids, self._actor(actor), idempotency_key=idempotency_key)
        )
        return result

    def ship(
        self,
        shipments: Mapping[str, str | None] | Iterable[str],
        actor: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> BatchResult:
        """Ship orders: ``{order_id: tracking}`` or just order ids.

        Their reserved stock leaves for the customer; one outcome per order,
        an order that cannot be shipped ``rejected`` in its outcome
        (``idempotency_key``: see :meth:`InventoryAPI.receive`).
        """
        result: BatchResult = self._run(
            ShipOrders(shipments, self._actor(actor), idempotency_key=idempotency_key)
        )
        return result
