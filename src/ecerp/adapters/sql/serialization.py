"""JSON documents for the SQL backend, through one cattrs converter.

Encoding choices (all of them):

* ``Decimal`` as a string (``"19.90"``): exact, never a float.
* ``datetime`` as ISO 8601 with its UTC offset; read back as aware UTC.
* enums by value; tuples, sets and frozensets as JSON lists.
* dicts keyed by tuples (order requirements ``{(line, sku): qty}``, stocktake
  snapshots ``{(sku, location): qty}``) as lists of ``[*key, value]``.
* ``Order`` field by field (its private event list is not stored).
* events for the outbox as ``{"type": class name, ...fields}``.

>>> conv = make_converter()
>>> from ecerp.domain.money import Money
>>> conv.dumps(Money.of("19.90", "EUR"))
'{"amount":"19.90","currency":"EUR"}'
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import cattrs

from ecerp.domain import events as ev
from ecerp.domain.orders import Order, OrderLine
from ecerp.domain.stock import Move, Stocktake

T = TypeVar("T")

ORDER_FIELDS = [f for f in attrs.fields(Order) if f.name != "_events"]
EVENT_TYPES: dict[str, type[ev.Event]] = {
    cls.__name__: cls
    for cls in vars(ev).values()
    if isinstance(cls, type) and issubclass(cls, ev.Event) and cls is not ev.Event
}


for _cls in EVENT_TYPES.values():
    # events.py names Move only for type checkers (it would be a cycle)
    attrs.resolve_types(_cls, globalns={**vars(ev), "Move": Move})


class DocumentConverter(cattrs.Converter):
    """A cattrs converter with JSON ``dumps``/``loads`` helpers."""

    def dumps(self, obj: Any) -> str:
        return json.dumps(self.unstructure(obj), separators=(",", ":"), ensure_ascii=False)

    def loads(self, text: str, cls: type[T]) -> T:
        return self.structure(json.loads(text), cls)


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

    def order_out(order: Order) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for f in ORDER_FIELDS:
            value = getattr(order, f.name)
            if f.name == "requirements":
                data[f.name] = [[line, sku, qty] for (line, sku), qty in sorted(value.items())]
            elif f.name == "tags":
                data[f.name] = sorted(value)
            else:
                data[f.name] = conv.unstructure(value, f.type if isinstance(f.type, type) else None)
        return data

    def order_in(data: dict[str, Any], _: Any) -> Order:
        kwargs: dict[str, Any] = {}
        hints = attrs.resolve_types(Order)
        for f in attrs.fields(hints):
            if f.name == "_events":
                continue
            raw = data[f.name]
            if f.name == "requirements":
                kwargs[f.name] = {(int(line), str(sku)): int(qty) for line, sku, qty in raw}
            elif f.name == "lines":
                kwargs[f.name] = [conv.structure(x, OrderLine) for x in raw]
            else:
                kwargs[f.name] = conv.structure(raw, f.type)  # type: ignore[arg-type]
        return Order(**kwargs)

    conv.register_unstructure_hook(Order, order_out)
    conv.register_structure_hook(Order, order_in)

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
        from ecerp.domain.stock import StocktakeStatus

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


CONVERTER = make_converter()


def dump_event(event: ev.Event) -> tuple[str, str]:
    """``(kind, payload)`` for the outbox."""
    return type(event).__name__, CONVERTER.dumps(event)


def load_event(kind: str, payload: str) -> ev.Event:
    """Raises:
    KeyError: an event type this version does not know.
    """
    return CONVERTER.loads(payload, EVENT_TYPES[kind])
