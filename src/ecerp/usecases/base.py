"""Commands: what a caller asks ecerp to do, as frozen values.

Each names its actor (who asks), so every change is recorded with who and
when (the time comes from the clock).  The bus maps each command type to one
handler.

Every field is checked when the command is built (types, ranges, lengths:
the limits of ``docs/limits.md``), so a handler, and the backend under it,
only ever sees values every backend stores alike.  A bad field raises
:class:`~ecerp.domain.shared.errors.ValidationError` naming it.  Where a collection
of ids is expected, one string is refused rather than read letter by letter.
"""

from __future__ import annotations

from typing import Any

import attrs

from ecerp.domain.shared.values import (
    MAX_NAME_LEN,
    require_code,
)
from ecerp.usecases.idempotency import idempotency_key_validator


def _actor_validator(inst: Any, attribute: Any, value: Any) -> None:
    require_code("actor", value, MAX_NAME_LEN)


def actor_field(default: str) -> Any:
    """The ``actor`` field: who asks (an id of at most 200 characters)."""
    return attrs.field(default=default, validator=_actor_validator)


@attrs.frozen
class Command:
    """Base of all commands.

    ``idempotency_key`` (keyword only, optional): a retry with the same key
    and payload returns the first committed result instead of running again
    (see :mod:`ecerp.usecases.idempotency`).
    """

    idempotency_key: str | None = attrs.field(
        default=None, kw_only=True, validator=idempotency_key_validator
    )
