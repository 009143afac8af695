"""One translation of every driver error into an ecerp error.

Every way the SQL adapter reaches the database goes through
:func:`translate`: SQLAlchemy Core statements, commits, ``BEGIN`` and
connecting (through the engine's ``handle_error`` hook, see
:func:`install`), the statements :mod:`ecerp.adapters.sql.bulk` sends
straight to the driver, and pipeline mode.  What a caller gets:

* :class:`~ecerp.domain.shared.errors.ConcurrencyError`: the unit lost a race and
  may simply be run again (the message bus does): a PostgreSQL deadlock
  (``40P01``), serialization failure (``40001``), lock not available
  (``55P03``), or a unique key another writer took first (``23505``, SQLite's
  ``UNIQUE constraint failed``).
* :class:`DatabaseLockedError`: SQLite stayed busy (another process held the
  write lock) past the busy timeout.
* :class:`~ecerp.domain.shared.errors.ValidationError`: the database refused a
  value (a number out of its column's range, text too long, NUL bytes or
  text that cannot be encoded, a required value missing), naming the column
  when it can be told from the statement.
* :class:`DatabaseUnreachableError`, :class:`AuthenticationError`: cannot
  connect.
* :class:`~ecerp.domain.shared.errors.BackendError`: anything else, naming the
  driver's error class and its first line.

The password of a URL never appears in a message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

# The backend errors live with the others (so ``ecerp`` exports them without
# the SQL extra installed); they are re-exported here, where they are raised.
from ecerp.domain.shared.errors import AuthenticationError as AuthenticationError
from ecerp.domain.shared.errors import BackendError, ConcurrencyError, EcerpError, ValidationError
from ecerp.domain.shared.errors import DatabaseLockedError as DatabaseLockedError
from ecerp.domain.shared.errors import DatabaseUnreachableError as DatabaseUnreachableError
from ecerp.domain.shared.errors import SchemaError as SchemaError


def safe_url(url: str) -> str:
    """``url`` without its password."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


#: PostgreSQL SQLSTATEs of a lost race: serialization failure, deadlock,
#: lock not available, unique violation.
RACE_STATES = frozenset({"40001", "40P01", "55P03", "23505"})
#: SQLite extended result codes of a unique key taken first.
_SQLITE_UNIQUE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})
_CONNECT_WORDS = (
    "connection refused",
    "could not connect",
    "could not translate host",
    "failed to resolve host",
    "name or service not known",
    "temporary failure in name resolution",
    "no such file or directory",
    "timeout expired",
    "connection failed",
)
_INT64 = 2**63


def _first_line(text: str) -> str:
    # libpq adds hints on further lines; ecerp errors are one line
    return next((ln.strip() for ln in text.strip().splitlines() if ln.strip()), text.strip())


def _columns(statement: str | None, params: Any) -> Iterable[tuple[str, object]]:
    """``(column, value)`` pairs of a statement's parameters, as far as they
    can be told: named parameters by name, ``?``/``%s`` marks of an
    ``INSERT INTO t (a, b) VALUES`` or ``UPDATE t SET a = ?`` by position."""
    rows: Sequence[Any]
    if isinstance(params, Mapping):
        rows = [params]
    elif isinstance(params, Sequence) and params and not isinstance(params, str | bytes):
        first = params[0]
        one_row = not isinstance(first, Mapping | Sequence) or isinstance(first, str | bytes)
        rows = [params] if one_row else params
    else:
        return
    names: list[str] = []
    if statement:
        insert = re.match(r"\s*INSERT INTO \w+ \(([^)]*)\)", statement, re.IGNORECASE)
        if insert:
            names = [n.strip().strip('"') for n in insert.group(1).split(",")]
        else:
            names = re.findall(r"(\w+) = (?:\?|%s)", statement)
    for row in rows:
        if isinstance(row, Mapping):
            yield from ((str(k), v) for k, v in row.items())
        elif isinstance(row, Sequence) and not isinstance(row, str | bytes):
            for i, value in enumerate(row):
                yield (names[i] if i < len(names) else f"parameter {i + 1}"), value


Culprit = Callable[[str, object], bool]
"""Whether this value of this column is what the database refused."""


def _culprit(statement: str | None, params: Any, bad: Culprit) -> tuple[str, object] | None:
    for column, value in _columns(statement, params):
        if bad(column, value):
            return column, value
    return None


def _shown(value: object) -> object:
    """A value as an error keeps it (long text cut, so messages stay short)."""
    if isinstance(value, str) and len(value) > 80:
        return value[:60] + f"... ({len(value)} characters)"
    return value


def _table(statement: str | None) -> str | None:
    if not statement:
        return None
    found = re.search(r"\b(?:INTO|UPDATE|FROM)\s+(\w+)", statement, re.IGNORECASE)
    return found.group(1) if found else None


def _validation(
    orig: BaseException,
    statement: str | None,
    params: Any,
    reason: str,
    bad: Culprit,
) -> ValidationError:
    column = getattr(getattr(orig, "diag", None), "column_name", None)
    found = _culprit(statement, params, bad)
    if found is not None:
        column = column or found[0]
        return ValidationError(column, _shown(found[1]), reason)
    return ValidationError(column or _table(statement) or "value", None, reason)


def _too_long(statement: str | None) -> Culprit:
    from ecerp.adapters.sql.schema import metadata

    table = metadata.tables.get(_table(statement) or "")
    limits: dict[str, int] = {
        c.name: length
        for c in (table.columns if table is not None else ())
        if (length := getattr(c.type, "length", None))
    }

    def bad(column: str, value: object) -> bool:
        limit = limits.get(column)
        return isinstance(value, str) and limit is not None and len(value) > limit

    return bad


def _out_of_range(column: str, value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and not -_INT64 <= value < _INT64


def _int32(column: str, value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and not -(2**31) <= value < 2**31


def _bad_text(column: str, value: object) -> bool:
    if not isinstance(value, str):
        return False
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def translate(
    err: BaseException,
    url: str,
    *,
    statement: str | None = None,
    params: Any = None,
) -> EcerpError | None:
    """The ecerp error for a driver error ``err`` (the driver's own exception
    or SQLAlchemy's wrapper of it), or ``None`` when ``err`` is not a
    database error (a bug to let through as it is).

    ``statement`` and ``params`` (when known) let a refused value be named
    by its column.
    """
    if isinstance(err, EcerpError):
        return err
    orig: BaseException = getattr(err, "orig", None) or err
    if statement is None:
        statement = getattr(err, "statement", None)
        params = getattr(err, "params", None)
    shown = safe_url(url)
    kind = type(orig).__name__
    full = str(orig)
    low = full.lower()
    msg = _first_line(full)
    code = getattr(orig, "sqlstate", None)
    sqlite_code = getattr(orig, "sqlite_errorname", None)

    if code in RACE_STATES or sqlite_code in _SQLITE_UNIQUE or "unique constraint failed" in low:
        lost = "another writer got there first" if code == "23505" or code is None else msg
        return ConcurrencyError(f"transaction conflict ({kind}: {lost}); retry", url=shown)
    if "deadlock" in low or "could not serialize" in low:
        return ConcurrencyError(f"transaction conflict ({kind}: {msg}); retry", url=shown)
    if (
        (sqlite_code or "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))
        or "database is locked" in low
        or "database table is locked" in low
    ):
        return DatabaseLockedError(
            f"{shown}: database is locked by another process (busy timeout passed)", url=shown
        )
    # --- values the database refused -------------------------------------------------
    if isinstance(orig, UnicodeEncodeError) or "nul (0x00)" in low or code in ("22021", "22P05"):
        return _validation(
            orig, statement, params, "text must not contain NUL or lone surrogates", _bad_text
        )
    if isinstance(orig, OverflowError) or code == "22003":
        bad = _int32 if code == "22003" else _out_of_range
        return _validation(
            orig, statement, params, f"number out of the range the database stores ({msg})", bad
        )
    if code == "22001" or sqlite_code == "SQLITE_TOOBIG":
        return _validation(orig, statement, params, f"text too long ({msg})", _too_long(statement))
    if code == "23502" or sqlite_code == "SQLITE_CONSTRAINT_NOTNULL":
        column = getattr(getattr(orig, "diag", None), "column_name", None)
        if column is None:
            found = re.search(r"NOT NULL constraint failed: \w+\.(\w+)", full)
            column = found.group(1) if found else "value"
        return ValidationError(column, None, "a value is required")
    if code is not None and code.startswith("22"):
        return _validation(orig, statement, params, msg, lambda c, v: False)
    # --- connecting ---------------------------------------------------------------------
    if (
        "authentication failed" in low
        or "no password supplied" in low
        or ("role" in low and "does not exist" in low)
        or code in ("28P01", "28000")
    ):
        return AuthenticationError(f"{shown}: the server refused the credentials", url=shown)
    operational = kind == "OperationalError" or type(err).__name__ == "OperationalError"
    if operational and any(word in low for word in _CONNECT_WORDS):
        return DatabaseUnreachableError(f"{shown}: cannot reach the database ({msg})", url=shown)
    if operational and "unable to open database file" in low:
        return DatabaseUnreachableError(f"{shown}: cannot open the database file", url=shown)
    if _is_driver_error(err):
        return BackendError(f"{shown}: {kind}: {msg}", url=shown, driver_error=kind)
    return None


def _is_driver_error(err: BaseException) -> bool:
    """A DB-API error (the driver's, or SQLAlchemy's wrapper of one)."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(err, DBAPIError):
        return True
    module = type(err).__module__
    return module.startswith(("sqlite3", "psycopg")) and any(
        base.__name__ == "Error" for base in type(err).__mro__
    )
