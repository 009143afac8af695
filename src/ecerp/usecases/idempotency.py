"""Idempotency keys: a caller's retry of a committed command returns the
first result instead of running again.

A caller whose connection dropped after ecerp committed a receipt cannot tell
whether it was booked.  If it sent the command with an idempotency key, it
simply sends it again with the same key::

    >>> from ecerp import open_erp, Sku, Warehouse
    >>> erp = open_erp("memory://")
    >>> erp.catalog.add(Sku("MUG"))
    >>> erp.inventory.add_warehouse(Warehouse("SH"))
    >>> first = erp.inventory.receive("MUG", "SH", 5, idempotency_key="po-77/1")
    >>> again = erp.inventory.receive("MUG", "SH", 5, idempotency_key="po-77/1")
    >>> again == first, erp.inventory.position("MUG", "SH").on_hand
    (True, 5)

How it works (:func:`idempotent`, the one place the message bus calls):

1. Before running a keyed command, a short read-only unit of work (the
   backend's reader: on SQLite it neither takes nor waits for the write
   lock, so a retry that only replays goes through while another process
   writes) looks the key up.  A
   record with the same command type and payload fingerprint gives the
   recorded result back (nothing runs, nothing is booked, no event is
   raised); a record with a different one raises
   :class:`~ecerp.domain.shared.errors.IdempotencyConflictError` (nothing written).
2. Otherwise the handler runs on a :class:`KeyedUnitOfWork`: its last
   ``commit()`` is held until the handler returned its result, then the key,
   the fingerprint and the result are recorded in that same transaction and
   it commits.  The record exists exactly when the command's changes do; a
   command that raised (rolled back) records nothing and can be retried with
   its key.
3. Two callers racing with one key: both miss in step 1, both run, the
   second commit hits the key's uniqueness and raises ``ConcurrencyError``
   (its changes rolled back); the bus runs it again, and step 1 now finds
   the first caller's record.

The fingerprint (:func:`fingerprint`) is a SHA-256 of the command's type and
every field except the key itself, in a canonical form (mappings and sets
sorted, tuples and lists alike, datetimes in UTC, Decimals by their digits).
The actor is part of it: it is recorded on every move and document a command
writes, so the same key sent by another actor is a different request (most
likely two callers whose keys collide) and is refused, loudly, rather than
answered with a result booked in someone else's name.

A handler that commits in several units of work (an import of more than one
chunk, ``process``, allocating the whole queue) commits the earlier units as
it goes; the key is recorded with its last unit (or, when the last unit only
reads, in a unit of its own right after).  A crash in between leaves the
earlier work committed and the key unrecorded, so a retry runs the command
again (re-importing a channel order is idempotent by content).
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar, cast

import attrs

from ecerp.domain.shared.errors import IdempotencyConflictError, ValidationError
from ecerp.domain.shared.events import Event
from ecerp.ports.idempotency import IdempotencyRecord
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.context import Context

if TYPE_CHECKING:
    from ecerp.usecases.base import Command

R = TypeVar("R")

#: The longest idempotency key accepted (the SQL column holds this many).
MAX_KEY_LENGTH = 200


def require_idempotency_key(value: object) -> str | None:
    """``None`` or a key of 1 to :data:`MAX_KEY_LENGTH` characters, with no
    NUL character and no lone surrogate (so every backend stores it as is).

    Raises:
        ValidationError: naming the ``idempotency_key`` field.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError("idempotency_key", value, "must be a string or None")
    if not value or len(value) > MAX_KEY_LENGTH:
        raise ValidationError(
            "idempotency_key", value, f"must have 1 to {MAX_KEY_LENGTH} characters"
        )
    if "\x00" in value:
        raise ValidationError("idempotency_key", value, "must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            "idempotency_key", value, "must not contain lone surrogates"
        ) from None
    return value


def idempotency_key_validator(inst: Any, attribute: Any, value: Any) -> None:
    """attrs validator for a command's ``idempotency_key``."""
    require_idempotency_key(value)


def chunk_key(key: str | None, chunk: int) -> str | None:
    """The key of chunk ``chunk`` (0, 1, ...) of a call the facade streams as
    one command per chunk: the first chunk keeps the caller's key, later ones
    get ``#<n>`` appended (``None`` stays ``None``).

    Raises:
        ValidationError: the derived key would be too long.
    """
    if key is None or chunk == 0:
        return key
    return require_idempotency_key(f"{key}#{chunk}")


# --- the fingerprint ---------------------------------------------------------------------


#: Per attrs class: its name and the fields that make its value (``eq``).
_SHAPES: dict[type, tuple[str, tuple[str, ...]]] = {}


def _shape(cls: type) -> tuple[str, tuple[str, ...]] | None:
    shape = _SHAPES.get(cls)
    if shape is None and attrs.has(cls):
        names = tuple(f.name for f in attrs.fields(cls) if f.eq)
        shape = _SHAPES[cls] = (cls.__qualname__, names)
    return shape


def _emit(value: object, out: list[str], field: str) -> None:
    """Append the canonical text of ``value`` to ``out``: a Python-literal
    like form, the same for equal payloads (strings by ``repr``, so quoted
    and escaped; attrs values as ``Name(field=...,)``; mappings and sets
    sorted; lists and tuples alike; datetimes in UTC)."""
    cls = type(value)
    if cls is str or cls is int or cls is bool or value is None:
        out.append(repr(value))
        return
    shape = _shape(cls)
    if shape is not None:
        name, names = shape
        out.append(name + "(")
        for n in names:
            v = getattr(value, n)
            kind = type(v)
            if kind is str or kind is int or kind is bool or v is None:  # most fields
                out.append(f"{n}={v!r},")
            else:
                out.append(n + "=")
                _emit(v, out, field)
                out.append(",")
        out.append(")")
        return
    if isinstance(value, (list, tuple)):
        out.append("[")
        for v in value:
            _emit(v, out, field)
            out.append(",")
        out.append("]")
        return
    if isinstance(value, enum.Enum):
        out.append(cls.__qualname__ + ".")
        _emit(value.value, out, field)
        return
    if isinstance(value, str):  # a subclass of the plain kinds
        out.append(repr(str(value)))
        return
    if isinstance(value, int):
        out.append(repr(int(value)))
        return
    if isinstance(value, float):
        out.append(f"float({value!r})")
        return
    if isinstance(value, Decimal):
        out.append(f"Decimal({str(value)!r})")
        return
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.utcoffset() is not None else value
        out.append(f"datetime({moment.isoformat()!r})")
        return
    if isinstance(value, date):
        out.append(f"date({value.isoformat()!r})")
        return
    if isinstance(value, Mapping):
        items = sorted(_text(k, field) + ":" + _text(v, field) for k, v in value.items())
        out.append("{" + ",".join(items) + "}")
        return
    if isinstance(value, (set, frozenset)):
        out.append("set(" + ",".join(sorted(_text(v, field) for v in value)) + ")")
        return
    if isinstance(value, Iterator):
        raise ValidationError(
            field,
            value,
            "a command with an idempotency key needs its values materialised "
            "(a list or tuple), not a one-shot iterator",
        )
    if isinstance(value, Iterable):
        _emit(list(value), out, field)
        return
    out.append(f"repr({cls.__qualname__}, {value!r})")


def _text(value: object, field: str) -> str:
    out: list[str] = []
    _emit(value, out, field)
    return "".join(out)


def fingerprint(command: Command) -> str:
    """A stable SHA-256 (hex) of ``command``'s type and fields, the
    idempotency key left out.

    Raises:
        ValidationError: a field holds a one-shot iterator (it cannot be read
            twice, so it cannot be fingerprinted and still be run).
    """
    cls = type(command)
    out = [cls.__qualname__, "("]
    for f in attrs.fields(cls):
        if f.name != "idempotency_key":
            out.append(f.name + "=")
            _emit(getattr(command, f.name), out, f.name)
            out.append(",")
    out.append(")")
    text = "".join(out)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# --- the keyed unit of work ----------------------------------------------------------------


class KeyedUnitOfWork(UnitOfWork):
    """The handler's unit of work while a keyed command runs: the real one,
    with its last commit held until the key is recorded with it.

    ``with`` blocks and repositories behave as on the real unit.  A
    ``commit()`` marks the block's work to commit; leaving the block keeps
    the real unit open.  Entering the next block commits the held work first
    (without the key); :meth:`finish` records the key in the held unit (or a
    fresh one) and commits; :meth:`settle` commits held work without it.
    """

    def __init__(self, inner: UnitOfWork) -> None:
        super().__init__()
        self._inner = inner
        self._open = False  # the real unit is entered and not yet ended
        self._held = False  # its work was committed by the handler, not yet for real

    def __getattr__(self, name: str) -> Any:
        # repositories (catalog, stock, orders, ...) and anything else the real
        # unit offers; they change when the real unit commits, so never cached
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._inner, name)

    def _begin(self) -> None:
        self.settle()
        self._inner.__enter__()
        self._open = True

    def _gather_events(self) -> list[Event]:
        return []  # the real unit gathers them when it commits for real

    def _commit(self) -> None:
        self._held = True

    def _rollback(self) -> None:
        if self._open:
            self._held = False
            self._inner.rollback()

    def _close(self) -> None:
        if self._open and not self._held:
            self._end(None)

    def settle(self) -> None:
        """Commit held work for real, without the key (an earlier unit of a
        handler that commits several)."""
        if self._open:
            self._end(None)

    def finish(self, record: IdempotencyRecord) -> None:
        """Record ``record`` with the held work (or alone, when nothing is
        held) and commit.

        Raises:
            ConcurrencyError: another caller committed the key first.
        """
        if not self._open:
            self._inner.__enter__()
            self._open = True
        self._end(record)

    def _end(self, record: IdempotencyRecord | None) -> None:
        held, self._held, self._open = self._held, False, False
        try:
            if record is not None:
                self._inner.idempotency.record(record)
            if held or record is not None:
                self._inner.commit()
        finally:
            self._inner.__exit__(None, None, None)


def idempotent(
    command: Command,
    work: Callable[[Context], R],
    reader: Callable[[], UnitOfWork] | None = None,
) -> Callable[[Context], R]:
    """``work`` (running ``command``'s handler) made idempotent under
    ``command.idempotency_key``; ``work`` itself when the command has none.

    The returned callable takes a fresh context per attempt, as the message
    bus gives it.  The key is looked up in a unit from ``reader`` (read-only,
    never committed; ``None``: the context's own unit), so a call that only
    replays its recorded result never takes a write lock.

    Raises:
        ValidationError: a field holds a one-shot iterator (see
            :func:`fingerprint`); raised here, before anything runs.
    """
    key: str | None = getattr(command, "idempotency_key", None)
    if key is None:
        return work
    name = type(command).__name__
    asked = fingerprint(command)

    def run(ctx: Context) -> R:
        lookup = ctx.uow if reader is None else reader()
        with lookup as uow:
            found = uow.idempotency.find(key)
        if found is not None:
            if found.command != name or found.fingerprint != asked:
                raise IdempotencyConflictError(key, name)
            return cast(R, found.result)
        keyed = KeyedUnitOfWork(ctx.uow)
        try:
            result = work(attrs.evolve(ctx, uow=keyed))
        except BaseException:
            keyed.settle()  # work committed before an error stays committed
            raise
        keyed.finish(IdempotencyRecord(key, name, asked, result))
        return result

    return run
