"""Split policies: what allocation may do with an order no single warehouse
can ship whole.

A shop's ``split`` setting names the policy; :data:`SPLIT_ROUNDS` dispatches
it (a table, as beancount dispatches its booking methods): how many parts
allocation may take off a waiting order, given the warehouses it may ship
from.

* ``"none"``: none; the order waits whole.
* ``"availability"``: one part, from the warehouse that can ship the most.
* ``"warehouses"``: one part per warehouse, each time from the warehouse that
  can ship the most of what is left (fewest parcels first); ties go to the
  earlier warehouse, i.e. cheaper freight.

A part is whole units per line (a bundle splits by whole bundles), lines in
order, out of what each warehouse has available:

    >>> from ecerp.domain.orders.drafts import OrderLine
    >>> from ecerp.domain.shared.money import Money
    >>> lines = (OrderLine(1, "MUG", 3, Money.of("5", "EUR"), Money.of("0", "EUR")),
    ...          OrderLine(2, "SET", 2, Money.of("9", "EUR"), Money.of("0", "EUR")))
    >>> needs = {(1, "MUG"): 3, (2, "MUG"): 2, (2, "LID"): 4}
    >>> shippable_part(lines, needs, {"MUG": 4, "LID": 3})
    {1: 3, 2: 1}
    >>> best_part(lines, needs, [("BER", {"MUG": 1}), ("HAM", {"MUG": 4, "LID": 3})])
    ('HAM', {1: 3, 2: 1})
    >>> split_rounds("warehouses", 3), split_rounds("availability", 3), split_rounds("none", 3)
    (3, 1, 0)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from ecerp.domain.orders.drafts import OrderLine

#: How many parts each split policy may take off a waiting order, given how
#: many warehouses it may ship from (keyed by the shop's ``split`` value).
SPLIT_ROUNDS: dict[str, Callable[[int], int]] = {
    "none": lambda warehouses: 0,
    "availability": lambda warehouses: 1,
    "warehouses": lambda warehouses: warehouses,
}


def split_rounds(policy: str, warehouses: int) -> int:
    """How many parts ``policy`` may take off one order.

    Raises:
        KeyError: not a split policy (shops refuse those when built).
    """
    return SPLIT_ROUNDS[policy](warehouses)


def splits(policy: str) -> bool:
    """Whether ``policy`` ever splits an order."""
    return split_rounds(policy, 1) > 0


def shippable_part(
    lines: Iterable[OrderLine],
    requirements: Mapping[tuple[int, str], int],
    available: Mapping[str, int],
) -> dict[int, int]:
    """Whole units per line (``{line_no: units}``, lines in order, lines of
    no unit left out) that ``available[sku]`` covers; each line takes its
    units before the next one (a negative availability counts as none)."""
    left: dict[str, int] = {}
    part: dict[int, int] = {}
    for line in lines:
        per_unit = {
            sku: qty // line.qty for (n, sku), qty in requirements.items() if n == line.line_no
        }
        for sku in per_unit:
            if sku not in left:
                left[sku] = max(available.get(sku, 0), 0)
        units = min(line.qty, *(left[sku] // each for sku, each in per_unit.items()))
        if units > 0:
            part[line.line_no] = units
            for sku, each in per_unit.items():
                left[sku] -= each * units
    return part


def best_part(
    lines: Sequence[OrderLine],
    requirements: Mapping[tuple[int, str], int],
    candidates: Iterable[tuple[str, Mapping[str, int]]],
) -> tuple[str, dict[int, int]] | None:
    """The warehouse (of ``candidates``, ``(code, available)`` in order of
    preference) that can ship the most units now, and that part; the earlier
    wins a tie.  ``None`` when none can ship any."""
    best: tuple[int, str, dict[int, int]] | None = None
    for code, available in candidates:
        part = shippable_part(lines, requirements, available)
        units = sum(part.values())
        if units and (best is None or units > best[0]):
            best = (units, code, part)
    return None if best is None else (best[1], best[2])


def is_whole(lines: Iterable[OrderLine], part: Mapping[int, int]) -> bool:
    """Whether ``part`` is every unit of every line (no split needed)."""
    return all(part.get(line.line_no, 0) == line.qty for line in lines)
