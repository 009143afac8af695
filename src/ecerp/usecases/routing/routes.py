"""Routing rules and freight applied to orders: rule decisions, the
cheapest-freight warehouse order, the cheapest carrier service."""

from __future__ import annotations

from datetime import datetime

from ecerp.domain.carriers.boxes import estimate_parcel
from ecerp.domain.carriers.parcels import Parcel, Quote
from ecerp.domain.carriers.quoting import Quoter
from ecerp.domain.carriers.rates import RateTable, cheapest
from ecerp.domain.carriers.services import cheapest_first, cheapest_service, refusing_services
from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.orders.holds import po_box
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.reasons import HoldReason
from ecerp.domain.orders.status import OrderStatus
from ecerp.domain.routing.facts import OrderFacts
from ecerp.domain.routing.statuses import ROUTABLE as ROUTABLE  # for the facade
from ecerp.domain.routing.statuses import may_route, must_give_back
from ecerp.domain.shared.errors import NotFoundError
from ecerp.ports.carrier_rates import CarrierRatesUnavailableError
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.config import Config
from ecerp.usecases.orders.reservations import sync_reservations


def parcel_of(order: Order, catalog: Catalog) -> Parcel:
    """The order as one parcel to its address (``po_box`` set when the
    address is a PO box or parcel locker): SKU weights and dimensions times
    quantity over the requirements (bundles expanded), packed by the box
    estimate (:func:`ecerp.domain.carriers.boxes.estimate_parcel`)."""
    items = []
    for (_, sku_code), qty in order.requirements.items():
        sku = catalog.find_sku(sku_code)
        if sku is not None:
            items.append((sku.weight_g, sku.dimensions, qty))
    address = order.address
    return estimate_parcel(
        items,
        address.country,
        address.region,
        address.postcode,
        po_box=po_box(address) is not None,
    )


def route_order(order: Order, uow: UnitOfWork, config: Config, *, at: datetime, actor: str) -> None:
    """Apply the routing rules to ``order`` (re-run whenever it changes).

    A rule's warehouse restricts allocation to it (an allocated order in
    another warehouse gives its stock back and waits); its service, tags and
    priority are set; its hold holds the order unless a person cleared it.
    """
    rules = config.rules
    if rules is None or not may_route(order.status):
        return
    decision = rules.decide(OrderFacts.of(order, uow.catalog.view()))
    order.route(
        rule=decision.rule,
        warehouse=decision.warehouse,
        service=decision.service,
        tags=decision.tags,
        priority=decision.priority,
        at=at,
        actor=actor,
    )
    book = uow.stock.book()
    if must_give_back(order.status, order.holds_stock(), order.warehouse, decision.warehouse):
        note = f"rule {decision.rule} routes it to {decision.warehouse}"
        if order.status is OrderStatus.ON_HOLD:
            order.give_back_held_stock(at=at, actor=actor, note=note)
        else:
            order.deallocate(at=at, actor=actor, note=note)
        sync_reservations(order, book, at=at, actor=actor)
    if decision.hold is not None and decision.rule is not None:
        reason = HoldReason.by_rule(decision.rule, decision.hold)
        if reason.code not in order.cleared_holds and reason not in order.hold_reasons:
            order.hold([reason], at=at, actor=actor)
            sync_reservations(order, book, at=at, actor=actor)


class Freight:
    """Within one run (an allocation batch): each order's parcel and its
    cheapest rate-table quote per warehouse, worked out once (warehouse
    choice and service choice both need them).  Orders must not change
    while one is in use."""

    def __init__(self, catalog: Catalog, config: Config) -> None:
        self.catalog = catalog
        self.config = config
        self._parcels: dict[str, Parcel] = {}
        self._quotes: dict[tuple[str, str], Quote | None] = {}
        self._tables: dict[str, tuple[RateTable, ...]] = {}
        self._by_parcel: dict[tuple[Parcel, str], Quote | None] = {}
        self._quoter = Quoter()  # the run's memo of zones and prices
        self.priced = any(config.rate_tables.values())
        """Some warehouse has a rate table (else no quote can be had from one)."""

    def parcel(self, order: Order) -> Parcel:
        parcel = self._parcels.get(order.id)
        if parcel is None:
            parcel = self._parcels[order.id] = parcel_of(order, self.catalog)
        return parcel

    def tables(self, warehouse: str) -> tuple[RateTable, ...]:
        tables = self._tables.get(warehouse)
        if tables is None:
            tables = self._tables[warehouse] = self.config.tables_for(warehouse)
        return tables

    def cheapest(self, order: Order, warehouse: str) -> Quote | None:
        key = (order.id, warehouse)
        quotes = self._quotes
        if key in quotes:
            return quotes[key]
        tables = self.tables(warehouse)
        if not tables:  # nothing to quote with (and no parcel to work out)
            quotes[key] = None
            return None
        # Orders of one shape to one place cost the same: quoted once.
        shape = (self.parcel(order), warehouse)
        if shape in self._by_parcel:
            best = self._by_parcel[shape]
        else:
            best = self._by_parcel[shape] = cheapest(tables, shape[0], self._quoter)
        quotes[key] = best
        return best


def warehouse_order(
    order: Order,
    codes: tuple[str, ...],
    catalog: Catalog,
    config: Config,
    freight: Freight | None = None,
) -> tuple[str, ...]:
    """Candidate warehouses for ``order``: the one a rule assigned, else all,
    cheapest estimated freight first (then warehouse priority).  The freight
    is quoted for :func:`parcel_of` (volumetric weight, size limits, PO
    boxes); warehouses none of whose tables qualify come last."""
    if order.route_warehouse is not None:
        return (order.route_warehouse,)
    if not config.rate_tables:
        return codes
    freight = freight or Freight(catalog, config)
    if not freight.priced:  # no warehouse has a quote: all tie, priority decides
        return codes
    return cheapest_first(codes, [freight.cheapest(order, code) for code in codes])


def choose_service(
    order: Order,
    catalog: Catalog,
    config: Config,
    *,
    at: datetime,
    actor: str,
    freight: Freight | None = None,
) -> None:
    """Give an allocated order without a service the cheapest qualifying one
    among its warehouse's rate tables and live carrier quotes (ties: carrier,
    then service).  A carrier that cannot be asked now is skipped.  Tables
    the parcel is over the limits of (weight, dimensions), or that refuse
    PO boxes when it goes to one, give no quote and are never chosen; nor is
    a live quote for a service whose table refuses PO boxes."""
    if order.shipping_service is not None or order.warehouse is None:
        return
    freight = freight or Freight(catalog, config)
    tables = freight.tables(order.warehouse)
    live_services = config.live_for(order.warehouse)
    if not tables and not live_services:  # nothing to choose from
        return
    parcel = freight.parcel(order)
    best_table = freight.cheapest(order, order.warehouse)
    live = []
    for rates, service in live_services:
        try:
            live.append(rates.quote(service, parcel))
        except (CarrierRatesUnavailableError, NotFoundError):
            continue
    best = cheapest_service(best_table, live, refusing_services(tables, parcel))
    if best is not None:
        order.set_shipping_service(f"{best.carrier}/{best.service}", at=at, actor=actor)
