"""Freight estimates from carrier rate tables (data, not code).

A :class:`RateTable` prices one carrier service.  It maps destinations to
**zones** (a country, optionally narrowed by region or postcode prefix; the
most specific entry wins), prices each zone by **first weight and additional
weight** (首重/续重: ``first`` buys the first ``first_g`` grams, then every
started ``step_g`` grams costs ``step``), and adds **surcharges**: fixed fees
per parcel, a remote-area fee by postcode prefix and a fuel percentage.

Units:

* weights are **grams** (ints), dimensions **millimetres**
  (:class:`~ecerp.domain.catalog.Dimensions`);
* ``volumetric_divisor`` follows the carriers' usual **cm³ per kg**
  convention (5000 for most express services, 6000 for some): volumetric kg =
  L cm * W cm * H cm / divisor.  In ecerp's units that is
  ``volume_mm3 / divisor`` grams (1 cm³ = 1000 mm³ and 1 kg = 1000 g cancel),
  rounded up to a whole gram.  The **chargeable weight** is the larger of the
  actual and the volumetric weight; a parcel without dimensions is charged
  by its actual weight.

A parcel qualifies for a service when a zone serves its destination, its
*actual* weight is within ``max_weight_g`` and its sides, longest first, fit
``max_dimensions`` compared longest first (a parcel without dimensions is
assumed to fit) and, for a service that ``refuses_po_boxes``, the parcel
does not go to a PO box (``Parcel.po_box``).  The review's ``PoBox`` check
consults the same flag.

The quote's breakdown lines are each rounded to the currency's minor unit,
and the amount is their sum, so a quote adds up like an invoice.  The fuel
surcharge is a percentage of everything before it (freight, fixed fees and
the remote-area fee), as express carriers apply it::

    >>> table = RateTable.from_dict({
    ...     "carrier": "dhl", "service": "parcel-eu", "currency": "EUR",
    ...     "volumetric_divisor": 5000, "max_weight_g": 31500,
    ...     "fuel_percent": "10",
    ...     "zones": [{"zone": "home", "country": "DE"},
    ...               {"zone": "eu1", "country": "FR"},
    ...               {"zone": "eu1", "country": "AT"}],
    ...     "prices": {"home": {"first_g": 1000, "first": "4.50", "step_g": 500, "step": "1.00"},
    ...                "eu1": {"first_g": 1000, "first": "9.00", "step_g": 1000, "step": "2.00"}},
    ...     "fees": [{"name": "handling", "amount": "0.40"}],
    ... })
    >>> q = quote(table, Parcel(2300, country="DE", postcode="80331"))
    >>> q.chargeable_weight_g, str(q.amount)
    (2300, '8.69 EUR')
    >>> for line in q.breakdown:
    ...     print(line)
    freight zone home, 2300 g: 7.50 EUR
    handling: 0.40 EUR
    fuel 10%: 0.79 EUR
    >>> box = Parcel(500, Dimensions(400, 300, 200), country="FR")  # 4.8 kg volumetric
    >>> quote(table, box).chargeable_weight_g
    4800
    >>> quote(table, Parcel(500, country="US")) is None
    True

:func:`cheapest` picks the lowest quote among services, ties broken by
carrier then service so the choice never depends on the input order.

Everything here is pure: no I/O, no clock.  Live quotes from a carrier's API
come through the ``CarrierRates`` port (``ecerp.ports.carrier_rates``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

import attrs

from ecerp.domain.carriers.errors import RateTableError
from ecerp.domain.carriers.parcels import (
    Parcel,
    Quote,
    QuoteLine,
    _bool_validator,
    _norm_postcode,
    _opt_dimensions,
    _opt_positive_int,
    _sides,
)
from ecerp.domain.carriers.zones import Fee, RemoteArea, Zone, ZonePrice
from ecerp.domain.catalog.products import Dimensions
from ecerp.domain.shared.errors import CurrencyMismatchError, ValidationError
from ecerp.domain.shared.money import MINOR_UNITS, Money
from ecerp.domain.shared.values import code_validator

if TYPE_CHECKING:
    from ecerp.domain.carriers.quoting import QuoteMemo, Quoter


def _zones(value: Iterable[Zone]) -> tuple[Zone, ...]:
    return tuple(value)


def _prices(value: Iterable[ZonePrice] | Mapping[str, ZonePrice]) -> tuple[ZonePrice, ...]:
    items = value.values() if isinstance(value, Mapping) else value
    return tuple(sorted(items, key=lambda p: p.zone if isinstance(p, ZonePrice) else ""))


def _fees(value: Iterable[Fee]) -> tuple[Fee, ...]:
    return tuple(value)


def _remote(value: Iterable[RemoteArea]) -> tuple[RemoteArea, ...]:
    return tuple(value)


def _currency_validator(_: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or value not in MINOR_UNITS:
        raise ValidationError(attribute.name, value, "not an ISO 4217 currency code ecerp knows")


def _percent_validator(_: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValidationError(attribute.name, value, "must be a Decimal percentage >= 0")


#: A quote's money: the freight line's amount, the lines after it, the total.
Priced = tuple[Money, tuple[QuoteLine, ...], Money]


@attrs.frozen
class RateTable:
    """The rates of one carrier service.  See the module docs for units and
    how a quote is worked out.

    Construction checks that every zone has a price and every price a zone,
    that no two zone entries cover the same destination, and that all money
    is in ``currency``; problems raise :class:`RateTableError` naming the
    table and field.
    """

    carrier: str = attrs.field(validator=code_validator)
    service: str = attrs.field(validator=code_validator)
    currency: str = attrs.field(validator=_currency_validator)
    zones: tuple[Zone, ...] = attrs.field(converter=_zones)
    prices: tuple[ZonePrice, ...] = attrs.field(converter=_prices)
    volumetric_divisor: int | None = attrs.field(default=None, validator=_opt_positive_int)
    fees: tuple[Fee, ...] = attrs.field(default=(), converter=_fees)
    fuel_percent: Decimal = attrs.field(default=Decimal(0), validator=_percent_validator)
    remote_areas: tuple[RemoteArea, ...] = attrs.field(default=(), converter=_remote)
    max_weight_g: int | None = attrs.field(default=None, validator=_opt_positive_int)
    max_dimensions: Dimensions | None = attrs.field(default=None, validator=_opt_dimensions)
    refuses_po_boxes: bool = attrs.field(default=False, validator=_bool_validator)
    _by_country: dict[str, tuple[Zone, ...]] = attrs.field(
        init=False, factory=dict, eq=False, repr=False, hash=False
    )
    """Zone entries per casefolded country, most specific first, then the
    ``"*"`` ones: an index derived from ``zones`` in ``__attrs_post_init__``
    and never changed after (not a memo: it holds nothing quoting learns;
    run-scoped memos live in :class:`~ecerp.domain.carriers.quoting.Quoter`)."""

    def __attrs_post_init__(self) -> None:
        def fail(field: str, value: object, reason: str) -> NoReturn:
            raise RateTableError(self.name, field, value, reason)

        for kind, items, cls in (
            ("zones", self.zones, Zone),
            ("prices", self.prices, ZonePrice),
            ("fees", self.fees, Fee),
            ("remote_areas", self.remote_areas, RemoteArea),
        ):
            for i, item in enumerate(items):
                if not isinstance(item, cls):
                    fail(f"{kind}[{i}]", item, f"must be a {cls.__name__}")
        if not self.zones:
            fail("zones", [], "a rate table needs at least one zone")
        seen: dict[tuple[str, str | None, str | None], int] = {}
        for i, zone in enumerate(self.zones):
            if zone.destination in seen:
                fail(
                    f"zones[{i}]",
                    zone,
                    f"covers the same destination as zones[{seen[zone.destination]}]",
                )
            seen[zone.destination] = i
        priced: set[str] = set()
        for price in self.prices:
            if price.zone in priced:
                fail(f"prices.{price.zone}", price, "zone priced twice")
            priced.add(price.zone)
            for part in ("first", "step"):
                amount: Money = getattr(price, part)
                if amount.currency != self.currency:
                    fail(f"prices.{price.zone}.{part}", amount, f"must be in {self.currency}")
        zoned = {zone.zone for zone in self.zones}
        for name in sorted(zoned - priced):
            fail(f"prices.{name}", None, "zone has no price")
        for name in sorted(priced - zoned):
            fail(f"prices.{name}", None, "no zone entry uses this zone")
        for i, fee in enumerate(self.fees):
            if fee.amount.currency != self.currency:
                fail(f"fees[{i}].amount", fee.amount, f"must be in {self.currency}")
        for i, area in enumerate(self.remote_areas):
            if area.amount.currency != self.currency:
                fail(f"remote_areas[{i}].amount", area.amount, f"must be in {self.currency}")
        if self.max_dimensions is not None and min(_sides(self.max_dimensions)) <= 0:
            fail("max_dimensions_mm", self.max_dimensions, "every side must be > 0")
        ranked = sorted(self.zones, key=lambda z: z.specificity, reverse=True)  # stable
        anywhere = tuple(z for z in ranked if z.country == "*")
        for z in ranked:
            if z.country != "*":
                key = z.country.casefold()
                self._by_country[key] = (*self._by_country.get(key, ()), z)
        for key, entries in list(self._by_country.items()):
            self._by_country[key] = entries + anywhere
        self._by_country["*"] = anywhere

    @property
    def name(self) -> str:
        """``carrier/service``."""
        return f"{self.carrier}/{self.service}"

    def price_for(self, zone: str) -> ZonePrice:
        for price in self.prices:
            if price.zone == zone:
                return price
        raise KeyError(zone)  # unreachable for a zone of this table

    def zone_for(self, parcel: Parcel) -> str | None:
        """The zone serving ``parcel``'s destination (the most specific
        matching entry), or ``None``."""
        entries = self._by_country.get(parcel.country.casefold()) or self._by_country["*"]
        for zone in entries:  # most specific first
            if zone.matches(parcel):
                return zone.zone
        return None

    def volumetric_weight_g(self, parcel: Parcel) -> int | None:
        """``ceil(volume_mm3 / divisor)`` grams, or ``None`` without a
        divisor or dimensions."""
        if self.volumetric_divisor is None or parcel.dimensions is None:
            return None
        return -(-parcel.dimensions.volume_mm3 // self.volumetric_divisor)

    def chargeable_weight_g(self, parcel: Parcel) -> int:
        """The larger of actual and volumetric weight, in grams."""
        volumetric = self.volumetric_weight_g(parcel)
        return parcel.weight_g if volumetric is None else max(parcel.weight_g, volumetric)

    def refusal(self, parcel: Parcel) -> str | None:
        """Why this service cannot take ``parcel`` (``None``: it can)."""
        if self.zone_for(parcel) is None:
            where = " ".join(p for p in (parcel.country, parcel.region, parcel.postcode) if p)
            return f"{self.name} does not serve {where or 'an empty destination'}"
        if self.refuses_po_boxes and parcel.po_box:
            return f"{self.name} does not deliver to PO boxes"
        if self.max_weight_g is not None and parcel.weight_g > self.max_weight_g:
            return f"{self.name} takes at most {self.max_weight_g} g, the parcel weighs {parcel.weight_g} g"
        if self.max_dimensions is not None and parcel.dimensions is not None:
            limit, sides = _sides(self.max_dimensions), _sides(parcel.dimensions)
            if any(s > m for s, m in zip(sides, limit, strict=True)):
                return (
                    f"{self.name} takes at most {'x'.join(map(str, limit))} mm,"
                    f" the parcel is {'x'.join(map(str, sides))} mm"
                )
        return None

    def remote_area(self, parcel: Parcel) -> RemoteArea | None:
        """The remote-area surcharge ``parcel`` pays (longest prefix), if any."""
        best: RemoteArea | None = None
        for area in self.remote_areas:
            if area.matches(parcel) and (
                best is None
                or len(_norm_postcode(area.postcode_prefix))
                > len(_norm_postcode(best.postcode_prefix))
            ):
                best = area
        return best

    def quote(self, parcel: Parcel, memo: QuoteMemo | None = None) -> Quote | None:
        """The price of ``parcel``, or ``None`` when it does not qualify
        (see :meth:`refusal`).

        ``memo`` (this table's, from a :class:`~ecerp.domain.carriers.quoting.Quoter`)
        remembers destinations' zones and price steps' money across calls;
        the quote is the same with or without it.
        """
        if memo is None:
            zone = self.zone_for(parcel)
        else:
            destination = (parcel.country, parcel.region, parcel.postcode)
            zones = memo.zones
            if destination in zones:
                zone = zones[destination]
            else:
                zone = memo.remember_zone(destination, self.zone_for(parcel))
        if zone is None or self.over_limits(parcel):
            return None
        chargeable = self.chargeable_weight_g(parcel)
        price = self.price_for(zone)
        steps = (
            0 if chargeable <= price.first_g else -(-(chargeable - price.first_g) // price.step_g)
        )
        area = self.remote_area(parcel) if self.remote_areas else None
        if memo is None:
            priced = self.priced(price.price(chargeable).rounded(), area)
        else:
            key = (zone, steps, area)
            found = memo.priced.get(key)
            if found is None:
                found = memo.remember_priced(
                    key, self.priced(price.price(chargeable).rounded(), area)
                )
            priced = found
        freight, others, amount = priced
        return Quote(
            carrier=self.carrier,
            service=self.service,
            zone=zone,
            amount=amount,
            actual_weight_g=parcel.weight_g,
            chargeable_weight_g=chargeable,
            breakdown=(QuoteLine(f"freight zone {zone}, {chargeable} g", freight), *others),
        )

    def over_limits(self, parcel: Parcel) -> bool:
        """What :meth:`refusal` checks after the zone: PO box, weight, sides."""
        if self.refuses_po_boxes and parcel.po_box:
            return True
        if self.max_weight_g is not None and parcel.weight_g > self.max_weight_g:
            return True
        if self.max_dimensions is not None and parcel.dimensions is not None:
            limit, sides = _sides(self.max_dimensions), _sides(parcel.dimensions)
            return any(s > m for s, m in zip(sides, limit, strict=True))
        return False

    def priced(self, freight: Money, area: RemoteArea | None) -> Priced:
        """The lines after the freight line and the total, for ``freight``
        (already rounded) to a destination paying ``area``'s surcharge."""
        lines = [QuoteLine(fee.name, fee.amount.rounded()) for fee in self.fees]
        if area is not None:
            lines.append(QuoteLine(f"remote area {area.postcode_prefix}*", area.amount.rounded()))
        if self.fuel_percent:
            base = _sum([freight, *(line.amount for line in lines)])
            fuel = (base * (self.fuel_percent / 100)).rounded()
            lines.append(QuoteLine(f"fuel {self.fuel_percent.normalize():f}%", fuel))
        return freight, tuple(lines), _sum([freight, *(line.amount for line in lines)])

    # --- data ------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain data that :meth:`from_dict` reads back to an equal table
        (money as decimal strings, dimensions as ``[l, w, h]`` millimetres)."""
        result: dict[str, Any] = {
            "carrier": self.carrier,
            "service": self.service,
            "currency": self.currency,
            "zones": [
                {
                    k: v
                    for k, v in (
                        ("zone", z.zone),
                        ("country", z.country),
                        ("region", z.region),
                        ("postcode_prefix", z.postcode_prefix),
                    )
                    if v is not None
                }
                for z in self.zones
            ],
            "prices": {
                p.zone: {
                    "first_g": p.first_g,
                    "first": str(p.first.amount),
                    "step_g": p.step_g,
                    "step": str(p.step.amount),
                }
                for p in self.prices
            },
        }
        if self.volumetric_divisor is not None:
            result["volumetric_divisor"] = self.volumetric_divisor
        if self.fees:
            result["fees"] = [{"name": f.name, "amount": str(f.amount.amount)} for f in self.fees]
        if self.fuel_percent:
            result["fuel_percent"] = str(self.fuel_percent)
        if self.remote_areas:
            result["remote_areas"] = [
                {
                    "country": a.country,
                    "postcode_prefix": a.postcode_prefix,
                    "amount": str(a.amount.amount),
                }
                for a in self.remote_areas
            ]
        if self.max_weight_g is not None:
            result["max_weight_g"] = self.max_weight_g
        if self.max_dimensions is not None:
            d = self.max_dimensions
            result["max_dimensions_mm"] = [d.length_mm, d.width_mm, d.height_mm]
        if self.refuses_po_boxes:
            result["refuses_po_boxes"] = True
        return result

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RateTable:
        """A rate table from plain data (the shape :meth:`to_dict` writes),
        read by the installed :class:`RateTableReader`.

        Keys: ``carrier``, ``service``, ``currency``, ``zones`` (list of
        ``{zone, country, region?, postcode_prefix?}``), ``prices``
        (``{zone: {first_g, first, step_g, step}}``), and optionally
        ``volumetric_divisor``, ``fees`` (list of ``{name, amount}``),
        ``fuel_percent``, ``remote_areas`` (list of ``{country,
        postcode_prefix, amount}``), ``max_weight_g``, ``max_dimensions_mm``
        (``[l, w, h]``) and ``refuses_po_boxes``.  Money and percentages are
        decimal strings, ints or ``Decimal``, never floats.

        Raises:
            RateTableError: the first problem found, naming the table and field.
        """
        return _reader().from_data(data)

    @classmethod
    def from_json(cls, text: str) -> RateTable:
        """Raises: RateTableError: not JSON, or the table is malformed."""
        return _reader().from_json(text)

    @classmethod
    def from_toml(cls, text: str) -> RateTable:
        """Raises: RateTableError: not TOML, or the table is malformed."""
        return _reader().from_toml(text)


class RateTableReader(Protocol):
    """Reads rate tables from what people write (implemented by the formats
    adapter, ``ecerp.adapters.formats.rates``).  Each method raises
    :class:`RateTableError` naming the table and field path of the first
    problem."""

    def from_data(self, data: object) -> RateTable:
        """A rate table from plain data (dicts, lists, strings, ints)."""
        ...

    def from_json(self, text: str) -> RateTable:
        """A rate table from JSON text."""
        ...

    def from_toml(self, text: str) -> RateTable:
        """A rate table from TOML text."""
        ...


_READERS: list[RateTableReader] = []
"""The installed reader (at most one: the last installed wins)."""


def install_reader(reader: RateTableReader) -> None:
    """Make :meth:`RateTable.from_dict`, :meth:`~RateTable.from_json` and
    :meth:`~RateTable.from_toml` read through ``reader`` (the composition
    root installs the formats adapter's when ``ecerp`` is imported)."""
    _READERS[:] = [reader]


def _reader() -> RateTableReader:
    if not _READERS:
        raise RateTableError(
            "rate table", "", None, "no rate-table reader installed (import ecerp to install it)"
        )
    return _READERS[0]


def _sum(amounts: Iterable[Money]) -> Money:
    items = list(amounts)
    result = items[0]
    for amount in items[1:]:
        result = result + amount
    return result


def quote(table: RateTable, parcel: Parcel) -> Quote | None:
    """``table.quote(parcel)``: the price, or ``None`` when the service does
    not serve the destination or the parcel is over its limits."""
    return table.quote(parcel)


def cheapest(
    tables: Iterable[RateTable], parcel: Parcel, quoter: Quoter | None = None
) -> Quote | None:
    """The lowest quote for ``parcel`` over ``tables`` (``None`` if none
    qualifies).  Ties go to the alphabetically first carrier, then service.

    ``quoter`` (a run's :class:`~ecerp.domain.carriers.quoting.Quoter`)
    remembers what quoting many parcels repeats; the result is the same
    without it.

    Raises:
        CurrencyMismatchError: qualifying tables price in different currencies.
    """
    best: Quote | None = None
    for table in tables:
        q = table.quote(parcel) if quoter is None else quoter.quote(table, parcel)
        if q is None:
            continue
        if best is not None and q.amount.currency != best.amount.currency:
            raise CurrencyMismatchError(best.amount.currency, q.amount.currency)
        if best is None or (q.amount.amount, q.carrier, q.service) < (
            best.amount.amount,
            best.carrier,
            best.service,
        ):
            best = q
    return best
