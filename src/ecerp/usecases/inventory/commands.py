"""Inventory commands: warehouses, receipts, adjustments, damaged stock,
transfers, stocktakes and closing periods.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from ecerp.domain.inventory.locations import Warehouse
from ecerp.domain.shared.values import (
    MAX_NAME_LEN,
    code_validator,
    delta_validator,
    flag_validator,
    instance_validator,
    note_validator,
    optional_to_utc,
    optional_utc_validator,
    positive_qty_validator,
    qty_map,
    require_code,
    require_text,
    to_utc,
    utc_validator,
    values_of,
)
from ecerp.usecases.base import Command, actor_field


def _skus(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(require_code("skus", sku) for sku in values_of("skus", value))


def _transfer_lines(value: Mapping[str, int]) -> dict[str, int]:
    return qty_map("lines", value)


def _received(value: Mapping[str, int]) -> dict[str, int]:
    return qty_map("quantities", value)


def _counts(value: Mapping[str, int]) -> dict[str, int]:
    return qty_map("counts", value, allow_zero=True, item="counted")


def _document_validator(inst: Any, attribute: Any, value: Any) -> None:
    require_text("document", value, MAX_NAME_LEN)


@attrs.frozen
class AddWarehouse(Command):
    warehouse: Warehouse = attrs.field(validator=instance_validator(Warehouse))
    actor: str = actor_field("system")


@attrs.frozen
class ReceiveStock(Command):
    """Goods in; ``at`` back-dates the move (a receipt booked late), never
    into a closed period nor into the future."""

    sku: str = attrs.field(validator=code_validator)
    warehouse: str = attrs.field(validator=code_validator)
    qty: int = attrs.field(validator=positive_qty_validator)
    document: str = attrs.field(default="", validator=_document_validator)
    damaged: bool = attrs.field(default=False, validator=flag_validator)
    actor: str = actor_field("system")
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
    actor: str = actor_field("system")
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
    actor: str = actor_field("system")


@attrs.frozen
class RepairDamaged(Command):
    sku: str = attrs.field(validator=code_validator)
    warehouse: str = attrs.field(validator=code_validator)
    qty: int = attrs.field(validator=positive_qty_validator)
    note: str = attrs.field(default="", validator=note_validator)
    actor: str = actor_field("system")


@attrs.frozen
class ScrapDamaged(Command):
    sku: str = attrs.field(validator=code_validator)
    warehouse: str = attrs.field(validator=code_validator)
    qty: int = attrs.field(validator=positive_qty_validator)
    note: str = attrs.field(default="", validator=note_validator)
    actor: str = actor_field("system")


@attrs.frozen
class SendTransfer(Command):
    """Create a transfer and dispatch it at once (goods leave ``source``)."""

    transfer_id: str = attrs.field(validator=code_validator)
    source: str = attrs.field(validator=code_validator)
    dest: str = attrs.field(validator=code_validator)
    lines: Mapping[str, int] = attrs.field(converter=_transfer_lines)
    actor: str = actor_field("system")


@attrs.frozen
class ReceiveTransfer(Command):
    transfer_id: str = attrs.field(validator=code_validator)
    quantities: Mapping[str, int] = attrs.field(converter=_received)
    damaged: bool = attrs.field(default=False, validator=flag_validator)
    actor: str = actor_field("system")


@attrs.frozen
class StartStocktake(Command):
    stocktake_id: str = attrs.field(validator=code_validator)
    warehouse: str = attrs.field(validator=code_validator)
    skus: tuple[str, ...] = attrs.field(converter=_skus)
    actor: str = actor_field("system")


@attrs.frozen
class RecordCount(Command):
    stocktake_id: str = attrs.field(validator=code_validator)
    counts: Mapping[str, int] = attrs.field(converter=_counts)
    actor: str = actor_field("system")


@attrs.frozen
class PostStocktake(Command):
    stocktake_id: str = attrs.field(validator=code_validator)
    actor: str = actor_field("system")


@attrs.frozen
class ClosePeriod(Command):
    until: datetime = attrs.field(converter=to_utc, validator=utc_validator)
    actor: str = actor_field("system")
