"""JSON documents for the SQL backend, through one cattrs converter.

Encoding choices (all of them):

* ``Decimal`` as a string (``"19.90"``): exact, never a float.
* ``datetime`` as ISO 8601 with its UTC offset; read back as aware UTC.
* enums by value; tuples, sets and frozensets as JSON lists.
* dicts keyed by tuples (order requirements ``{(line, sku): qty}``, stocktake
  snapshots ``{(sku, location): qty}``) as lists of ``[*key, value]``.
* ``Order`` field by field by hand-written functions (the hot path of every
  batch; its private event list is not stored).
* events for the outbox as ``{"type": class name, ...fields}``.

>>> conv = make_converter()
>>> from ecerp.domain.shared.money import Money
>>> conv.dumps(Money.of("19.90", "EUR"))
'{"amount":"19.90","currency":"EUR"}'
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import cattrs
import orjson

from ecerp.domain.inventory import events as inventory_events
from ecerp.domain.inventory.moves import Move
from ecerp.domain.inventory.stocktakes import Stocktake
from ecerp.domain.orders import events as order_events
from ecerp.domain.orders.drafts import Address, Buyer, Change, OrderLine, StatusChange, UnmappedSku
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.reasons import HoldReason
from ecerp.domain.orders.status import OrderStatus, PaymentStatus
from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.events import Event
from ecerp.domain.shared.money import Money

T = TypeVar("T")

#: Every event class by its type name: the outbox stores events by that name, so a
#: class may move between modules but never be renamed without an alias here.
EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for module in (inventory_events, order_events)
    for cls in vars(module).values()
    if isinstance(cls, type) and issubclass(cls, Event) and cls is not Event
}


for _cls in EVENT_TYPES.values():
    attrs.resolve_types(
        _cls, globalns={**vars(inventory_events), **vars(order_events), "Move": Move}
    )


class DocumentConverter(cattrs.Converter):
    """A cattrs converter with JSON ``dumps``/``loads`` helpers."""

    def dumps(self, obj: Any) -> str:
        # orjson: compact, UTF-8, keys in insertion order (so a document
        # dumps to the same text every time, which is how changes are found)
        return orjson.dumps(self.unstructure(obj)).decode()

    def loads(self, text: str, cls: type[T]) -> T:
        return self.structure(orjson.loads(text), cls)


def _dt_out(value: datetime) -> str:
    return value.isoformat()


def _dt_in(value: Any, _: Any) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed.astimezone(UTC)


def _is_set(cls: Any) -> bool:
    origin = getattr(cls, "__origin__", cls)
    return isinstance(origin, type) and issubclass(origin, (set, frozenset))


def make_converter() -> DocumentConverter:
    conv = DocumentConverter(prefer_attrib_converters=False)
    conv.register_unstructure_hook(Decimal, str)
    conv.register_structure_hook(Decimal, lambda v, _: Decimal(v))
    conv.register_unstructure_hook(datetime, _dt_out)
    conv.register_unstructure_hook_func(_is_set, lambda value: sorted(value))
    conv.register_structure_hook(datetime, _dt_in)

    conv.register_unstructure_hook(Order, order_out)
    conv.register_structure_hook(Order, lambda data, _: order_in(data))

    def stocktake_out(st: Stocktake) -> dict[str, Any]:
        return {
            "id": st.id,
            "warehouse": st.warehouse,
            "started_at": st.started_at.isoformat(),
            "snapshot": [[s, loc, q] for (s, loc), q in sorted(st.snapshot.items())],
            "counts": [[s, loc, q] for (s, loc), q in sorted(st.counts.items())],
            "status": st.status.value,
        }

    def stocktake_in(data: dict[str, Any], _: Any) -> Stocktake:
        from ecerp.domain.inventory.stocktakes import StocktakeStatus

        return Stocktake(
            data["id"],
            data["warehouse"],
            _dt_in(data["started_at"], None),
            {(s, loc): int(q) for s, loc, q in data["snapshot"]},
            {(s, loc): int(q) for s, loc, q in data["counts"]},
            StocktakeStatus(data["status"]),
        )

    conv.register_unstructure_hook(Stocktake, stocktake_out)
    conv.register_structure_hook(Stocktake, stocktake_in)
    return conv


def _money_out(m: Money | None) -> dict[str, str] | None:
    return None if m is None else {"amount": str(m.amount), "currency": m.currency}


def _money_in(d: dict[str, str] | None) -> Money | None:
    return None if d is None else Money(Decimal(d["amount"]), d["currency"])


def _money_req(d: dict[str, str]) -> Money:
    return Money(Decimal(d["amount"]), d["currency"])


def _address_out(a: Address) -> tuple[str, ...]:
    return (a.name, a.line1, a.line2, a.city, a.region, a.postcode, a.country, a.phone)


def order_out(o: Order) -> dict[str, Any]:
    return {
        "id": o.id,
        "channel": o.channel,
        "shop": o.shop,
        "external_id": o.external_id,
        "ordered_at": _iso_out(o.ordered_at),
        "updated_at": _iso_out(o.updated_at),
        "currency": o.currency,
        "lines": [
            [
                ln.line_no,
                ln.listing_sku,
                ln.qty,
                str(ln.unit_price.amount),
                str(ln.discount.amount),
                ln.title,
            ]
            for ln in o.lines
        ],
        "requirements": [[line, sku, qty] for (line, sku), qty in sorted(o.requirements.items())],
        "buyer": (o.buyer.id, o.buyer.name, o.buyer.email),
        "address": _address_out(o.address),
        "payment": o.payment.value,
        "paid_amount": _money_out(o.paid_amount),
        "status": _VALUE[o.status],
        "buyer_note": o.buyer_note,
        "seller_note": o.seller_note,
        "shipping_level": o.shipping_level,
        "shipping_service": o.shipping_service,
        "priority": o.priority,
        "tags": sorted(o.tags),
        "warehouse": o.warehouse,
        "tracking": o.tracking,
        "hold_reasons": [[r.code, r.detail] for r in o.hold_reasons],
        "cleared_holds": sorted(o.cleared_holds),
        "payment_reference": o.payment_reference,
        "merged_from": list(o.merged_from),
        "merged_into": o.merged_into,
        "line_origins": [[n, oid, ln] for n, (oid, ln) in sorted(o.line_origins.items())],
        "split_from": o.split_from,
        "parts_made": o.parts_made,
        "parked": None if o.parked is None else [o.parked[0].value, o.parked[1]],
        "unmapped": [[u.channel, u.shop, u.listing_sku] for u in o.unmapped],
        "route": [o.route_rule, o.route_warehouse],
        "reserve_held": o.reserve_held,
        "channel_digest": o.channel_digest,
        "history": [
            [_iso_out(h.at), h.actor, _VALUE[h.from_], _VALUE[h.to], h.note] for h in o.history
        ],
        "changes": [[_iso_out(c.at), c.actor, c.field, c.before, c.after] for c in o.changes],
    }


#: Money values read back, shared (they are immutable): order documents
#: repeat the same prices and discounts again and again.
_MONEY: dict[tuple[str, str], Money] = {}


def _money(amount: str, currency: str) -> Money:
    key = (amount, currency)
    found = _MONEY.get(key)
    if found is None:
        if len(_MONEY) > 100_000:
            _MONEY.clear()
        found = _MONEY[key] = Money(Decimal(amount), currency)
    return found


def _stored_int(field: str, value: Any) -> int:
    """An integer field of a stored document: an ``int``, or a string of
    digits an older ecerp stored (read as its number).

    Raises:
        ValidationError: anything else (named, never used as is: a string
            priority would break every later comparison).
    """
    if type(value) is int:
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValidationError(field, value, "must be an int")


def order_in(d: dict[str, Any]) -> Order:
    cur = d["currency"]
    return Order(
        id=d["id"],
        channel=d["channel"],
        shop=d["shop"],
        external_id=d["external_id"],
        ordered_at=_iso(d["ordered_at"]),
        updated_at=_iso(d["updated_at"]),
        currency=cur,
        lines=[
            OrderLine(n, sku, qty, _money(price, cur), _money(disc, cur), title)
            for n, sku, qty, price, disc, title in d["lines"]
        ],
        requirements={(line, sku): qty for line, sku, qty in d["requirements"]},
        buyer=Buyer(*d["buyer"]),
        address=Address(*d["address"]),
        payment=PaymentStatus(d["payment"]),
        paid_amount=_money_in(d["paid_amount"]),
        status=_STATUS[d["status"]],
        buyer_note=d["buyer_note"],
        seller_note=d["seller_note"],
        shipping_level=d["shipping_level"],
        shipping_service=d["shipping_service"],
        priority=_stored_int("priority", d["priority"]),
        tags=set(d["tags"]),
        warehouse=d["warehouse"],
        tracking=d["tracking"],
        hold_reasons=tuple(HoldReason(c, detail) for c, detail in d["hold_reasons"]),
        cleared_holds=frozenset(d.get("cleared_holds", ())),
        payment_reference=d.get("payment_reference", ""),
        merged_from=tuple(d.get("merged_from", ())),
        merged_into=d.get("merged_into"),
        line_origins={int(n): (oid, int(ln)) for n, oid, ln in d.get("line_origins", ())},
        split_from=d.get("split_from"),
        parts_made=int(d.get("parts_made", 0)),
        parked=None if not d.get("parked") else (OrderStatus(d["parked"][0]), d["parked"][1]),
        unmapped=tuple(UnmappedSku(*u) for u in d.get("unmapped", ())),
        route_rule=(d.get("route") or [None, None])[0],
        route_warehouse=(d.get("route") or [None, None])[1],
        reserve_held=bool(d.get("reserve_held", False)),
        channel_digest=d.get("channel_digest"),
        history=[
            StatusChange(_iso(at), actor, _STATUS[f], _STATUS[to], note)
            for at, actor, f, to, note in d["history"]
        ],
        changes=[Change(_iso(at), actor, field, b, a) for at, actor, field, b, a in d["changes"]],
    )


#: Statuses by value and back: a dict look-up is several times cheaper than
#: the enum's call or ``.value``, and every history entry names two.
_STATUS: dict[str, OrderStatus] = {s.value: s for s in OrderStatus}
_VALUE: dict[OrderStatus, str] = {s: s.value for s in OrderStatus}

#: Times written and read, shared: a batch stamps every history entry it
#: adds with the same time, so documents repeat a few times over and over.
_ISO_OUT: dict[datetime, str] = {}
_ISO_IN: dict[str, datetime] = {}


def _iso_out(value: datetime) -> str:
    if value.tzinfo is not UTC:  # equal instants in other zones hash alike
        return value.isoformat()
    found = _ISO_OUT.get(value)
    if found is None:
        if len(_ISO_OUT) > 100_000:
            _ISO_OUT.clear()
        found = _ISO_OUT[value] = value.isoformat()
    return found


def dump_order(order: Order) -> str:
    """An order's document text (what :func:`load_order` reads back)."""
    return orjson.dumps(order_out(order)).decode()


def load_order(text: str) -> Order:
    return order_in(orjson.loads(text))


def _iso(value: str) -> datetime:
    found = _ISO_IN.get(value)
    if found is None:
        if len(_ISO_IN) > 100_000:
            _ISO_IN.clear()
        parsed = datetime.fromisoformat(value)
        found = _ISO_IN[value] = parsed if parsed.tzinfo is UTC else parsed.astimezone(UTC)
    return found


CONVERTER = make_converter()


def dump_event(event: Event) -> tuple[str, str]:
    """``(kind, payload)`` for the outbox."""
    return type(event).__name__, CONVERTER.dumps(event)


def load_event(kind: str, payload: str) -> Event:
    """Raises:
    KeyError: an event type this version does not know.
    """
    return CONVERTER.loads(payload, EVENT_TYPES[kind])
