"""Errors of the carriers context: a malformed rate table.

A :class:`RateTableError` names the table (``carrier/service``) and the
field path inside it::

    >>> str(RateTableError("dhl/parcel", "prices.eu1.step_g", 0, "must be an int > 0"))
    'rate table dhl/parcel: prices.eu1.step_g: must be an int > 0'
"""

from __future__ import annotations

from ecerp.domain.shared.errors import EcerpError, ValidationError


class RateTableError(ValidationError):
    """A rate table is malformed: ``table`` names it (``carrier/service``, or
    ``"rate table"`` when those are missing), ``field`` is the path inside it
    (``prices.eu1.step_g``, ``zones[2].country``)."""

    table: str

    def __init__(self, table: str, field: str, value: object, reason: str) -> None:
        at = f"{field}: " if field else ""
        EcerpError.__init__(
            self,
            f"rate table {table}: {at}{reason}",
            table=table,
            field=field,
            value=value,
            reason=reason,
        )
