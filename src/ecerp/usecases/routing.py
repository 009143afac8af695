"""Routing rules and freight applied to orders: rule decisions, the
cheapest-freight warehouse order, the cheapest carrier service."""

from __future__ import annotations

from datetime import datetime

from ecerp.domain.catalog import Catalog
from ecerp.domain.errors import NotFoundError
from ecerp.domain.orders import (
    HoldReason,
    Order,
    OrderStatus,
)
from ecerp.domain.routing import OrderFacts
from ecerp.domain.shipping import Parcel, cheapest
from ecerp.ports.carrier_rates import CarrierRatesUnavailableError
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.config import Config
from ecerp.usecases.reservations import sync_reservations


def parcel_of(order: Order, catalog: Catalog) -> Parcel:
    """The order as one parcel: SKU weights times quantities, to its address."""
    weight = 0
    for (_, sku_code), qty in order.requirements.items():
        sku = catalog.find_sku(sku_code)
        weight += (sku.weight_g if sku is not None else 0) * qty
    a = order.address
    return Parcel(weight, None, a.country, a.region, a.postcode)


#: Statuses in which routing rules may still change an order.
ROUTABLE = frozenset(
    {
        OrderStatus.UNPAID,
        OrderStatus.ON_HOLD,
        OrderStatus.READY,
        OrderStatus.WAITING,
        OrderStatus.ALLOCATED,
    }
)


def route_order(order: Order, uow: UnitOfWork, config: Config, *, at: datetime, actor: str) -> None:
    """Apply the routing rules to ``order`` (re-run whenever it changes).

    A rule's warehouse restricts allocation to it (an allocated order in
    another warehouse gives its stock back and waits); its service, tags and
    priority are set; its hold holds the order unless a person cleared it.
    """
    rules = config.rules
    if rules is None or order.status not in ROUTABLE:
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
    if (
        order.status is OrderStatus.ALLOCATED
        and decision.warehouse is not None
        and order.warehouse != decision.warehouse
    ):
        order.deallocate(
            at=at, actor=actor, note=f"rule {decision.rule} routes it to {decision.warehouse}"
        )
        sync_reservations(order, book, at=at, actor=actor)
    if decision.hold is not None and decision.rule is not None:
        reason = HoldReason(f"rule:{decision.rule}", decision.hold)
        if reason.code not in order.cleared_holds and reason not in order.hold_reasons:
            order.hold([reason], at=at, actor=actor)
            sync_reservations(order, book, at=at, actor=actor)


def warehouse_order(
    order: Order, codes: tuple[str, ...], catalog: Catalog, config: Config
) -> tuple[str, ...]:
    """Candidate warehouses for ``order``: the one a rule assigned, else all,
    cheapest estimated freight first (then warehouse priority)."""
    if order.route_warehouse is not None:
        return (order.route_warehouse,)
    if not config.rate_tables:
        return codes
    parcel = parcel_of(order, catalog)
    priced = []
    for rank, code in enumerate(codes):
        best = cheapest(config.tables_for(code), parcel)
        priced.append((best is None, best.amount.amount if best else 0, rank, code))
    return tuple(code for *_, code in sorted(priced))


def choose_service(
    order: Order, catalog: Catalog, config: Config, *, at: datetime, actor: str
) -> None:
    """Give an allocated order without a service the cheapest qualifying one
    among its warehouse's rate tables and live carrier quotes (ties: carrier,
    then service).  A carrier that cannot be asked now is skipped."""
    if order.shipping_service is not None or order.warehouse is None:
        return
    parcel = parcel_of(order, catalog)
    quotes = []
    best_table = cheapest(config.tables_for(order.warehouse), parcel)
    if best_table is not None:
        quotes.append(best_table)
    for rates, service in config.live_for(order.warehouse):
        try:
            live = rates.quote(service, parcel)
        except (CarrierRatesUnavailableError, NotFoundError):
            continue
        # quotes compare only within one currency: the first one found
        if (
            live is not None
            and live.amount.currency == (quotes[0] if quotes else live).amount.currency
        ):
            quotes.append(live)
    if quotes:
        best = min(quotes, key=lambda q: (q.amount.amount, q.carrier, q.service))
        order.set_shipping_service(f"{best.carrier}/{best.service}", at=at, actor=actor)
