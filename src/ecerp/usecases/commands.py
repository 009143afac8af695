"""Commands: what a caller asks ecerp to do, as frozen values.

Each names its actor (who asks), so every change is recorded with who and
when (the time comes from the clock).  The bus maps each command type to one
handler.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import attrs

from ecerp.domain.catalog import Alias, Bundle, Product, Shop, Sku
from ecerp.domain.orders import Address, ChannelLine, ChannelOrder
from ecerp.domain.stock import Warehouse
from ecerp.usecases.idempotency import idempotency_key_validator
from ecerp.usecases.results import Outcome


def _strs(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _items(
    value: Iterable[Product | Sku | Shop | Bundle | Alias],
) -> tuple[Product | Sku | Shop | Bundle | Alias, ...]:
    return tuple(value)


def _channel_lines(value: Iterable[ChannelLine]) -> tuple[ChannelLine, ...]:
    return tuple(value)


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
    actor: str = "system"


# --- inventory ----------------------------------------------------------------------


@attrs.frozen
class AddWarehouse(Command):
    warehouse: Warehouse
    actor: str = "system"


@attrs.frozen
class ReceiveStock(Command):
    """Goods in; ``at`` back-dates the move (a receipt booked late), never
    into a closed period nor into the future."""

    sku: str
    warehouse: str
    qty: int
    document: str = ""
    damaged: bool = False
    actor: str = "system"
    at: datetime | None = None


@attrs.frozen
class AdjustStock(Command):
    """A gain (``delta`` > 0) or loss (< 0) of sellable stock, with a reason."""

    sku: str
    warehouse: str
    delta: int
    note: str
    actor: str = "system"
    at: datetime | None = None
    """Back-dates the move (see :class:`ReceiveStock`)."""


@attrs.frozen
class MarkDamaged(Command):
    sku: str
    warehouse: str
    qty: int
    note: str = ""
    actor: str = "system"


@attrs.frozen
class RepairDamaged(Command):
    sku: str
    warehouse: str
    qty: int
    note: str = ""
    actor: str = "system"


@attrs.frozen
class ScrapDamaged(Command):
    sku: str
    warehouse: str
    qty: int
    note: str = ""
    actor: str = "system"


@attrs.frozen
class SendTransfer(Command):
    """Create a transfer and dispatch it at once (goods leave ``source``)."""

    transfer_id: str
    source: str
    dest: str
    lines: Mapping[str, int]
    actor: str = "system"


@attrs.frozen
class ReceiveTransfer(Command):
    transfer_id: str
    quantities: Mapping[str, int]
    damaged: bool = False
    actor: str = "system"


@attrs.frozen
class StartStocktake(Command):
    stocktake_id: str
    warehouse: str
    skus: tuple[str, ...] = attrs.field(converter=_strs)
    actor: str = "system"


@attrs.frozen
class RecordCount(Command):
    stocktake_id: str
    counts: Mapping[str, int]
    actor: str = "system"


@attrs.frozen
class PostStocktake(Command):
    stocktake_id: str
    actor: str = "system"


@attrs.frozen
class ClosePeriod(Command):
    until: datetime
    actor: str = "system"


# --- orders ---------------------------------------------------------------------------


def _drafts(value: Iterable[ChannelOrder]) -> tuple[ChannelOrder, ...]:
    """Drafts held as a tuple: a handler may run twice (a lost race), so a
    command never holds an iterator its first attempt would consume."""
    return tuple(value)


def _outcomes(value: Iterable[Outcome]) -> tuple[Outcome, ...]:
    return tuple(value)


@attrs.frozen
class ImportOrders(Command):
    """Import channel orders: new ones are created, newer versions (and the
    same version with changed content) update the existing order, the same
    content changes nothing, an older copy that differs is refused."""

    orders: tuple[ChannelOrder, ...] = attrs.field(converter=_drafts)
    actor: str = "import"


@attrs.frozen
class ProcessOrders(Command):
    """Import channel orders, review and route them, then allocate the whole
    serving queue: a seller's day in one call.

    ``imported``: outcomes of drafts the same call imported before (with
    :class:`ImportOrders`, chunk by chunk, as the facade streams a long
    input); they are reported where they ended too, ahead of ``orders``."""

    orders: tuple[ChannelOrder, ...] = attrs.field(converter=_drafts)
    actor: str = "import"
    imported: tuple[Outcome, ...] = attrs.field(default=(), converter=_outcomes)


@attrs.frozen
class AcceptOrders(Command):
    """Import a few channel orders (a web shop's webhook) and allocate them
    in one transaction."""

    orders: tuple[ChannelOrder, ...] = attrs.field(converter=_drafts)
    actor: str = "import"


@attrs.frozen
class AllocateOrders(Command):
    """Reserve stock for ready and waiting orders (``None``: all of them)."""

    order_ids: tuple[str, ...] | None = None
    actor: str = "system"


@attrs.frozen
class CancelOrder(Command):
    order_id: str
    reason: str = ""
    actor: str = "system"


@attrs.frozen
class MarkPaid(Command):
    order_id: str
    actor: str = "system"


@attrs.frozen
class HoldOrder(Command):
    order_id: str
    reasons: tuple[str, ...] = attrs.field(converter=_strs)
    actor: str = "system"


@attrs.frozen
class ReleaseOrder(Command):
    order_id: str
    actor: str = "system"


@attrs.frozen
class EditOrderLines(Command):
    """Replace an order's lines before picking; reservations follow the difference."""

    order_id: str
    lines: tuple[ChannelLine, ...] = attrs.field(converter=_channel_lines)
    actor: str = "system"


@attrs.frozen
class ChangeAddress(Command):
    order_id: str
    address: Address
    actor: str = "system"


@attrs.frozen
class ChangeShippingService(Command):
    """Set the carrier service a person chose (``None``: let ecerp choose)."""

    order_id: str
    service: str | None
    actor: str = "system"


@attrs.frozen
class StartPicking(Command):
    order_ids: tuple[str, ...] = attrs.field(converter=_strs)
    actor: str = "system"


@attrs.frozen
class ShipOrders(Command):
    """Ship allocated orders: ``{order_id: tracking number or None}``."""

    shipments: Mapping[str, str | None]
    actor: str = "system"


@attrs.frozen
class MergeOrders(Command):
    """Merge unpicked orders of one buyer and address into one parcel."""

    order_ids: tuple[str, ...] = attrs.field(converter=_strs)
    actor: str = "system"


@attrs.frozen
class UnmergeOrder(Command):
    """Undo a merge: the originals come back as they were."""

    order_id: str
    actor: str = "system"


@attrs.frozen
class SplitOrder(Command):
    """Split lines or quantities off an order: each part ``{line_no: qty}``."""

    order_id: str
    parts: tuple[Mapping[int, int], ...]
    actor: str = "system"


@attrs.frozen
class SplitByAvailability(Command):
    """Ship what a warehouse has now; the rest waits as its own order."""

    order_id: str
    warehouse: str | None = None
    actor: str = "system"
