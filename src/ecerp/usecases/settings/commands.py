"""Settings commands: change the stored settings (a new version)."""

from __future__ import annotations

from typing import Any

import attrs

from ecerp.domain.settings import (
    FIELDS,
    Settings,
)
from ecerp.domain.shared.errors import ValidationError
from ecerp.usecases.base import Command


class _Keep:
    """The value of a setting a change leaves as it is."""

    def __repr__(self) -> str:
        return "KEEP"


#: A setting :class:`ChangeSettings` leaves as it is.
KEEP: Any = _Keep()


def _actor(_: Any, attribute: Any, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("actor", value, "must be a non-blank string")


@attrs.frozen
class ChangeSettings(Command):
    """Change the settings given (the others stay as stored).

    The values are validated and made storable when the command is built
    (:class:`~ecerp.domain.settings.Settings` field rules), so the command
    holds only immutable, checked values.
    """

    changes: tuple[tuple[str, Any], ...]
    actor: str = attrs.field(default="system", validator=_actor)

    @classmethod
    def of(cls, actor: str, **given: Any) -> ChangeSettings:
        """Raises:
        ValidationError: an unknown setting or a malformed value (naming it).
        """
        wanted = {k: v for k, v in given.items() if v is not KEEP}
        checked = Settings().replace(**wanted)  # validates every given field
        return cls(tuple((f, getattr(checked, f)) for f in FIELDS if f in wanted), actor)
