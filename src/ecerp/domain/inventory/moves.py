"""Moves, reservations and stock positions: the values the ledger is made of."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs


class MoveReason(enum.Enum):
    RECEIPT = "receipt"
    SHIPMENT = "shipment"
    GAIN = "gain"
    LOSS = "loss"
    DAMAGE = "damage"
    REPAIR = "repair"
    SCRAP = "scrap"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    STOCKTAKE_GAIN = "stocktake_gain"
    STOCKTAKE_LOSS = "stocktake_loss"
    CUSTOMER_RETURN = "customer_return"
    RELOCATE = "relocate"


@attrs.frozen(slots=True)
class Move:
    """One done stock movement.  Immutable: corrections are new moves."""

    seq: int
    sku: str
    source: str
    dest: str
    qty: int
    reason: MoveReason
    document: str
    actor: str
    at: datetime
    note: str = ""


@attrs.frozen(slots=True)
class Reservation:
    """``qty`` of ``sku`` held in ``warehouse`` for line ``line`` of ``order``."""

    order: str
    line: int
    sku: str
    warehouse: str
    qty: int


BalanceKey = tuple[str, str]  # (sku, location code)


WarehouseKey = tuple[str, str]  # (sku, warehouse code)


LineKey = tuple[int, str]  # (order line number, sku)


@attrs.frozen
class StockLine:
    """One row of a stock report: a SKU in a warehouse."""

    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    available: int


@attrs.frozen
class StockPosition:
    """The buckets of one SKU in one warehouse."""

    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    available: int
    damaged: int
    in_transit: int
