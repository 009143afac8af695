"""Errors of the stock ledger: shortages now and in history, over-shipment, closed periods."""

from __future__ import annotations

from typing import Any

from ecerp.domain.shared.errors import DomainError


class InsufficientStockError(DomainError):
    """Not enough available stock to reserve, ship or move.

    A subclass that says more passes its ``message`` and extra ``fields``
    through this constructor.
    """

    sku: str
    warehouse: str
    requested: int
    available: int

    def __init__(
        self,
        sku: str,
        warehouse: str,
        requested: int,
        available: int,
        *,
        message: str | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(
            _shortage(sku, warehouse, requested, available) if message is None else message,
            sku=sku,
            warehouse=warehouse,
            requested=requested,
            available=available,
            **fields,
        )


def _shortage(sku: str, warehouse: str, requested: int, available: int) -> str:
    return f"{sku} in {warehouse}: requested {requested}, available {available}"


class HistoricalShortageError(InsufficientStockError):
    """A back-dated move out of ``warehouse`` (a location) would leave its
    balance below zero at ``short_at``, a moment between the move's date and
    now: ``available`` is the lowest balance from the move's date on."""

    short_at: object

    def __init__(
        self, sku: str, warehouse: str, requested: int, available: int, short_at: object
    ) -> None:
        super().__init__(
            sku,
            warehouse,
            requested,
            available,
            message=f"{_shortage(sku, warehouse, requested, available)} "
            f"(the balance would be negative at {short_at})",
            short_at=short_at,
        )


class OverShipmentError(DomainError):
    """Asked to ship (or release) more than is reserved for the order."""

    order: str
    sku: str
    requested: int
    reserved: int

    def __init__(self, order: str, sku: str, requested: int, reserved: int) -> None:
        super().__init__(
            f"order {order}: cannot consume {requested} of {sku}, only {reserved} reserved",
            order=order,
            sku=sku,
            requested=requested,
            reserved=reserved,
        )


class ClosedPeriodError(DomainError):
    """A move dated ``at``, before ``closed_until``, the end of the last
    closed period: closed periods refuse back-dated moves."""

    at: object
    closed_until: object

    def __init__(self, at: object, closed_until: object) -> None:
        super().__init__(
            f"move dated {at} falls in a closed period (closed until {closed_until})",
            at=at,
            closed_until=closed_until,
        )
