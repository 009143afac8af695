"""Idempotency records on SQL: the ``idempotency_keys`` table and the JSON
form of command results.

A record is one row, written in the transaction of the command it belongs to
(the key is the primary key, so a second caller's insert of the same key
fails and its whole transaction with it: ``ConcurrencyError``, retried by the
bus).  The result is a JSON document, through the converter of
:mod:`ecerp.adapters.sql.serialization` (never pickle):

* ``null`` for ``None``;
* ``{"Move": …}``, ``{"Transfer": …}``, ``{"Stocktake": …}`` as the documents
  and moves tables store them; ``{"Order": …}`` as an order document;
* ``{"list": [...]}`` for lists of those;
* ``{"BatchResult": [[ref, kind, order, error, detail, merged_into], ...]}``
  (records written before ``merged_into`` have five items; it is then read
  from the detail), an error as
  ``{"type": "module:Class", "message": …, "fields": …}``, rebuilt as the same
  error class with the same message and fields;
* any other value (an error's field) tagged by type: ``{"tuple": [...]}``,
  ``{"dict": [[key, value], ...]}``, ``{"Decimal": "9.90"}``,
  ``{"datetime": iso}``, ``{"enum": "module:Class", "value": …}``,
  ``{"attrs": "module:Class", "fields": {...}}``, ``{"float": "nan"}``; a
  value of no known kind is kept as ``{"repr": …}`` and read back as that
  text.

>>> from ecerp.domain.inventory.errors import InsufficientStockError
>>> from ecerp.usecases.results import BatchResult, Outcome, OutcomeKind, merged_into_of
>>> err = InsufficientStockError("MUG", "SH", 5, 2)
>>> result = BatchResult((Outcome("o-1", OutcomeKind.REJECTED, "o-1", err, str(err)),))
>>> load_result(dump_result(result)) == result
True
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
import orjson
from sqlalchemy import Connection, insert, select

from ecerp.adapters.sql import schema as t
from ecerp.adapters.sql.serialization import CONVERTER, order_in, order_out
from ecerp.domain.inventory.moves import Move
from ecerp.domain.inventory.stocktakes import Stocktake
from ecerp.domain.inventory.transfers import Transfer
from ecerp.domain.orders.order import Order
from ecerp.domain.shared.errors import BackendError, EcerpError
from ecerp.ports.idempotency import IdempotencyRecord, IdempotencyRepository
from ecerp.usecases.results import BatchResult, Outcome, OutcomeKind, merged_into_of

#: Results stored as the documents and moves tables store them.
_DOCUMENTS: dict[str, type[Any]] = {"Move": Move, "Transfer": Transfer, "Stocktake": Stocktake}


class SqlIdempotencyRepository(IdempotencyRepository):
    """Records of one unit of work: read from ``idempotency_keys``, written
    at commit (after the unit's other writes, so a result reads as it was
    committed)."""

    def __init__(self, conn: Connection, now: Callable[[], datetime]) -> None:
        self._conn = conn
        self._now = now
        self.pending: dict[str, IdempotencyRecord] = {}

    def find(self, key: str) -> IdempotencyRecord | None:
        if key in self.pending:
            found = self.pending[key]
            return attrs.evolve(found, result=load_result(dump_result(found.result)))
        table = t.idempotency_keys
        row = self._conn.execute(
            select(table.c.command, table.c.fingerprint, table.c.result).where(table.c.key == key)
        ).first()
        if row is None:
            return None
        command, fingerprint, result = row
        try:
            loaded = load_result(result)
        except (ValueError, KeyError, TypeError, EcerpError) as err:
            raise BackendError(
                f"the result recorded for idempotency key {key!r} cannot be read ({err})",
                key=key,
            ) from err
        return IdempotencyRecord(key, str(command), str(fingerprint), loaded)

    def record(self, record: IdempotencyRecord) -> None:
        self.pending[record.key] = record

    def write(self, conn: Connection) -> None:
        if not self.pending:
            return
        at = self._now()
        conn.execute(
            insert(t.idempotency_keys),
            [
                {
                    "key": r.key,
                    "command": r.command,
                    "fingerprint": r.fingerprint,
                    "result": dump_result(r.result),
                    "recorded_at": at,
                }
                for r in self.pending.values()
            ],
        )


# --- results ---------------------------------------------------------------------------------


def dump_result(result: Any) -> str:
    """The JSON text of a command's result (see the module docstring)."""
    return orjson.dumps(_result_out(result)).decode()


def load_result(text: str) -> Any:
    """A result equal to the one :func:`dump_result` was given."""
    return _result_in(orjson.loads(text))


def _result_out(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Order):
        return {"Order": order_out(value)}
    if isinstance(value, BatchResult):
        return {"BatchResult": [_outcome_out(o) for o in value.outcomes]}
    if isinstance(value, list):
        return {"list": [_result_out(v) for v in value]}
    name = type(value).__name__
    if _DOCUMENTS.get(name) is type(value):
        return {name: CONVERTER.unstructure(value)}
    return {"value": _value_out(value)}


def _result_in(data: Any) -> Any:
    if data is None:
        return None
    ((tag, body),) = data.items()
    if tag == "Order":
        return order_in(body)
    if tag == "BatchResult":
        return BatchResult(tuple(_outcome_in(o) for o in body))
    if tag == "list":
        return [_result_in(v) for v in body]
    if tag == "value":
        return _value_in(body)
    return CONVERTER.structure(body, _DOCUMENTS[tag])


def _outcome_out(o: Outcome) -> list[Any]:
    error = None if o.error is None else _error_out(o.error)
    out = [_value_out(o.ref), o.kind.value, _value_out(o.order), error, _value_out(o.detail)]
    return out if o.merged_into is None else [*out, o.merged_into]


def _outcome_in(data: list[Any]) -> Outcome:
    ref, kind, order, error, detail = data[:5]
    order, detail = _value_in(order), _value_in(detail)
    return Outcome(
        _value_in(ref),
        OutcomeKind(kind),
        order,
        None if error is None else _error_in(error),
        detail,
        merged_into=data[5] if len(data) > 5 else merged_into_of(order, detail),
    )


def _path(cls: type[Any]) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _class(path: str) -> type[Any] | None:
    """The ecerp class named ``module:Qualname`` (``None``: not found, or
    not ecerp's: a stored name never imports anything else)."""
    module, _, qualname = path.partition(":")
    if module != "ecerp" and not module.startswith("ecerp."):
        return None
    try:
        found: Any = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return None
    return found if isinstance(found, type) else None


def _error_out(err: EcerpError) -> dict[str, Any]:
    return {
        "type": _path(type(err)),
        "message": _value_out(err.message),
        "fields": {name: _value_out(v) for name, v in err.fields.items()},
    }


def _error_in(data: dict[str, Any]) -> EcerpError:
    cls = _class(data["type"])
    if cls is None or not issubclass(cls, EcerpError):
        cls = EcerpError
    err: EcerpError = cls.__new__(cls)
    fields = {name: _value_in(v) for name, v in data["fields"].items()}
    EcerpError.__init__(err, _value_in(data["message"]), **fields)
    return err


def _value_out(value: Any) -> Any:
    """Any value, tagged so that it reads back as the same type (a JSON
    object is always a tag)."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (JSON text cannot hold it)
            return {"surrogates": value.encode("utf-8", "surrogatepass").hex()}
        return value
    if isinstance(value, float):
        return {"float": repr(value)}
    if isinstance(value, Decimal):
        return {"Decimal": str(value)}
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, enum.Enum):
        return {"enum": _path(type(value)), "value": _value_out(value.value)}
    if isinstance(value, EcerpError):
        return {"error": _error_out(value)}
    if isinstance(value, Order):
        return {"Order": order_out(value)}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return {type(value).__name__: [_value_out(v) for v in items]}
    if isinstance(value, dict):
        return {"dict": [[_value_out(k), _value_out(v)] for k, v in value.items()]}
    if attrs.has(type(value)):
        fields = {f.alias: _value_out(getattr(value, f.name)) for f in attrs.fields(type(value))}
        return {"attrs": _path(type(value)), "fields": fields}
    return {"repr": repr(value)}


_CONTAINERS: dict[str, Callable[[list[Any]], Any]] = {
    "list": list,
    "tuple": tuple,
    "set": set,
    "frozenset": frozenset,
}


def _value_in(data: Any) -> Any:
    if not isinstance(data, dict):
        return data
    ((tag, body), *rest) = data.items()
    if tag in _CONTAINERS:
        return _CONTAINERS[tag]([_value_in(v) for v in body])
    if tag == "dict":
        return {_value_in(k): _value_in(v) for k, v in body}
    simple: dict[str, Callable[[Any], Any]] = {
        "surrogates": lambda h: bytes.fromhex(h).decode("utf-8", "surrogatepass"),
        "float": float,
        "Decimal": Decimal,
        "datetime": datetime.fromisoformat,
        "date": date.fromisoformat,
        "repr": str,
        "error": _error_in,
        "Order": order_in,
    }
    if tag in simple:
        return simple[tag](body)
    if tag == "enum":
        cls = _class(body)
        value = _value_in(rest[0][1])
        return cls(value) if cls is not None and issubclass(cls, enum.Enum) else value
    if tag == "attrs":
        fields = {name: _value_in(v) for name, v in rest[0][1].items()}
        cls = _class(body)
        if cls is None or not attrs.has(cls):
            return fields
        init = {f.alias: fields[f.alias] for f in attrs.fields(cls) if f.init}
        return cls(**init)
    raise ValueError(f"unknown tag {tag!r} in a stored result")
