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

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from ecerp.domain.catalog.aliases import Alias, Bundle
from ecerp.domain.catalog.products import Product, Shop, Sku
from ecerp.domain.inventory.locations import Warehouse
from ecerp.domain.orders.drafts import Address, ChannelLine, ChannelOrder
from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.values import (
    MAX_NAME_LEN,
    MAX_NOTE_LEN,
    MAX_ORDER_ID_LEN,
    MAX_QTY,
    code_validator,
    delta_validator,
    flag_validator,
    instance_validator,
    note_validator,
    optional_code_validator,
    optional_text_validator,
    optional_to_utc,
    optional_utc_validator,
    positive_qty_validator,
    qty_map,
    require_code,
    require_int,
    require_iterable,
    require_mapping,
    require_text,
    to_utc,
    utc_validator,
    values_of,
)
from ecerp.usecases.idempotency import idempotency_key_validator
from ecerp.usecases.results import Outcome


def _actor_validator(inst: Any, attribute: Any, value: Any) -> None:
    require_code("actor", value, MAX_NAME_LEN)


def _actor(default: str) -> Any:
    """The ``actor`` field: who asks (an id of at most 200 characters)."""
    return attrs.field(default=default, validator=_actor_validator)


def _order_id_validator(inst: Any, attribute: Any, value: Any) -> None:
    require_code("order_id", value, MAX_ORDER_ID_LEN)


def _order_ids(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(
        require_code("order_ids", i, MAX_ORDER_ID_LEN) for i in values_of("order_ids", value)
    )


def _optional_order_ids(value: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if value is None else _order_ids(value)


def _skus(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(require_code("skus", sku) for sku in values_of("skus", value))


def _reasons(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(require_text("reasons", r, MAX_NOTE_LEN) for r in values_of("reasons", value))


_CATALOG_ITEMS = (Product, Sku, Shop, Bundle, Alias)


def _items(
    value: Iterable[Product | Sku | Shop | Bundle | Alias],
) -> tuple[Product | Sku | Shop | Bundle | Alias, ...]:
    items = values_of("items", value)
    for item in items:
        if not isinstance(item, _CATALOG_ITEMS):
            raise ValidationError("items", item, "must be a Product, Sku, Shop, Bundle or Alias")
    return items


def _channel_lines(value: Iterable[ChannelLine]) -> tuple[ChannelLine, ...]:
    lines = values_of("lines", value)
    for i, line in enumerate(lines, 1):
        if not isinstance(line, ChannelLine):
            raise ValidationError(f"lines[{i}]", line, "must be a ChannelLine")
    return lines


def _transfer_lines(value: Mapping[str, int]) -> dict[str, int]:
    return qty_map("lines", value)


def _received(value: Mapping[str, int]) -> dict[str, int]:
    return qty_map("quantities", value)


def _counts(value: Mapping[str, int]) -> dict[str, int]:
    return qty_map("counts", value, allow_zero=True, item="counted")


def _shipments(value: Mapping[str, str | None] | Iterable[str]) -> dict[str, str | None]:
    """``{order_id: tracking or None}``, or order ids (no tracking)."""
    pairs = (
        list(value.items())
        if isinstance(value, Mapping)
        else [(oid, None) for oid in values_of("shipments", value)]
    )
    result: dict[str, str | None] = {}
    for oid, tracking in pairs:
        require_code("shipments", oid, MAX_ORDER_ID_LEN)
        if tracking is not None:
            require_text(f"shipments[{oid}]", tracking)
        result[oid] = tracking
    return result


def _document_validator(inst: Any, attribute: Any, value: Any) -> None:
    require_text("document", value, MAX_NAME_LEN)


def _parts(value: Iterable[Mapping[int, int]]) -> tuple[dict[int, int], ...]:
    parts = []
    for part in values_of("parts", value):
        checked: dict[int, int] = {}
        for line_no, qty in require_mapping("parts", part).items():
            # types and bounds here; which lines and quantities fit the
            # order is the domain's call (a ConsolidationError)
            require_int("parts", line_no, -MAX_QTY, MAX_QTY)
            checked[line_no] = require_int(f"parts[{line_no}]", qty, -MAX_QTY, MAX_QTY)
        parts.append(checked)
    return tuple(parts)


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


# --- catalog -------------------------------------------------------------------------


@attrs.frozen
class AddToCatalog(Command):
    """Add products, SKUs, shops, bundles and aliases, all or none, in order."""

    items: tuple[Product | Sku | Shop | Bundle | Alias, ...] = attrs.field(converter=_items)
    actor: str = _actor("system")


# --- inventory ----------------------------------------------------------------------


@attrs.frozen
class AddWarehouse(Command):
    warehouse: Warehouse = attrs.field(validator=instance_validator(Warehouse))
    actor: str = _actor("system")


@attrs.frozen
class ReceiveStock(Command):
    """Goods in; ``at`` back-dates the move (a receipt booked late), never
    into a closed period nor into the future."""

    sku: str = attrs.field(validator=code_validator)
    warehouse: str = attrs.field(validator=code_validator)
    qty: int = attrs.field(validator=positive_qty_validator)
    document: str = attrs.field(default="", validator=_document_validator)
    damaged: bool = attrs.field(default=False, validator=flag_validator)
    actor: str = _actor("system")
    at: datetime | None = attrs.field(
        default=None, converter=optional_to_utc, validator=optional_utc_validator
    )


@attrs.frozen
class AdjustStock(Command):
    """A gain (``delta`` > 0) or loss (< 0) of sellable stock, with a reason."""

    sku: str = attrs.field(validator=code_validator)
    warehouse: str = attrs.field(validator=code_validator)
    delta: int = attrs.field(validator=delta_validator)
    note: str = attrs.field(validator=note_validator)
    actor: str = _actor("system")
    at: datetime | None = attrs.field(
        default=None, converter=optional_to_utc, validator=optional_utc_validator
    )
    """Back-dates the move (see :class:`ReceiveStock`)."""


@attrs.frozen
class MarkDamaged(Command):
    sku: str = attrs.field(validator=code_validator)
    warehouse: str = attrs.field(validator=code_validator)
    qty: int = attrs.field(validator=positive_qty_validator)
    note: str = attrs.field(default="", validator=note_validator)
    actor: str = _actor("system")


@attrs.frozen
class RepairDamaged(Command):
    sku: str = attrs.field(validator=code_validator)
    warehouse: str = attrs.field(validator=code_validator)
    qty: int = attrs.field(validator=positive_qty_validator)
    note: str = attrs.field(default="", validator=note_validator)
    actor: str = _actor("system")


@attrs.frozen
class ScrapDamaged(Command):
    sku: str = attrs.field(validator=code_validator)
    warehouse: str = attrs.field(validator=code_validator)
    qty: int = attrs.field(validator=positive_qty_validator)
    note: str = attrs.field(default="", validator=note_validator)
    actor: str = _actor("system")


@attrs.frozen
class SendTransfer(Command):
    """Create a transfer and dispatch it at once (goods leave ``source``)."""

    transfer_id: str = attrs.field(validator=code_validator)
    source: str = attrs.field(validator=code_validator)
    dest: str = attrs.field(validator=code_validator)
    lines: Mapping[str, int] = attrs.field(converter=_transfer_lines)
    actor: str = _actor("system")


@attrs.frozen
class ReceiveTransfer(Command):
    transfer_id: str = attrs.field(validator=code_validator)
    quantities: Mapping[str, int] = attrs.field(converter=_received)
    damaged: bool = attrs.field(default=False, validator=flag_validator)
    actor: str = _actor("system")


@attrs.frozen
class StartStocktake(Command):
    stocktake_id: str = attrs.field(validator=code_validator)
    warehouse: str = attrs.field(validator=code_validator)
    skus: tuple[str, ...] = attrs.field(converter=_skus)
    actor: str = _actor("system")


@attrs.frozen
class RecordCount(Command):
    stocktake_id: str = attrs.field(validator=code_validator)
    counts: Mapping[str, int] = attrs.field(converter=_counts)
    actor: str = _actor("system")


@attrs.frozen
class PostStocktake(Command):
    stocktake_id: str = attrs.field(validator=code_validator)
    actor: str = _actor("system")


@attrs.frozen
class ClosePeriod(Command):
    until: datetime = attrs.field(converter=to_utc, validator=utc_validator)
    actor: str = _actor("system")


# --- orders ---------------------------------------------------------------------------


def _drafts(value: Iterable[ChannelOrder]) -> tuple[ChannelOrder, ...]:
    """Drafts held as a tuple: a handler may run twice (a lost race), so a
    command never holds an iterator its first attempt would consume.  An
    item that is not a :class:`ChannelOrder` becomes that item's rejected
    outcome."""
    return tuple(require_iterable("orders", value))


def _outcomes(value: Iterable[Outcome]) -> tuple[Outcome, ...]:
    return tuple(value)


#: The largest position a batch's first item may have (``first``).
MAX_POSITION = 10**15


def _first_validator(inst: Any, attribute: Any, value: Any) -> None:
    require_int("first", value, 1, MAX_POSITION)


def _first() -> Any:
    """``first``: the position of the command's first draft in the caller's
    whole call (the facade streams a long input as one command per chunk),
    so a rejected item's ref ``#n`` is its place in that call."""
    return attrs.field(default=1, kw_only=True, validator=_first_validator)


@attrs.frozen
class ImportOrders(Command):
    """Import channel orders: new ones are created, newer versions (and the
    same version with changed content) update the existing order, the same
    content changes nothing, an older copy that differs is refused."""

    orders: tuple[ChannelOrder, ...] = attrs.field(converter=_drafts)
    actor: str = _actor("import")
    first: int = _first()


@attrs.frozen
class ProcessOrders(Command):
    """Import channel orders, review and route them, then allocate the whole
    serving queue: a seller's day in one call.

    ``imported``: outcomes of drafts the same call imported before (with
    :class:`ImportOrders`, chunk by chunk, as the facade streams a long
    input); they are reported where they ended too, ahead of ``orders``."""

    orders: tuple[ChannelOrder, ...] = attrs.field(converter=_drafts)
    actor: str = _actor("import")
    first: int = _first()
    imported: tuple[Outcome, ...] = attrs.field(default=(), converter=_outcomes)


@attrs.frozen
class AcceptOrders(Command):
    """Import a few channel orders (a web shop's webhook) and allocate them
    in one transaction."""

    orders: tuple[ChannelOrder, ...] = attrs.field(converter=_drafts)
    actor: str = _actor("import")
    first: int = _first()


@attrs.frozen
class AllocateOrders(Command):
    """Reserve stock for ready and waiting orders (``None``: all of them)."""

    order_ids: tuple[str, ...] | None = attrs.field(default=None, converter=_optional_order_ids)
    actor: str = _actor("system")


@attrs.frozen
class CancelOrder(Command):
    order_id: str = attrs.field(validator=_order_id_validator)
    reason: str = attrs.field(default="", validator=note_validator)
    actor: str = _actor("system")


@attrs.frozen
class MarkPaid(Command):
    order_id: str = attrs.field(validator=_order_id_validator)
    actor: str = _actor("system")


@attrs.frozen
class HoldOrder(Command):
    order_id: str = attrs.field(validator=_order_id_validator)
    reasons: tuple[str, ...] = attrs.field(converter=_reasons)
    actor: str = _actor("system")


@attrs.frozen
class ReleaseOrder(Command):
    order_id: str = attrs.field(validator=_order_id_validator)
    actor: str = _actor("system")


@attrs.frozen
class EditOrderLines(Command):
    """Replace an order's lines before picking; reservations follow the difference."""

    order_id: str = attrs.field(validator=_order_id_validator)
    lines: tuple[ChannelLine, ...] = attrs.field(converter=_channel_lines)
    actor: str = _actor("system")


@attrs.frozen
class ChangeAddress(Command):
    order_id: str = attrs.field(validator=_order_id_validator)
    address: Address = attrs.field(validator=instance_validator(Address))
    actor: str = _actor("system")


@attrs.frozen
class ChangeShippingService(Command):
    """Set the carrier service a person chose (``None``: let ecerp choose)."""

    order_id: str = attrs.field(validator=_order_id_validator)
    service: str | None = attrs.field(validator=optional_text_validator)
    actor: str = _actor("system")


@attrs.frozen
class StartPicking(Command):
    order_ids: tuple[str, ...] = attrs.field(converter=_order_ids)
    actor: str = _actor("system")


@attrs.frozen
class ShipOrders(Command):
    """Ship allocated orders: ``{order_id: tracking number or None}`` (or
    just order ids)."""

    shipments: Mapping[str, str | None] = attrs.field(converter=_shipments)
    actor: str = _actor("system")


@attrs.frozen
class MergeOrders(Command):
    """Merge unpicked orders of one buyer and address into one parcel."""

    order_ids: tuple[str, ...] = attrs.field(converter=_order_ids)
    actor: str = _actor("system")


@attrs.frozen
class UnmergeOrder(Command):
    """Undo a merge: the originals come back as they were."""

    order_id: str = attrs.field(validator=_order_id_validator)
    actor: str = _actor("system")


@attrs.frozen
class SplitOrder(Command):
    """Split lines or quantities off an order: each part ``{line_no: qty}``."""

    order_id: str = attrs.field(validator=_order_id_validator)
    parts: tuple[Mapping[int, int], ...] = attrs.field(converter=_parts)
    actor: str = _actor("system")


@attrs.frozen
class SplitByAvailability(Command):
    """Ship what a warehouse has now; the rest waits as its own order."""

    order_id: str = attrs.field(validator=_order_id_validator)
    warehouse: str | None = attrs.field(default=None, validator=optional_code_validator)
    actor: str = _actor("system")
