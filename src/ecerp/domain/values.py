"""Small shared value rules: codes, quantities, aware UTC times.

These are attrs validators and plain checks used across the aggregates, so a
code, a quantity or a timestamp is validated the same way everywhere::

    >>> require_positive_qty("qty", 3)
    3
    >>> require_utc("at", datetime(2026, 1, 1, tzinfo=UTC))
    datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ecerp.domain.errors import InvalidQuantityError, ValidationError


def require_code(field: str, value: object) -> str:
    """A non-empty identifier without surrounding whitespace."""
    if not isinstance(value, str) or not value or value != value.strip():
        raise ValidationError(field, value, "must be a non-empty string without outer spaces")
    return value


def require_positive_qty(field: str, value: object) -> int:
    """A strictly positive ``int`` (bools and floats refused)."""
    if type(value) is not int or value <= 0:
        raise InvalidQuantityError(field, value)
    return value


def require_non_negative_int(field: str, value: object) -> int:
    if type(value) is not int or value < 0:
        raise ValidationError(field, value, "must be an int >= 0")
    return value


def require_utc(field: str, value: object) -> datetime:
    """A timezone-aware datetime, returned converted to UTC."""
    if isinstance(value, datetime) and value.tzinfo is UTC:
        return value  # the common case, checked first: already aware UTC
    if not isinstance(value, datetime):
        raise ValidationError(field, value, "must be a datetime")
    offset = value.utcoffset()
    if offset is None:
        raise ValidationError(field, value, "must be timezone-aware")
    return value.astimezone(UTC)


def code_validator(inst: Any, attribute: Any, value: Any) -> None:
    require_code(attribute.name, value)


def optional_code_validator(inst: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        require_code(attribute.name, value)


def positive_qty_validator(inst: Any, attribute: Any, value: Any) -> None:
    require_positive_qty(attribute.name, value)


def non_negative_int_validator(inst: Any, attribute: Any, value: Any) -> None:
    require_non_negative_int(attribute.name, value)


def to_utc(value: datetime) -> datetime:
    """attrs converter: aware datetimes to UTC; anything else passes through
    for :func:`utc_validator` to refuse, naming the field."""
    if isinstance(value, datetime) and value.utcoffset() is not None and value.tzinfo is not UTC:
        return value.astimezone(UTC)
    return value


def utc_validator(inst: Any, attribute: Any, value: Any) -> None:
    require_utc(attribute.name, value)


def str_frozenset(value: Iterable[str]) -> frozenset[str]:
    """attrs converter for tag sets (refuses a bare string, a common slip)."""
    if isinstance(value, str):
        raise ValidationError("tags", value, "must be a collection of strings, not one string")
    return frozenset(value)


def str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise ValidationError("value", value, "must be a collection of strings, not one string")
    return tuple(value)
