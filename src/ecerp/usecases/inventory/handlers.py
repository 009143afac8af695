"""Inventory use cases: warehouses, receipts, adjustments, damage, transfers,
stocktakes and closed periods."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ecerp.domain.inventory.book import StockBook
from ecerp.domain.inventory.locations import ADJUSTMENT, stock_location, transit_location
from ecerp.domain.inventory.moves import Move
from ecerp.domain.inventory.stocktakes import Stocktake, shortfalls
from ecerp.domain.inventory.transfers import Transfer
from ecerp.domain.shared.errors import NotFoundError, ValidationError
from ecerp.domain.shared.values import require_utc
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.context import Context
from ecerp.usecases.inventory.commands import (
    AddWarehouse,
    AdjustStock,
    ClosePeriod,
    MarkDamaged,
    PostStocktake,
    ReceiveStock,
    ReceiveTransfer,
    RecordCount,
    RepairDamaged,
    ScrapDamaged,
    SendTransfer,
    StartStocktake,
)
from ecerp.usecases.orders.reservations import bump_reservations
from ecerp.usecases.registry import HandlerMap


def _effective(at: datetime | None, ctx: Context) -> datetime:
    """When a move takes effect: now, or an earlier moment it is back-dated
    to (a closed period refuses it; the future is refused here).

    Raises:
        ValidationError: ``at`` is naive or later than now.
    """
    now = ctx.now()
    if at is None:
        return now
    at = require_utc("at", at)
    if at > now:
        raise ValidationError("at", at, f"is in the future (now is {now.isoformat()})")
    return at


def add_warehouse(cmd: AddWarehouse, ctx: Context) -> None:
    with ctx.uow as uow:
        uow.stock.book().add_warehouse(cmd.warehouse)
        uow.commit()


def receive_stock(cmd: ReceiveStock, ctx: Context) -> Move:
    with ctx.uow as uow:
        uow.catalog.view().sku(cmd.sku)
        move = uow.stock.book().receive(
            cmd.sku,
            cmd.warehouse,
            cmd.qty,
            at=_effective(cmd.at, ctx),
            actor=cmd.actor,
            document=cmd.document,
            damaged=cmd.damaged,
        )
        uow.commit()
    return move


def adjust_stock(cmd: AdjustStock, ctx: Context) -> Move:
    with ctx.uow as uow:
        uow.catalog.view().sku(cmd.sku)
        move = uow.stock.book().adjust(
            cmd.sku,
            cmd.warehouse,
            cmd.delta,
            at=_effective(cmd.at, ctx),
            actor=cmd.actor,
            note=cmd.note,
        )
        uow.commit()
    return move


def move_damaged(cmd: MarkDamaged | RepairDamaged | ScrapDamaged, ctx: Context) -> Move:
    """Sellable → damaged, damaged → sellable, or damaged → written off."""
    with ctx.uow as uow:
        book = uow.stock.book()
        operation = {
            MarkDamaged: book.damage,
            RepairDamaged: book.repair,
            ScrapDamaged: book.scrap,
        }[type(cmd)]
        move = operation(
            cmd.sku, cmd.warehouse, cmd.qty, at=ctx.now(), actor=cmd.actor, note=cmd.note
        )
        uow.commit()
    return move


def _prefetch(
    uow: UnitOfWork, skus: Iterable[str], warehouses: Iterable[str], locations: Iterable[str]
) -> StockBook:
    """Load, in bulk, the SKUs, positions and balances a many-line stock
    command is about to read (one query per 500 instead of several per line)."""
    codes = sorted(set(skus))
    uow.catalog.prefetch(("", "", code) for code in codes)
    book = uow.stock.book()
    uow.stock.prefetch((code, wh) for code in codes for wh in set(warehouses))
    uow.stock.prefetch_balances((code, loc) for code in codes for loc in set(locations))
    return book


def send_transfer(cmd: SendTransfer, ctx: Context) -> Transfer:
    with ctx.uow as uow:
        book = _prefetch(
            uow,
            cmd.lines,
            (cmd.source,),
            (stock_location(cmd.source), transit_location(cmd.dest)),
        )
        catalog = uow.catalog.view()
        for sku in cmd.lines:
            catalog.sku(sku)
        book.warehouse(cmd.source)
        book.warehouse(cmd.dest)
        transfer = Transfer(cmd.transfer_id, cmd.source, cmd.dest, dict(cmd.lines))
        uow.documents.add_transfer(transfer)
        transfer.dispatch(book, at=ctx.now(), actor=cmd.actor)
        uow.commit()
    return transfer


def receive_transfer(cmd: ReceiveTransfer, ctx: Context) -> Transfer:
    with ctx.uow as uow:
        transfer = uow.documents.find_transfer(cmd.transfer_id)
        if transfer is None:
            raise NotFoundError("transfer", cmd.transfer_id)
        dest = transfer.dest
        book = _prefetch(
            uow, cmd.quantities, (dest,), (transit_location(dest), stock_location(dest))
        )
        transfer.receive(book, cmd.quantities, at=ctx.now(), actor=cmd.actor, damaged=cmd.damaged)
        uow.commit()
    return transfer


def start_stocktake(cmd: StartStocktake, ctx: Context) -> Stocktake:
    with ctx.uow as uow:
        book = _prefetch(uow, cmd.skus, (cmd.warehouse,), (stock_location(cmd.warehouse),))
        catalog = uow.catalog.view()
        for sku in cmd.skus:
            catalog.sku(sku)
        stocktake = Stocktake.start(cmd.stocktake_id, cmd.warehouse, cmd.skus, book, at=ctx.now())
        uow.documents.add_stocktake(stocktake)
        uow.commit()
    return stocktake


def _stocktake(ctx: Context, stocktake_id: str) -> Stocktake:
    stocktake = ctx.uow.documents.find_stocktake(stocktake_id)
    if stocktake is None:
        raise NotFoundError("stocktake", stocktake_id)
    return stocktake


def record_count(cmd: RecordCount, ctx: Context) -> Stocktake:
    with ctx.uow as uow:
        stocktake = _stocktake(ctx, cmd.stocktake_id)
        for sku, counted in sorted(cmd.counts.items()):
            stocktake.count(sku, counted)
        uow.commit()
    return stocktake


def post_stocktake(cmd: PostStocktake, ctx: Context) -> list[Move]:
    """Post the variances.  Where a loss leaves less on the shelf than is
    reserved, the youngest, lowest-priority orders give their stock back
    and wait again."""
    with ctx.uow as uow:
        stocktake = _stocktake(ctx, cmd.stocktake_id)
        wh = stocktake.warehouse
        book = _prefetch(uow, (sku for sku, _ in stocktake.snapshot), (wh,), ())
        uow.stock.prefetch_balances(
            key for v in stocktake.variances() for key in ((v.sku, v.location), (v.sku, ADJUSTMENT))
        )
        at = ctx.now()
        moves = stocktake.post(book, at=at, actor=cmd.actor)
        gaps = shortfalls(book, {(sku, stocktake.warehouse) for sku, _ in stocktake.snapshot})
        bump_reservations(uow, gaps, at=at, actor=cmd.actor, note=f"stocktake {stocktake.id}")
        uow.commit()
    return moves


def close_period(cmd: ClosePeriod, ctx: Context) -> None:
    """Refuse moves dated before ``cmd.until`` from now on.

    Raises:
        ValidationError: ``until`` is naive, later than now (a period in the
            future would freeze every stock move until then), or earlier
            than the period already closed.
    """
    now = ctx.now()
    until = require_utc("until", cmd.until)
    if until > now:
        raise ValidationError("until", until, f"is in the future (now is {now.isoformat()})")
    with ctx.uow as uow:
        uow.stock.book().close_period(until)
        uow.commit()


#: Inventory's command handlers.
HANDLERS = HandlerMap(
    {
        AddWarehouse: add_warehouse,
        ReceiveStock: receive_stock,
        AdjustStock: adjust_stock,
        MarkDamaged: move_damaged,
        RepairDamaged: move_damaged,
        ScrapDamaged: move_damaged,
        SendTransfer: send_transfer,
        ReceiveTransfer: receive_transfer,
        StartStocktake: start_stocktake,
        RecordCount: record_count,
        PostStocktake: post_stocktake,
        ClosePeriod: close_period,
    }
)
