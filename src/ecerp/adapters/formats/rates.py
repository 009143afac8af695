"""Rate tables read from plain data, JSON and TOML: a format, so an adapter.

The domain's :class:`~ecerp.domain.carriers.rates.RateTable` receives
validated values; this module turns what people write into them, raising
:class:`~ecerp.domain.carriers.errors.RateTableError` naming the table
(``carrier/service``) and the field path for the first problem found.
``RateTable.from_dict``, ``from_json`` and ``from_toml`` delegate here
through the reader the composition root installs (:data:`READER`).

Encoding choices: keys ``carrier``, ``service``, ``currency``, ``zones``
(list of ``{zone, country, region?, postcode_prefix?}``), ``prices``
(``{zone: {first_g, first, step_g, step}}``), and optionally
``volumetric_divisor``, ``fees`` (list of ``{name, amount}``),
``fuel_percent``, ``remote_areas`` (list of ``{country, postcode_prefix,
amount}``), ``max_weight_g``, ``max_dimensions_mm`` (``[l, w, h]``) and
``refuses_po_boxes``.  Money and percentages are decimal strings, ints or
``Decimal``, never floats; JSON and TOML fractions are read as ``Decimal``.

Why not cattrs: as for rule sets (:mod:`ecerp.adapters.formats.rules`), the
messages name table and field path in words people fix tables with, which
cattrs would need a hook per field to reproduce.

    >>> table = rate_table_from_json('''{"carrier": "dhl", "service": "parcel",
    ...   "currency": "EUR", "zones": [{"zone": "home", "country": "DE"}],
    ...   "prices": {"home": {"first_g": 1000, "first": "4.50", "step_g": 500, "step": 1}}}''')
    >>> table.name, str(table.prices[0].first)
    ('dhl/parcel', '4.50 EUR')
    >>> rate_table_from_data({"carrier": "dhl", "service": "parcel", "currency": "EUR",
    ...                       "zones": [], "prices": {}, "fuel_percent": 1.5})
    Traceback (most recent call last):
    ...
    ecerp.domain.carriers.errors.RateTableError: rate table dhl/parcel: fuel_percent: must not be a float; write it as a string ("12.50")
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any, NoReturn

from ecerp.domain.carriers.errors import RateTableError
from ecerp.domain.carriers.rates import RateTable
from ecerp.domain.carriers.zones import Fee, RemoteArea, Zone, ZonePrice
from ecerp.domain.catalog.products import Dimensions
from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.money import MINOR_UNITS, Money
from ecerp.domain.shared.values import require_code

_TABLE_KEYS = (
    "carrier",
    "service",
    "currency",
    "zones",
    "prices",
    "volumetric_divisor",
    "fees",
    "fuel_percent",
    "remote_areas",
    "max_weight_g",
    "max_dimensions_mm",
    "refuses_po_boxes",
)


class _Reader:
    def __init__(self, table: str) -> None:
        self.table = table

    def fail(self, path: str, value: object, reason: str) -> NoReturn:
        raise RateTableError(self.table, path, value, reason)

    def mapping(self, value: object, path: str, allowed: Collection[str]) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(path, value, "must be a table/object")
        for key in value:
            if key not in allowed:
                sub = f"{path}.{key}" if path else str(key)
                self.fail(sub, value[key], f"unknown key (allowed: {', '.join(sorted(allowed))})")
        return dict(value)

    def require(self, data: Mapping[str, Any], key: str, path: str) -> Any:
        if key not in data:
            self.fail(f"{path}.{key}" if path else key, None, "missing")
        return data[key]

    def items(self, value: object, path: str) -> list[Any]:
        if not isinstance(value, list | tuple):
            self.fail(path, value, "must be a list")
        return list(value)

    def code(self, value: object, path: str) -> str:
        try:
            return require_code(path, value)
        except ValidationError as err:
            self.fail(path, value, err.reason)

    def int_(self, value: object, path: str) -> int:
        if type(value) is not int or value <= 0:
            self.fail(path, value, "must be an int > 0")
        return value

    def decimal(self, value: object, path: str) -> Decimal:
        if isinstance(value, float):
            self.fail(path, value, 'must not be a float; write it as a string ("12.50")')
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            self.fail(path, value, "must be a decimal string or an int")
        try:
            result = Decimal(value)
        except ArithmeticError:
            self.fail(path, value, "not a decimal number")
        if not result.is_finite():
            self.fail(path, value, "must be finite")
        if result < 0:
            self.fail(path, value, "must not be negative")
        return result

    def money(self, value: object, currency: str, path: str) -> Money:
        return Money(self.decimal(value, path), currency)

    def built(self, path: str, factory: Any, **kwargs: Any) -> Any:
        try:
            return factory(**kwargs)
        except RateTableError:
            raise
        except ValidationError as err:
            self.fail(f"{path}.{err.field}" if path else err.field, err.value, err.reason)


def rate_table_from_data(raw: object) -> RateTable:
    """A rate table from plain data (the shape ``RateTable.to_dict`` writes;
    see the module docs for the keys).

    Raises:
        RateTableError: the first problem found, naming the table and field.
    """
    reader = _Reader("rate table")
    if isinstance(raw, Mapping):
        carrier, service = raw.get("carrier"), raw.get("service")
        if isinstance(carrier, str) and isinstance(service, str):
            reader.table = f"{carrier}/{service}"
    data = reader.mapping(raw, "", _TABLE_KEYS)
    carrier = reader.code(reader.require(data, "carrier", ""), "carrier")
    service = reader.code(reader.require(data, "service", ""), "service")
    currency = reader.require(data, "currency", "")
    if not isinstance(currency, str) or currency not in MINOR_UNITS:
        reader.fail("currency", currency, "not an ISO 4217 currency code ecerp knows")

    zones = []
    for i, item in enumerate(reader.items(reader.require(data, "zones", ""), "zones")):
        path = f"zones[{i}]"
        entry = reader.mapping(item, path, ("zone", "country", "region", "postcode_prefix"))
        kwargs = {
            key: reader.code(entry[key], f"{path}.{key}")
            for key in ("region", "postcode_prefix")
            if key in entry
        }
        zones.append(
            Zone(
                reader.code(reader.require(entry, "zone", path), f"{path}.zone"),
                reader.code(reader.require(entry, "country", path), f"{path}.country"),
                **kwargs,
            )
        )

    prices = []
    raw_prices = reader.require(data, "prices", "")
    if not isinstance(raw_prices, Mapping):
        reader.fail("prices", raw_prices, "must be a table/object of zone prices")
    for zone_name, item in raw_prices.items():
        path = f"prices.{zone_name}"
        entry = reader.mapping(item, path, ("first_g", "first", "step_g", "step"))
        prices.append(
            reader.built(
                path,
                ZonePrice,
                zone=reader.code(zone_name, path),
                first_g=reader.int_(reader.require(entry, "first_g", path), f"{path}.first_g"),
                first=reader.money(reader.require(entry, "first", path), currency, f"{path}.first"),
                step_g=reader.int_(reader.require(entry, "step_g", path), f"{path}.step_g"),
                step=reader.money(reader.require(entry, "step", path), currency, f"{path}.step"),
            )
        )

    fees = []
    for i, item in enumerate(reader.items(data.get("fees", []), "fees")):
        path = f"fees[{i}]"
        entry = reader.mapping(item, path, ("name", "amount"))
        fees.append(
            Fee(
                reader.code(reader.require(entry, "name", path), f"{path}.name"),
                reader.money(reader.require(entry, "amount", path), currency, f"{path}.amount"),
            )
        )

    areas = []
    for i, item in enumerate(reader.items(data.get("remote_areas", []), "remote_areas")):
        path = f"remote_areas[{i}]"
        entry = reader.mapping(item, path, ("country", "postcode_prefix", "amount"))
        areas.append(
            RemoteArea(
                reader.code(reader.require(entry, "country", path), f"{path}.country"),
                reader.code(
                    reader.require(entry, "postcode_prefix", path), f"{path}.postcode_prefix"
                ),
                reader.money(reader.require(entry, "amount", path), currency, f"{path}.amount"),
            )
        )

    options: dict[str, Any] = {}
    for key in ("volumetric_divisor", "max_weight_g"):
        if key in data:
            options[key] = reader.int_(data[key], key)
    if "fuel_percent" in data:
        options["fuel_percent"] = reader.decimal(data["fuel_percent"], "fuel_percent")
    if "max_dimensions_mm" in data:
        sides = reader.items(data["max_dimensions_mm"], "max_dimensions_mm")
        if len(sides) != 3:
            reader.fail("max_dimensions_mm", sides, "must be [length, width, height] in mm")
        length, width, height = (
            reader.int_(s, f"max_dimensions_mm[{i}]") for i, s in enumerate(sides)
        )
        options["max_dimensions"] = Dimensions(length, width, height)
    if "refuses_po_boxes" in data:
        flag = data["refuses_po_boxes"]
        if not isinstance(flag, bool):
            reader.fail("refuses_po_boxes", flag, "must be true or false")
        options["refuses_po_boxes"] = flag

    table: RateTable = reader.built(
        "",
        RateTable,
        carrier=carrier,
        service=service,
        currency=currency,
        zones=zones,
        prices=prices,
        fees=fees,
        remote_areas=areas,
        **options,
    )
    return table


def rate_table_from_json(text: str) -> RateTable:
    """A rate table from JSON text (fractions read as ``Decimal``).

    Raises:
        RateTableError: not JSON, or the table is malformed.
    """
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as err:
        raise RateTableError("rate table", "", None, f"not valid JSON: {err}") from None
    return rate_table_from_data(data)


def rate_table_from_toml(text: str) -> RateTable:
    """A rate table from TOML text (fractions read as ``Decimal``).

    Raises:
        RateTableError: not TOML, or the table is malformed.
    """
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as err:
        raise RateTableError("rate table", "", None, f"not valid TOML: {err}") from None
    return rate_table_from_data(data)


class _RateTableReader:
    """The :class:`~ecerp.domain.carriers.rates.RateTableReader` of this module."""

    def from_data(self, data: object) -> RateTable:
        return rate_table_from_data(data)

    def from_json(self, text: str) -> RateTable:
        return rate_table_from_json(text)

    def from_toml(self, text: str) -> RateTable:
        return rate_table_from_toml(text)


#: What ``RateTable.from_dict``/``from_json``/``from_toml`` delegate to once
#: the composition root installs it (``ecerp.adapters.formats.install_readers``).
READER = _RateTableReader()
