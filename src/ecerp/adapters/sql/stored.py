"""Reading catalog items and warehouses back from their rows.

The value types check their input (codes, lengths, ranges) when built, and
reading a row builds one.  A store an older ecerp wrote may hold values
that were accepted then and exceed a limit added since (a 150-character
code; the SQL columns hold 200).  Those are read as stored
(:func:`~ecerp.domain.shared.values.stored_values`), so the store keeps working.
A value that cannot be read at all (a priority that is no number, a code
with ``/``, broken JSON) raises :class:`StoredDataError` naming the table,
the row and the field, never a raw cattrs or JSON error.  Orders are read
without the value types' checks; one that cannot be read (an older ecerp's
priority that is no number) is a :class:`StoredDataError` too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import orjson
from cattrs.errors import AttributeValidationNote

from ecerp.adapters.sql.serialization import CONVERTER
from ecerp.domain.shared.errors import StoredDataError, ValidationError
from ecerp.domain.shared.values import stored_values

T = TypeVar("T")


def read_row(table: str, key: str, build: Callable[[], T]) -> T:
    """``build()`` (reading the row ``key`` of ``table`` into a value) with
    the size limits off.

    Raises:
        StoredDataError: the row holds a value that cannot be read.
    """
    try:
        with stored_values():
            return build()
    except Exception as err:  # cattrs, JSON and validation errors alike
        raise unreadable(table, key, err) from err


def unreadable(table: str, key: str, err: BaseException) -> StoredDataError:
    """The :class:`StoredDataError` saying why row ``key`` of ``table``
    could not be read (``err``: what reading it raised)."""
    field, problem = _problem(err)
    return StoredDataError(table, key, field, problem)


def key_of(data: str | bytes, name: str = "id") -> str:
    """The ``name`` entry of a row's JSON document, to name a row that could
    not be read (``"?"`` when even that cannot be told)."""
    try:
        found = orjson.loads(data)[name]
    except Exception:  # noqa: BLE001 (broken JSON: the row cannot be named)
        return "?"
    return str(found)


def _problem(err: BaseException) -> tuple[str | None, str]:
    """The field and the reason of the first error inside ``err`` (cattrs
    wraps them in exception groups, naming the attribute in a note)."""
    field: str | None = None
    while True:
        for note in getattr(err, "__notes__", ()):
            if isinstance(note, AttributeValidationNote):
                field = note.name
        inner = getattr(err, "exceptions", None)
        if not inner:
            break
        err = inner[0]
    if isinstance(err, ValidationError):
        return err.field, f"{err.value!r} {err.reason}"
    if isinstance(err, KeyError):
        return field or str(err.args[0]), "the value is missing"
    return field, str(err) or type(err).__name__


#: How many keys one ``IN (...)`` read takes (SQLite allows 999 parameters).
CHUNK = 500


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """``items`` in lists of at most ``size``, in order, for ``IN`` reads.

    >>> list(chunks(range(5), 2))
    [[0, 1], [2, 3], [4]]
    """
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def read_value(table: str, code: str, data: str, cls: type[T]) -> T:
    """A catalog item or warehouse from its row: read as stored (limits
    added since an older ecerp wrote it are not applied).

    Raises:
        StoredDataError: the row cannot be read (naming it and the field).
    """
    return read_row(table, code, lambda: CONVERTER.loads(data, cls))


__all__ = ["CHUNK", "chunks", "key_of", "read_row", "read_value", "unreadable"]
