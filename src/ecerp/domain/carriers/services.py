"""The cheapest-service choice: which carrier service an order ships with.

An allocated order without a service gets the cheapest qualifying one among
its warehouse's rate tables (their best quote) and live carrier quotes.
The rules, as one pure function over quotes:

* quotes compare only within one currency: the first quote found (the
  tables' best, else the first live one) sets it, others are left out;
* a live quote for a service whose rate table refuses PO boxes is left out
  when the parcel goes to a PO box (the tables themselves give no quote);
* the lowest amount wins; ties go to the carrier, then the service, in
  alphabetical order, so the choice never depends on the input order::

    >>> from ecerp.domain.carriers.parcels import Quote
    >>> from ecerp.domain.shared.money import Money
    >>> def q(carrier, amount, currency="EUR"):
    ...     return Quote(carrier, "std", "z", Money.of(amount, currency), 1000, 1000)
    >>> cheapest_service(q("dhl", "5.00"), [q("ups", "4.00"), q("fedex", "1.00", "USD")]).carrier
    'ups'
    >>> cheapest_service(None, [q("ups", "4.00"), q("dpd", "4.00")]).carrier
    'dpd'
    >>> cheapest_service(None, [q("ups", "4.00")], refusing={"ups/std"}) is None
    True

Where an order ships from follows the same money: :func:`cheapest_first`
ranks the places it could ship from by their best quote, those without a
quote last, ties in the order given (the warehouses' priority)::

    >>> cheapest_first(["WH1", "WH2", "WH3"], [q("dhl", "9.00"), None, q("dhl", "4.00")])
    ('WH3', 'WH1', 'WH2')
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from ecerp.domain.carriers.parcels import Parcel, Quote
from ecerp.domain.carriers.rates import RateTable


def refusing_services(tables: Iterable[RateTable], parcel: Parcel) -> frozenset[str]:
    """``carrier/service`` names of ``tables`` that refuse ``parcel`` for
    going to a PO box (none when it does not)."""
    if not parcel.po_box:
        return frozenset()
    return frozenset(t.name for t in tables if t.refuses_po_boxes)


def cheapest_service(
    table_best: Quote | None,
    live: Iterable[Quote | None],
    refusing: Collection[str] = frozenset(),
) -> Quote | None:
    """The quote to ship with (see the module docs): ``table_best`` (the
    rate tables' cheapest) and the ``live`` quotes (``None``: no quote),
    leaving out live quotes of ``refusing`` services; ``None`` when no quote
    is left."""
    quotes = [] if table_best is None else [table_best]
    for quote in live:
        if quote is None or f"{quote.carrier}/{quote.service}" in refusing:
            continue
        if quote.amount.currency == (quotes[0] if quotes else quote).amount.currency:
            quotes.append(quote)
    if not quotes:
        return None
    return min(quotes, key=lambda q: (q.amount.amount, q.carrier, q.service))


def cheapest_first(places: Sequence[str], quotes: Sequence[Quote | None]) -> tuple[str, ...]:
    """``places`` (warehouse codes, in priority order) ranked by ``quotes``
    (each place's best quote, ``None``: none qualifies): cheapest amount
    first, places without a quote last, ties in the given order."""
    ranked = sorted(
        (best is None, best.amount.amount if best else 0, rank, code)
        for rank, (code, best) in enumerate(zip(places, quotes, strict=True))
    )
    return tuple(code for *_, code in ranked)
