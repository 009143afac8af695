"""Small shared value rules: codes, text, quantities, flags, aware UTC times.

These are attrs validators and plain checks used across the aggregates and
the commands, so a value is validated the same way everywhere, once, before
any backend sees it (memory, SQLite and PostgreSQL store the same values)::

    >>> require_positive_qty("qty", 3)
    3
    >>> require_utc("at", datetime(2026, 1, 1, tzinfo=UTC))
    datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)
    >>> require_flag("paid", "false")
    Traceback (most recent call last):
    ...
    ecerp.domain.shared.errors.ValidationError: paid='false': must be True or False

The limits (documented in ``docs/limits.md``) are the same on every backend
and chosen so that no sum of stored values can overflow a 64-bit integer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from ecerp.domain.shared.errors import InvalidQuantityError, ValidationError

#: The largest quantity one line, move, count or component may carry.
MAX_QTY = 1_000_000_000


#: Priorities (orders, warehouses, routing) lie in ``[-MAX_PRIORITY, MAX_PRIORITY]``.
MAX_PRIORITY = 1_000_000


#: Codes and ids (SKUs, warehouses, shops, listing SKUs, order ids, documents).
MAX_CODE_LEN = 100


#: A channel code (``"amazon"``); short, so that an order id stays short.
MAX_CHANNEL_LEN = 40


#: Names, titles, address fields, tags, actors, tracking numbers, services.
MAX_NAME_LEN = 200


#: Notes and reasons (a buyer's note, an adjustment's reason).
MAX_NOTE_LEN = 2000


#: Lines of one order.
MAX_LINES = 1000


#: An order id (channel, shop and external id, each escaped, or a merged
#: parcel's, or a split part's): room for the longest id valid keys make.
MAX_ORDER_ID_LEN = 800


#: The largest dimension of a unit, in millimetres (a kilometre).
MAX_DIMENSION_MM = 1_000_000


Validator = Callable[[Any, Any, Any], None]


#: Set while values are read back from a store (see :func:`stored_values`).
_STORED: ContextVar[bool] = ContextVar("ecerp_stored_values", default=False)


@contextmanager
def stored_values() -> Iterator[None]:
    """Within the block (in this thread or task only), values are being read
    back from a store: the size limits (text lengths, integer ranges) are
    not applied, so a row an older ecerp wrote before a limit existed still
    loads as it was stored.  Everything else (types, empty codes, NUL
    characters, a warehouse code with ``/``) is checked as always.  New
    input never runs in such a block, so it meets every limit."""
    token = _STORED.set(True)
    try:
        yield
    finally:
        _STORED.reset(token)


def _text_problem(value: str, limit: int) -> str | None:
    """Why ``value`` is not acceptable text (``None``: it is)."""
    if len(value) > limit and not _STORED.get():
        return f"must be at most {limit} characters"
    if "\x00" in value:
        return "must not contain NUL characters"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "must not contain lone surrogates"
    return None


def require_text(field: str, value: object, limit: int = MAX_NAME_LEN) -> str:
    """A ``str`` of at most ``limit`` characters, without NUL or lone
    surrogates (empty is fine)."""
    if not isinstance(value, str):
        raise ValidationError(field, value, "must be a string")
    problem = _text_problem(value, limit)
    if problem is not None:
        raise ValidationError(field, value, problem)
    return value


def require_texts(fields: tuple[str, ...], values: tuple[object, ...]) -> None:
    """Each of ``values`` is name-sized text (:data:`MAX_NAME_LEN`), checked
    at once (a value of many text fields, built for every order, checks them
    all in one call: much cheaper than one validator each)."""
    for value in values:
        if (
            type(value) is not str
            or len(value) > MAX_NAME_LEN
            or not value.isascii()
            or "\x00" in value
        ):
            break
    else:
        return
    for field, value in zip(fields, values, strict=True):
        require_text(field, value)


def require_code(field: str, value: object, limit: int = MAX_CODE_LEN) -> str:
    """A non-empty identifier without surrounding whitespace, at most
    ``limit`` characters, without NUL or lone surrogates."""
    if not isinstance(value, str) or not value or value != value.strip():
        raise ValidationError(field, value, "must be a non-empty string without outer spaces")
    problem = _text_problem(value, limit)
    if problem is not None:
        raise ValidationError(field, value, problem)
    return value


def require_positive_qty(field: str, value: object) -> int:
    """A strictly positive ``int`` up to :data:`MAX_QTY` (bools and floats refused)."""
    if type(value) is not int or value <= 0 or value > MAX_QTY:
        raise InvalidQuantityError(field, value)
    return value


def require_non_negative_int(field: str, value: object, limit: int = MAX_QTY) -> int:
    """An ``int`` from 0 to ``limit`` (bools refused)."""
    if type(value) is not int or value < 0 or (value > limit and not _STORED.get()):
        raise ValidationError(field, value, f"must be an int from 0 to {limit}")
    return value


def require_int(field: str, value: object, low: int, high: int) -> int:
    """An ``int`` from ``low`` to ``high`` (bools refused)."""
    if type(value) is not int or ((value < low or value > high) and not _STORED.get()):
        raise ValidationError(field, value, f"must be an int from {low} to {high}")
    return value


def require_delta(field: str, value: object) -> int:
    """A non-zero ``int`` within ``±MAX_QTY`` (a gain or a loss)."""
    if type(value) is not int or value == 0 or not -MAX_QTY <= value <= MAX_QTY:
        raise InvalidQuantityError(field, value)
    return value


def require_priority(field: str, value: object) -> int:
    return require_int(field, value, -MAX_PRIORITY, MAX_PRIORITY)


def require_flag(field: str, value: object) -> bool:
    """``True`` or ``False``, nothing else (``"false"`` is not false)."""
    if type(value) is not bool:
        raise ValidationError(field, value, "must be True or False")
    return value


def require_utc(field: str, value: object) -> datetime:
    """A timezone-aware datetime, returned converted to UTC."""
    if isinstance(value, datetime) and value.tzinfo is UTC:
        return value  # the common case, checked first: already aware UTC
    if not isinstance(value, datetime):
        raise ValidationError(field, value, "must be a datetime")
    try:
        offset = value.utcoffset()
    except Exception as err:  # a broken tzinfo
        raise ValidationError(field, value, "has a broken timezone") from err
    if offset is None:
        raise ValidationError(field, value, "must be timezone-aware")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValidationError(field, value, "is out of range in UTC") from None


def require_iterable(field: str, value: object) -> Iterable[Any]:
    """A collection or stream of items, not read here (it may be a stream
    of a million orders); one string or a mapping is refused."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ValidationError(field, value, "must be a collection (a list, not one item)")
    return value


def values_of(field: str, value: object) -> tuple[Any, ...]:
    """A collection's items as a tuple (a mapping's keys); one string or
    something not iterable is refused (a single id is not read letter by
    letter)."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(field, value, "must be a collection (a list, not one string)")
    try:
        return tuple(value)
    except Exception as err:  # an iterable that fails while iterated
        raise ValidationError(field, value, f"cannot be iterated: {err}") from err


def require_ids(field: str, value: object, limit: int = MAX_CODE_LEN) -> tuple[str, ...]:
    """A collection of ids as a tuple.  One string is refused, not read as
    a list of its letters (``pick("A-1")`` means ``pick(["A-1"])``: say so)."""
    return tuple(require_code(field, item, limit) for item in values_of(field, value))


def require_mapping(field: str, value: object) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError(field, value, "must be a mapping")
    return value


def qty_map(
    field: str, value: object, *, allow_zero: bool = False, item: str | None = None
) -> dict[str, int]:
    """``{code: quantity}`` as a new dict, each code and quantity checked
    (quantities from 1, or from 0 with ``allow_zero``, up to :data:`MAX_QTY`);
    a bad quantity is named ``item`` (default ``field[code]``)."""
    result: dict[str, int] = {}
    for key, qty in require_mapping(field, value).items():
        require_code(field, key)
        name = item or f"{field}[{key}]"
        if allow_zero:
            require_non_negative_int(name, qty)
        else:
            require_positive_qty(name, qty)
        result[key] = qty
    return result


def code_validator(inst: Any, attribute: Any, value: Any) -> None:
    require_code(attribute.name, value)


def optional_code_validator(inst: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        require_code(attribute.name, value)


def channel_validator(inst: Any, attribute: Any, value: Any) -> None:
    require_code(attribute.name, value, MAX_CHANNEL_LEN)


def optional_channel_validator(inst: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        require_code(attribute.name, value, MAX_CHANNEL_LEN)


def text_validator(inst: Any, attribute: Any, value: Any) -> None:
    """A name-sized text (:data:`MAX_NAME_LEN`)."""
    if (
        type(value) is str
        and len(value) <= MAX_NAME_LEN
        and value.isascii()
        and "\x00" not in value
    ):
        return  # the common case, checked inline
    require_text(attribute.name, value, MAX_NAME_LEN)


def optional_text_validator(inst: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        text_validator(inst, attribute, value)


def note_validator(inst: Any, attribute: Any, value: Any) -> None:
    """A note-sized text (:data:`MAX_NOTE_LEN`)."""
    require_text(attribute.name, value, MAX_NOTE_LEN)


def positive_qty_validator(inst: Any, attribute: Any, value: Any) -> None:
    require_positive_qty(attribute.name, value)


def non_negative_int_validator(inst: Any, attribute: Any, value: Any) -> None:
    require_non_negative_int(attribute.name, value)


def dimension_validator(inst: Any, attribute: Any, value: Any) -> None:
    require_non_negative_int(attribute.name, value, MAX_DIMENSION_MM)


def delta_validator(inst: Any, attribute: Any, value: Any) -> None:
    require_delta(attribute.name, value)


def priority_validator(inst: Any, attribute: Any, value: Any) -> None:
    if type(value) is int and -MAX_PRIORITY <= value <= MAX_PRIORITY:
        return
    require_priority(attribute.name, value)


def flag_validator(inst: Any, attribute: Any, value: Any) -> None:
    if value is not True and value is not False:
        require_flag(attribute.name, value)


def instance_validator(kind: type | tuple[type, ...]) -> Validator:
    """The value is a ``kind`` (a ValidationError naming the field otherwise)."""
    names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)

    def check(inst: Any, attribute: Any, value: Any) -> None:
        if not isinstance(value, kind):
            raise ValidationError(attribute.name, value, f"must be a {names}")

    return check


def optional_instance_validator(kind: type | tuple[type, ...]) -> Validator:
    check = instance_validator(kind)

    def optional(inst: Any, attribute: Any, value: Any) -> None:
        if value is not None:
            check(inst, attribute, value)

    return optional


def to_utc(value: datetime) -> datetime:
    """attrs converter: aware datetimes to UTC; anything else passes through
    for :func:`utc_validator` to refuse, naming the field."""
    if isinstance(value, datetime) and value.tzinfo is not UTC:
        try:
            if value.utcoffset() is not None:
                return value.astimezone(UTC)
        except (OverflowError, ValueError, TypeError):
            return value  # refused by the validator, naming the field
    return value


def optional_to_utc(value: datetime | None) -> datetime | None:
    return None if value is None else to_utc(value)


def utc_validator(inst: Any, attribute: Any, value: Any) -> None:
    require_utc(attribute.name, value)


def optional_utc_validator(inst: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        require_utc(attribute.name, value)


def _texts(field: str, value: object) -> tuple[str, ...]:
    return tuple(require_code(field, item, MAX_NAME_LEN) for item in values_of(field, value))


def str_frozenset(value: Iterable[str]) -> frozenset[str]:
    """attrs converter for tag sets (refuses a bare string, a common slip);
    each tag a non-empty text of at most 200 characters."""
    if type(value) is frozenset and not value:
        return value
    return frozenset(_texts("tags", value))


def str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    return _texts("value", value)
