"""Merging orders bound for one buyer, and splitting one order into parts."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

import attrs

from ecerp.domain.orders.drafts import Address, OrderLine
from ecerp.domain.orders.errors import ConsolidationError
from ecerp.domain.orders.ids import merged_order_id, split_part_id
from ecerp.domain.orders.order import Order
from ecerp.domain.orders.status import CONSOLIDATABLE, PaymentStatus, Requirements, S
from ecerp.domain.shared.money import Money, allocate
from ecerp.domain.shared.values import MAX_CODE_LEN, require_utc


def normalise_address(address: Address) -> tuple[str, ...]:
    """An address compared the way a packer would: case, spaces and
    punctuation do not matter."""
    return tuple(
        " ".join(re.sub(r"[^\w]+", " ", part).lower().split()) for part in attrs.astuple(address)
    )


def merge_key(order: Order) -> tuple[object, ...]:
    """Orders merge when they share channel, shop, buyer, normalised address and currency."""
    buyer = (order.buyer.id or order.buyer.email or order.buyer.name).strip().lower()
    return (order.channel, order.shop, buyer, normalise_address(order.address), order.currency)


def merged_external_id(
    orders: Iterable[Order], folded: Iterable[Order] = (), attempt: int = 1
) -> str:
    """The external id of the parcel that merging ``orders`` makes:
    ``M-<id1>+<id2>...`` over the *original* orders (merged parcels among
    ``orders`` contribute the orders in ``folded`` they were made of), oldest
    first.  ``attempt`` 2, 3... give ``M2-...``, ``M3-...`` for when the same
    originals were merged (and unmerged) before."""
    originals = _originals(list(orders), list(folded))
    prefix = "M-" if attempt == 1 else f"M{attempt}-"
    label = prefix + "+".join(o.external_id for o in originals)
    if len(label) <= MAX_CODE_LEN:
        return label
    # too long to be an external id: the first original, how many, and a
    # digest of all their ids (the same originals always give the same label)
    digest = hashlib.sha256(
        "\n".join(o.id for o in originals).encode("utf-8", "surrogatepass")
    ).hexdigest()[:16]
    head = f"{prefix}{len(originals)}-{digest}-"
    return head + originals[0].external_id[: MAX_CODE_LEN - len(head)]


def _originals(orders: list[Order], folded: list[Order]) -> list[Order]:
    by_id = {o.id: o for o in folded}
    result: list[Order] = []
    for o in orders:
        if o.merged_from:
            result.extend(by_id[i] for i in o.merged_from if i in by_id)
        else:
            result.append(o)
    return sorted(result, key=lambda o: (o.ordered_at, o.id))


def merge_orders(
    orders: list[Order],
    *,
    at: datetime,
    actor: str,
    folded: Iterable[Order] = (),
    external_id: str | None = None,
) -> Order:
    """Fold ``orders`` into one new order and mark each original ``merged``.

    The merged order has every line (renumbered, with ``line_origins``
    pointing back), the union of tags, the highest priority and the earliest
    order time.  Its status is ``ready`` (the caller allocates it, or moves
    the originals' reservations onto it).

    **Re-merging.**  An order among ``orders`` that is itself a merged parcel
    (it has ``merged_from``) is flattened: ``folded`` must hold exactly the
    orders it was made of.  The new parcel's ``merged_from`` lists the
    original orders, its ``line_origins`` point at them (never at the
    intermediate parcel), and each original's ``merged_into`` moves to the
    new parcel, keeping the status it had before its first merge, so that
    unmerging the new parcel restores every original.  The intermediate
    parcel is **retired**: cancelled with the note ``merged again into
    <id>`` and ``merged_into`` set; it never ships and holds no stock.

    ``external_id`` overrides the default :func:`merged_external_id`.

    Raises:
        ConsolidationError: fewer than two orders, different buyers or
            addresses or shops, an order already picked, held or folded,
            or ``folded`` not exactly the originals of the merged parcels.
    """
    at = require_utc("at", at)
    ids = [o.id for o in orders]
    folded = list(folded)
    if len(orders) < 2 or len(set(ids)) != len(ids):
        raise ConsolidationError(ids, "need at least two different orders")
    keys = {merge_key(o) for o in orders}
    if len(keys) != 1:
        raise ConsolidationError(ids, "orders differ in shop, buyer, address or currency")
    for o in orders:
        if o.status not in CONSOLIDATABLE:
            raise ConsolidationError([o.id], f"cannot merge an order that is {o.status.value}")
    parcels = {o.id: o for o in orders if o.merged_from}
    expected = sorted(i for p in parcels.values() for i in p.merged_from)
    if sorted(o.id for o in folded) != expected:
        raise ConsolidationError(
            sorted(parcels) or ids,
            "give exactly the orders the merged parcels were made of as folded",
        )
    for o in folded:
        parcel_id = o.merged_into
        if o.status is not S.MERGED or parcel_id not in parcels or o.parked is None:
            raise ConsolidationError([o.id], f"is not folded into {', '.join(sorted(parcels))}")
    originals = _originals(orders, folded)
    ordered = sorted(orders, key=lambda o: (o.ordered_at, o.id))
    rank = {o.id: n for n, o in enumerate(originals)}
    # every line with where it came from: (original id, its line number)
    found: list[tuple[tuple[int, int, int], Order, OrderLine, tuple[str, int] | None]] = []
    for position, o in enumerate(ordered):
        for line in o.lines:
            origin = o.line_origins.get(line.line_no) if o.merged_from else (o.id, line.line_no)
            sort_key = (
                (rank[origin[0]], origin[1], 0)
                if origin is not None and origin[0] in rank
                else (len(rank) + position, line.line_no, 1)
            )
            found.append((sort_key, o, line, origin))
    found.sort(key=lambda item: item[0])
    lines: list[OrderLine] = []
    requirements: Requirements = {}
    origins: dict[int, tuple[str, int]] = {}
    for _, o, line, origin in found:
        n = len(lines) + 1
        lines.append(attrs.evolve(line, line_no=n))
        if origin is not None:
            origins[n] = origin
        for (line_no, sku), qty in o.requirements.items():
            if line_no == line.line_no:
                requirements[(n, sku)] = qty
    paid = all(o.payment is PaymentStatus.PAID for o in ordered)
    first = ordered[0]
    external = external_id if external_id is not None else merged_external_id(orders, folded)
    merged = Order(
        id=merged_order_id(first.channel, first.shop, external),
        channel=first.channel,
        shop=first.shop,
        external_id=external,
        ordered_at=first.ordered_at,
        updated_at=max(o.updated_at for o in ordered),
        currency=first.currency,
        lines=lines,
        requirements=requirements,
        buyer=first.buyer,
        address=first.address,
        payment=PaymentStatus.PAID if paid else PaymentStatus.UNPAID,
        paid_amount=None,
        status=S.NEW,
        buyer_note="\n".join(o.buyer_note for o in ordered if o.buyer_note),
        shipping_level=first.shipping_level,
        shipping_service=first.shipping_service,
        priority=max(o.priority for o in ordered),
        tags=set().union(*(o.tags for o in ordered)),
        merged_from=tuple(o.id for o in originals),
        line_origins=origins,
    )
    merged.open_merged(at=at, actor=actor)
    for o in ordered:
        if o.merged_from:
            o.retire_into(merged.id, at=at, actor=actor)
        else:
            o.fold_into(merged.id, at=at, actor=actor)
    for o in folded:
        o.refold_into(merged.id, at=at, actor=actor)
    return merged


def unmerge_orders(merged: Order, originals: list[Order], *, at: datetime, actor: str) -> None:
    """Undo :func:`merge_orders`: the originals go back to the status and
    warehouse they had; the merged order is cancelled.  The caller restores
    reservations (the originals' held stock is available again once the
    merged order releases it).

    Raises:
        ConsolidationError: ``originals`` are not exactly what ``merged``
            was made of, or the merged order was picked already.
    """
    at = require_utc("at", at)
    if sorted(o.id for o in originals) != sorted(merged.merged_from):
        raise ConsolidationError([merged.id], "give exactly the orders it was merged from")
    if not merged.can_go(S.CANCELLED) or merged.status not in CONSOLIDATABLE | {
        S.UNPAID,
        S.ON_HOLD,
    }:
        raise ConsolidationError(
            [merged.id], f"cannot unmerge an order that is {merged.status.value}"
        )
    for o in originals:
        if o.status is not S.MERGED or o.merged_into != merged.id or o.parked is None:
            raise ConsolidationError([o.id], f"is not merged into {merged.id}")
    if _split_count(merged):
        raise ConsolidationError(
            [merged.id], "parts were split off it: the originals cannot be restored whole"
        )
    merged.cancel(at=at, actor=actor, reason="unmerged")
    for o in originals:
        o.unfold(merged.id, at=at, actor=actor)


def split_order(
    order: Order,
    parts: list[Mapping[int, int]],
    *,
    at: datetime,
    actor: str,
    in_use: Callable[[str], bool] = lambda _: False,
) -> list[Order]:
    """Take ``parts`` (each ``{line_no: qty}``) out of ``order`` into new
    orders linked back by ``split_from``; the rest stays on ``order``.

    Quantities and money are conserved: each new line keeps the unit price,
    and a line's discount is shared out in proportion to quantity, to the
    cent.  A bundle line splits by whole bundles.  New parts take the
    order's status (``allocated`` ones its warehouse; the caller moves the
    reservations).

    Parts are numbered from 2 on, never twice for one order: a part's id is
    ``<order id>#<n>`` (:func:`~ecerp.domain.orders.ids.split_part_id`), its
    external id ``<external id>#<n>``; ``in_use`` says whether an id is in
    use already (orders split by an earlier ecerp did not count their
    parts), and such numbers are skipped.

    Raises:
        ConsolidationError: unknown lines, quantities that do not fit, a part
            that is empty or takes everything, or an order past allocation.
    """
    at = require_utc("at", at)
    if order.status not in CONSOLIDATABLE:
        raise ConsolidationError([order.id], f"cannot split an order that is {order.status.value}")
    by_no = {line.line_no: line for line in order.lines}
    taken: dict[int, int] = {}
    for part in parts:
        if not part or any(q <= 0 for q in part.values()):
            raise ConsolidationError([order.id], "each part needs positive quantities")
        for line_no, qty in part.items():
            if line_no not in by_no:
                raise ConsolidationError([order.id], f"has no line {line_no}")
            if type(qty) is not int:
                raise ConsolidationError([order.id], f"line {line_no}: quantity must be an int")
            taken[line_no] = taken.get(line_no, 0) + qty
    for line_no, qty in taken.items():
        if qty > by_no[line_no].qty:
            raise ConsolidationError(
                [order.id], f"line {line_no}: only {by_no[line_no].qty} to split"
            )
    if all(taken.get(n, 0) == line.qty for n, line in by_no.items()):
        raise ConsolidationError([order.id], "the parts would take everything; nothing would stay")
    # share each line's discount over the quantities that end up where
    shares: dict[int, list[Money]] = {}
    for line_no, line in by_no.items():
        weights = [part.get(line_no, 0) for part in parts] + [line.qty - taken.get(line_no, 0)]
        shares[line_no] = allocate(line.discount, weights)
    per_unit = {
        line_no: {
            sku: qty // by_no[line_no].qty
            for (n, sku), qty in order.requirements.items()
            if n == line_no
        }
        for line_no in by_no
    }
    children: list[Order] = []
    number = 1 + max(order.parts_made, _split_count(order))
    for index, part in enumerate(parts):
        lines: list[OrderLine] = []
        requirements: Requirements = {}
        origins: dict[int, tuple[str, int]] = {}
        for line_no in sorted(part):
            src, qty = by_no[line_no], part[line_no]
            n = len(lines) + 1
            if line_no in order.line_origins:
                origins[n] = order.line_origins[line_no]
            lines.append(
                OrderLine(
                    n, src.listing_sku, qty, src.unit_price, shares[line_no][index], src.title
                )
            )
            for sku, each in per_unit[line_no].items():
                requirements[(n, sku)] = each * qty
        number += 1
        while in_use(split_part_id(order.id, number)):
            number += 1
        child = attrs.evolve(
            order.clone(),
            id=split_part_id(order.id, number),
            external_id=f"{order.external_id}#{number}",
            parts_made=0,
            lines=lines,
            requirements=requirements,
            paid_amount=None,
            split_from=order.id,
            # a part of a merged parcel: its lines still point at their
            # marketplace orders, but it is not itself a merge of them
            merged_from=(),
            line_origins=origins,
            history=[],
            changes=[],
            status=S.NEW,
            warehouse=None,
        )
        child.open_part(waiting=order.status is S.WAITING, at=at, actor=actor)
        children.append(child)
    rest: list[OrderLine] = []
    rest_req: Requirements = {}
    for line_no in sorted(by_no):
        src = by_no[line_no]
        qty = src.qty - taken.get(line_no, 0)
        if qty:
            rest.append(attrs.evolve(src, qty=qty, discount=shares[line_no][-1]))
            for sku, each in per_unit[line_no].items():
                rest_req[(line_no, sku)] = each * qty
    order.keep_rest(
        rest,
        rest_req,
        parts=[c.id for c in children],
        parts_made=number - 1,
        at=at,
        actor=actor,
    )
    return children


def _split_count(order: Order) -> int:
    return sum(1 for c in order.changes if c.field == "split")
