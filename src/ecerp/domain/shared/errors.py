"""The error hierarchy: one root, typed fields, no string parsing.

Every failure ecerp raises on purpose is an :class:`EcerpError`.  Broken
business rules are :class:`DomainError`; lookups that miss are
:class:`NotFoundError`; lost races are :class:`ConcurrencyError`.  Each concrete
error carries the offending values as attributes, so callers can react to them
without reading the message::

    >>> from ecerp.domain.inventory.errors import InsufficientStockError
    >>> try:
    ...     raise InsufficientStockError(sku="MUG-RED", warehouse="SH", requested=5, available=2)
    ... except DomainError as err:
    ...     (err.sku, err.requested, err.available)
    ('MUG-RED', 5, 2)

Batch use cases never let one of these escape for a single bad record: they
return it as that record's outcome (see ``ecerp.usecases``).
"""

from __future__ import annotations

from typing import Any


class EcerpError(Exception):
    """Root of every error ecerp raises on purpose."""

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, Any] = dict(fields)
        for name, value in fields.items():
            setattr(self, name, value)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep errors picklable (they cross process boundaries in batch work).
        return (_rebuild_error, (type(self), self.message, self.fields))


def _rebuild_error(cls: type[EcerpError], message: str, fields: dict[str, Any]) -> EcerpError:
    err = cls.__new__(cls)
    EcerpError.__init__(err, message, **fields)
    return err


class DomainError(EcerpError):
    """A business rule refused the request; nothing was changed."""


class ValidationError(DomainError):
    """A value is malformed: names the ``field`` and the ``value``.

    A subclass that says more passes its own ``message`` and its extra
    ``fields`` through this constructor rather than around it.
    """

    field: str
    value: object
    reason: str

    def __init__(
        self,
        field: str,
        value: object,
        reason: str,
        *,
        message: str | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(
            f"{field}={value!r}: {reason}" if message is None else message,
            field=field,
            value=value,
            reason=reason,
            **fields,
        )


class NotFoundError(EcerpError):
    """Something looked up by its key does not exist.

    A subclass that says more passes its own ``message`` and its extra
    ``fields`` through this constructor rather than around it.
    """

    kind: str
    key: object

    def __init__(
        self, kind: str, key: object, *, message: str | None = None, **fields: Any
    ) -> None:
        super().__init__(
            f"{kind} {key!r} not found" if message is None else message,
            kind=kind,
            key=key,
            **fields,
        )


class DuplicateError(DomainError):
    """Something that must be unique already exists."""

    kind: str
    key: object

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key!r} already exists", kind=kind, key=key)


class ConcurrencyError(EcerpError):
    """Another writer changed what this one decided on; retry the command."""


class IdempotencyConflictError(DomainError):
    """An idempotency key already names a different request: the same key
    with another payload (or for another command) is refused, and nothing is
    written.  ``command`` is the command type of the refused request."""

    key: str
    command: str

    def __init__(self, key: str, command: str) -> None:
        super().__init__(
            f"idempotency key {key!r} was used for a different request; "
            f"this {command} is refused (use a new key for a new request)",
            key=key,
            command=command,
        )


class BackendError(EcerpError):
    """A storage backend cannot be opened or used (bad URL, unreachable,
    wrong credentials, locked past its timeout)."""


class UnsupportedUrlError(BackendError):
    url: str

    def __init__(self, url: str, supported: tuple[str, ...]) -> None:
        super().__init__(
            f"cannot open {url!r}: supported schemes are {', '.join(supported)}",
            url=url,
            supported=supported,
        )


class MissingDependencyError(BackendError):
    """A backend needs an optional package that is not installed; ``extra``
    names the ecerp extra that installs it."""

    package: str
    extra: str

    def __init__(self, package: str, extra: str, backend: str) -> None:
        super().__init__(
            f"the {backend} backend needs the Python package {package!r}, which is not "
            f"installed: pip install 'ecerp[{extra}]'",
            package=package,
            extra=extra,
            backend=backend,
        )


class DatabaseUnreachableError(BackendError):
    """The server did not answer (wrong host or port, not running)."""


class AuthenticationError(BackendError):
    """The server refused the credentials."""


class DatabaseLockedError(BackendError):
    """Another process held the database lock longer than the busy timeout."""


class SchemaError(BackendError):
    """The database has no ecerp schema, an older one, or a newer one."""

    def __init__(self, message: str, *, found: str | None, expected: str) -> None:
        super().__init__(message, found=found, expected=expected)


class StoredDataError(BackendError):
    """A row of the store cannot be read as a value of this ecerp (an older
    ecerp or a hand edit stored it): names the ``table``, the row's ``key``,
    the ``field`` (``None`` when the row is not even readable JSON) and the
    ``problem``.  Calls that need the row fail with it, nothing written,
    until the value is corrected."""

    table: str
    key: str
    field: str | None
    problem: str

    def __init__(self, table: str, key: str, field: str | None, problem: str) -> None:
        where = f", field {field!r}" if field else ""
        super().__init__(
            f"the {table} row {key!r} cannot be read{where}: {problem}; correct that value "
            f"in the row's JSON `data` column (docs/persistence.md, 'Rows an older ecerp "
            "wrote'): until then every call that needs the row fails with this error",
            table=table,
            key=key,
            field=field,
            problem=problem,
        )


class CurrencyMismatchError(DomainError):
    left: str
    right: str

    def __init__(self, left: str, right: str) -> None:
        super().__init__(f"cannot combine {left} with {right}", left=left, right=right)


class FloatAmountError(ValidationError, TypeError):
    """A float where money or a money weight is expected.  Also a
    ``TypeError``, because that is what it is."""

    def __init__(self, field: str, value: object) -> None:
        super().__init__(field, value, "money must not be a float; use Decimal or a decimal string")


class WrongTypeError(ValidationError, TypeError):
    """A value of the wrong type (a ``str`` where money is expected).  Also a
    ``TypeError``, because that is what it is."""

    def __init__(self, field: str, value: object, expected: str) -> None:
        super().__init__(field, value, f"must be {expected}, not {type(value).__name__}")


class UnknownCurrencyError(ValidationError):
    def __init__(self, currency: object) -> None:
        super().__init__("currency", currency, "not an ISO 4217 currency code ecerp knows")


class InvalidQuantityError(ValidationError):
    """A quantity that is not an int, not positive (not non-zero for a
    change) or beyond 1,000,000,000 either way."""

    def __init__(self, field: str, quantity: object) -> None:
        kind = "non-zero" if field == "delta" else "positive"
        super().__init__(field, quantity, f"quantity must be a {kind} int up to 1,000,000,000")


class InvariantError(EcerpError):
    """``check_invariants()`` found the books inconsistent (a bug, not bad input)."""

    problems: list[str]

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems[:10]), problems=problems)


class InvalidTransitionError(DomainError):
    entity: str
    from_: object
    to: object

    def __init__(self, entity: str, from_: object, to: object) -> None:
        super().__init__(
            f"{entity}: cannot go from {from_} to {to}", entity=entity, from_=from_, to=to
        )
