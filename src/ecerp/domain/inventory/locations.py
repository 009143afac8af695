"""Locations and warehouses: where stock can be, real or virtual."""

from __future__ import annotations

import enum

import attrs

from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.values import (
    code_validator,
    flag_validator,
    instance_validator,
    optional_text_validator,
    priority_validator,
    text_validator,
)


class LocationKind(enum.Enum):
    STOCK = "stock"
    """Sellable stock in a warehouse (bins are ``WH/stock/BIN``)."""
    DAMAGED = "damaged"
    """Non-sellable stock in a warehouse: damaged, defective, quarantined."""
    TRANSIT = "transit"
    """Goods transferred to a warehouse and not yet received there."""
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    ADJUSTMENT = "adjustment"
    """Lost-and-found: where losses go and gains come from."""

    @property
    def is_virtual(self) -> bool:
        return self in _VIRTUAL_KINDS


_VIRTUAL_KINDS = frozenset({LocationKind.SUPPLIER, LocationKind.CUSTOMER, LocationKind.ADJUSTMENT})


@attrs.frozen
class Location:
    """A place stock can be.  Codes are structured: ``@supplier``,
    ``@customer``, ``@adjustment``, ``WH/stock``, ``WH/stock/BIN``,
    ``WH/damaged``, ``WH/transit``."""

    code: str
    kind: LocationKind
    warehouse: str | None

    @staticmethod
    def parse(code: str) -> Location:
        """Raises:
        ValidationError: ``code`` is not a location code.
        """
        return parse_location(code)

    @property
    def is_virtual(self) -> bool:
        return self.kind in _VIRTUAL_KINDS


SUPPLIER = "@supplier"


CUSTOMER = "@customer"


ADJUSTMENT = "@adjustment"


_VIRTUAL = {
    SUPPLIER: LocationKind.SUPPLIER,
    CUSTOMER: LocationKind.CUSTOMER,
    ADJUSTMENT: LocationKind.ADJUSTMENT,
}


def parse_location(code: str) -> Location:
    """The :class:`Location` a code names.

    Raises:
        ValidationError: ``code`` is not a location code.
    """
    if code in _VIRTUAL:
        return Location(code, _VIRTUAL[code], None)
    parts = code.split("/")
    if len(parts) >= 2 and parts[0]:
        kind_name = parts[1]
        if kind_name == "stock" and len(parts) <= 3 and all(parts):
            return Location(code, LocationKind.STOCK, parts[0])
        if kind_name in ("damaged", "transit") and len(parts) == 2:
            return Location(code, LocationKind(kind_name), parts[0])
    raise ValidationError("location", code, "not a location code")


class LocationCache:
    """Parsed location codes, remembered for the lifetime of their owner.

    Parsing a code builds a :class:`Location` (about 1.5 µs); the stock
    ledger reads the same few codes for every move it checks and makes, so
    each ledger (one per unit of work) owns one of these, as do the
    functions that walk many balances.  Nothing is kept at module level:
    the cache dies with its owner, and a code is never stale, since what it
    names is fixed by the code itself.

        >>> cache = LocationCache()
        >>> cache.parse("SH/stock/A1").warehouse
        'SH'
        >>> cache.parse("SH/stock/A1") is cache.parse("SH/stock/A1")
        True
    """

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[str, Location] = {}

    def parse(self, code: str) -> Location:
        """The :class:`Location` ``code`` names (as :func:`parse_location`).

        Raises:
            ValidationError: ``code`` is not a location code.
        """
        location = self._seen.get(code)
        if location is None:
            location = self._seen[code] = parse_location(code)
        return location


def stock_location(warehouse: str, bin: str | None = None) -> str:
    return f"{warehouse}/stock" if bin is None else f"{warehouse}/stock/{bin}"


def damaged_location(warehouse: str) -> str:
    return f"{warehouse}/damaged"


def transit_location(warehouse: str) -> str:
    return f"{warehouse}/transit"


class WarehouseKind(enum.Enum):
    OWN = "own"
    THIRD_PARTY = "third_party"
    FBA = "fba"


@attrs.frozen
class Warehouse:
    """A warehouse.  ``allow_negative`` lets sellable stock go below zero (and
    reservations exceed on hand), for sellers who ship before booking receipts.
    ``priority``: lower is preferred when several warehouses can ship an order."""

    code: str = attrs.field(validator=code_validator)
    name: str = attrs.field(default="", validator=text_validator)
    kind: WarehouseKind = attrs.field(
        default=WarehouseKind.OWN, validator=instance_validator(WarehouseKind)
    )
    allow_negative: bool = attrs.field(default=False, validator=flag_validator)
    priority: int = attrs.field(default=0, validator=priority_validator)
    country: str | None = attrs.field(default=None, validator=optional_text_validator)

    def __attrs_post_init__(self) -> None:
        if "/" in self.code or self.code.startswith("@"):
            raise ValidationError(
                "code", self.code, "warehouse codes cannot contain '/' or start with '@'"
            )
