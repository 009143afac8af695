"""Orders commands: import, process and accept channel orders; cancel, pay, hold,
release, edit, pick, ship, merge and split them.

Every field is checked when the command is built (see
:mod:`ecerp.usecases.base`); a bad field raises
:class:`~ecerp.domain.shared.errors.ValidationError` naming it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from ecerp.domain.orders.drafts import Address, ChannelLine, ChannelOrder
from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.values import (
    MAX_NOTE_LEN,
    MAX_ORDER_ID_LEN,
    MAX_QTY,
    instance_validator,
    note_validator,
    optional_code_validator,
    optional_text_validator,
    require_code,
    require_int,
    require_iterable,
    require_mapping,
    require_text,
    values_of,
)
from ecerp.usecases.base import Command, actor_field
from ecerp.usecases.results import Outcome


def _order_id_validator(inst: Any, attribute: Any, value: Any) -> None:
    require_code("order_id", value, MAX_ORDER_ID_LEN)


def _order_ids(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(
        require_code("order_ids", i, MAX_ORDER_ID_LEN) for i in values_of("order_ids", value)
    )


def optional_order_ids(value: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if value is None else _order_ids(value)


def _reasons(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(require_text("reasons", r, MAX_NOTE_LEN) for r in values_of("reasons", value))


def _channel_lines(value: Iterable[ChannelLine]) -> tuple[ChannelLine, ...]:
    lines = values_of("lines", value)
    for i, line in enumerate(lines, 1):
        if not isinstance(line, ChannelLine):
            raise ValidationError(f"lines[{i}]", line, "must be a ChannelLine")
    return lines


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
    actor: str = actor_field("import")
    first: int = _first()


@attrs.frozen
class ProcessOrders(Command):
    """Import channel orders, review and route them, then allocate the whole
    serving queue: a seller's day in one call.

    ``imported``: outcomes of drafts the same call imported before (with
    :class:`ImportOrders`, chunk by chunk, as the facade streams a long
    input); they are reported where they ended too, ahead of ``orders``."""

    orders: tuple[ChannelOrder, ...] = attrs.field(converter=_drafts)
    actor: str = actor_field("import")
    first: int = _first()
    imported: tuple[Outcome, ...] = attrs.field(default=(), converter=_outcomes)


@attrs.frozen
class AcceptOrders(Command):
    """Import a few channel orders (a web shop's webhook) and allocate them
    in one transaction."""

    orders: tuple[ChannelOrder, ...] = attrs.field(converter=_drafts)
    actor: str = actor_field("import")
    first: int = _first()


@attrs.frozen
class CancelOrder(Command):
    order_id: str = attrs.field(validator=_order_id_validator)
    reason: str = attrs.field(default="", validator=note_validator)
    actor: str = actor_field("system")


@attrs.frozen
class MarkPaid(Command):
    order_id: str = attrs.field(validator=_order_id_validator)
    actor: str = actor_field("system")


@attrs.frozen
class HoldOrder(Command):
    order_id: str = attrs.field(validator=_order_id_validator)
    reasons: tuple[str, ...] = attrs.field(converter=_reasons)
    actor: str = actor_field("system")


@attrs.frozen
class ReleaseOrder(Command):
    order_id: str = attrs.field(validator=_order_id_validator)
    actor: str = actor_field("system")


@attrs.frozen
class EditOrderLines(Command):
    """Replace an order's lines before picking; reservations follow the difference."""

    order_id: str = attrs.field(validator=_order_id_validator)
    lines: tuple[ChannelLine, ...] = attrs.field(converter=_channel_lines)
    actor: str = actor_field("system")


@attrs.frozen
class ChangeAddress(Command):
    order_id: str = attrs.field(validator=_order_id_validator)
    address: Address = attrs.field(validator=instance_validator(Address))
    actor: str = actor_field("system")


@attrs.frozen
class ChangeShippingService(Command):
    """Set the carrier service a person chose (``None``: let ecerp choose)."""

    order_id: str = attrs.field(validator=_order_id_validator)
    service: str | None = attrs.field(validator=optional_text_validator)
    actor: str = actor_field("system")


@attrs.frozen
class StartPicking(Command):
    order_ids: tuple[str, ...] = attrs.field(converter=_order_ids)
    actor: str = actor_field("system")


@attrs.frozen
class ShipOrders(Command):
    """Ship allocated orders: ``{order_id: tracking number or None}`` (or
    just order ids)."""

    shipments: Mapping[str, str | None] = attrs.field(converter=_shipments)
    actor: str = actor_field("system")


@attrs.frozen
class MergeOrders(Command):
    """Merge unpicked orders of one buyer and address into one parcel."""

    order_ids: tuple[str, ...] = attrs.field(converter=_order_ids)
    actor: str = actor_field("system")


@attrs.frozen
class UnmergeOrder(Command):
    """Undo a merge: the originals come back as they were."""

    order_id: str = attrs.field(validator=_order_id_validator)
    actor: str = actor_field("system")


@attrs.frozen
class SplitOrder(Command):
    """Split lines or quantities off an order: each part ``{line_no: qty}``."""

    order_id: str = attrs.field(validator=_order_id_validator)
    parts: tuple[Mapping[int, int], ...] = attrs.field(converter=_parts)
    actor: str = actor_field("system")


@attrs.frozen
class SplitByAvailability(Command):
    """Ship what a warehouse has now; the rest waits as its own order."""

    order_id: str = attrs.field(validator=_order_id_validator)
    warehouse: str | None = attrs.field(default=None, validator=optional_code_validator)
    actor: str = actor_field("system")
