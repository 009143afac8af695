"""Quoting many parcels: a run-scoped memo beside the frozen rate tables.

Allocating a batch quotes the same few destinations and price steps over
and over.  A :class:`Quoter` remembers, per rate table, the zone of each
destination (country, region, postcode) and the money of each (zone, price
step, remote area): all a quote's amounts depend on.  It belongs to whoever
quotes many parcels (the use cases' ``Freight``, one per allocation run)
and is dropped with it, so rate tables stay plain frozen values and a
changed table is a new table with no memo.  Quotes are the same with or
without one::

    >>> from ecerp.domain.carriers.parcels import Parcel
    >>> from ecerp.domain.carriers.rates import RateTable
    >>> from ecerp.domain.carriers.zones import Zone, ZonePrice
    >>> from ecerp.domain.shared.money import Money
    >>> eur = lambda amount: Money.of(amount, "EUR")
    >>> table = RateTable("dhl", "parcel", "EUR", [Zone("home", "DE")],
    ...                   [ZonePrice("home", 1000, eur("4.50"), 500, eur("1.00"))])
    >>> quoter = Quoter()
    >>> parcel = Parcel(1400, country="DE", postcode="10115")
    >>> quoter.quote(table, parcel) == table.quote(parcel)
    True
    >>> str(quoter.quote(table, Parcel(1500, country="DE", postcode="10115")).amount)
    '5.50 EUR'
    >>> quoter.remembered(table)
    (1, 1)
"""

from __future__ import annotations

from ecerp.domain.carriers.parcels import Parcel, Quote
from ecerp.domain.carriers.rates import Priced, RateTable
from ecerp.domain.carriers.zones import RemoteArea

#: Entries a memo remembers per kind before it starts afresh (a bound for a
#: long run; quoting stays correct either way).
MEMO_LIMIT = 50_000


class QuoteMemo:
    """What one rate table's quotes repeat: destinations' zones and the money
    of (zone, weight steps beyond the first weight, remote area)."""

    __slots__ = ("priced", "zones")

    def __init__(self) -> None:
        self.zones: dict[tuple[str, str, str], str | None] = {}
        self.priced: dict[tuple[str, int, RemoteArea | None], Priced] = {}

    def remember_zone(self, destination: tuple[str, str, str], zone: str | None) -> str | None:
        """Remember ``destination``'s ``zone`` (``None``: not served); returns it."""
        if len(self.zones) >= MEMO_LIMIT:
            self.zones.clear()
        self.zones[destination] = zone
        return zone

    def remember_priced(self, key: tuple[str, int, RemoteArea | None], priced: Priced) -> Priced:
        """Remember the money of ``key`` (zone, steps, remote area); returns it."""
        if len(self.priced) >= MEMO_LIMIT:
            self.priced.clear()
        self.priced[key] = priced
        return priced


class Quoter:
    """Quotes parcels with rate tables, remembering per table what repeats
    (see the module docs).  Not thread-safe: one per run."""

    __slots__ = ("_memos",)

    def __init__(self) -> None:
        # by id(table), keeping the table alive so its id is not reused
        self._memos: dict[int, tuple[RateTable, QuoteMemo]] = {}

    def memo(self, table: RateTable) -> QuoteMemo:
        """``table``'s memo in this quoter (made on first use)."""
        entry = self._memos.get(id(table))
        if entry is None:
            entry = self._memos[id(table)] = (table, QuoteMemo())
        return entry[1]

    def quote(self, table: RateTable, parcel: Parcel) -> Quote | None:
        """``table.quote(parcel)``, with ``table``'s memo."""
        return table.quote(parcel, self.memo(table))

    def remembered(self, table: RateTable) -> tuple[int, int]:
        """How many zones and prices this quoter remembers for ``table``."""
        entry = self._memos.get(id(table))
        return (0, 0) if entry is None else (len(entry[1].zones), len(entry[1].priced))
