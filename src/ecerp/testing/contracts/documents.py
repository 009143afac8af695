"""Contract: the document repository keeps stocktakes and transfers through their workflows.

Part of :class:`~ecerp.testing.contracts.BackendContract`.
"""

from __future__ import annotations

import pytest

from ecerp.domain.inventory.stocktakes import Stocktake, StocktakeStatus
from ecerp.domain.inventory.transfers import Transfer, TransferStatus
from ecerp.domain.shared.errors import DuplicateError
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.testing.contracts._support import (
    CST,
    ENDINGS,
    HOUR,
    T0,
    UowFactory,
    _BackendFixtures,
    assert_aware_utc,
    commit_work,
    dump,
    end_without_commit,
    seed,
    value_state,
)


def _stock_for_documents(uow: UnitOfWork) -> None:
    seed(uow)
    book = uow.stock.book()
    book.receive("MUG-RED", "SH", 10, at=T0, actor="ann")
    book.receive("LID", "SH", 6, at=T0, actor="ann")
    book.receive("LID", "SH", 2, at=T0, actor="ann", damaged=True)


class DocumentRepositoryContract(_BackendFixtures):
    """Stocktakes and transfers round-trip with everything they hold."""

    def test_a_stocktake_comes_back_with_its_snapshot_counts_and_status(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, _stock_for_documents)

        def start(uow: UnitOfWork) -> object:
            book = uow.stock.book()
            stocktake = Stocktake.start(
                "ST-1", "SH", ["MUG-RED", "LID", "MUG-BLUE"], book, at=T0.astimezone(CST)
            )
            stocktake.count("MUG-RED", 9)
            stocktake.count("MUG-BLUE", 0)
            uow.documents.add_stocktake(stocktake)
            return value_state(stocktake)

        stored = commit_work(uow_factory, start)

        with uow_factory() as uow:
            stocktake = uow.documents.find_stocktake("ST-1")
            assert stocktake is not None
            assert value_state(stocktake) == stored
            assert stocktake.snapshot == {
                ("LID", "SH/stock"): 6,
                ("MUG-BLUE", "SH/stock"): 0,
                ("MUG-RED", "SH/stock"): 10,
            }
            assert stocktake.status is StocktakeStatus.COUNTING
            assert_aware_utc(stocktake.started_at)
            stocktake.count("LID", 7)
            stocktake.post(uow.stock.book(), at=T0 + HOUR, actor="ann")
            posted = value_state(stocktake)
            uow.commit()

        with uow_factory() as uow:
            stocktake = uow.documents.find_stocktake("ST-1")
            assert stocktake is not None
            assert value_state(stocktake) == posted
            assert stocktake.status is StocktakeStatus.POSTED
            book = uow.stock.book()
            assert (book.on_hand("MUG-RED", "SH"), book.on_hand("LID", "SH")) == (9, 7)

    def test_a_transfer_comes_back_with_its_lines_receipts_and_status(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, _stock_for_documents)

        def send(uow: UnitOfWork) -> object:
            transfer = Transfer("TR-1", "SH", "SZ", {"MUG-RED": 4, "LID": 2})
            uow.documents.add_transfer(transfer)
            transfer.dispatch(uow.stock.book(), at=T0, actor="ann")
            return value_state(transfer)

        sent = commit_work(uow_factory, send)

        with uow_factory() as uow:
            transfer = uow.documents.find_transfer("TR-1")
            assert transfer is not None
            assert value_state(transfer) == sent
            assert transfer.status is TransferStatus.IN_TRANSIT
            transfer.receive(uow.stock.book(), {"MUG-RED": 3}, at=T0 + HOUR, actor="sz")
            partial = value_state(transfer)
            uow.commit()

        with uow_factory() as uow:
            transfer = uow.documents.find_transfer("TR-1")
            assert transfer is not None
            assert value_state(transfer) == partial
            assert transfer.received == {"MUG-RED": 3}
            assert transfer.outstanding() == {"LID": 2, "MUG-RED": 1}
            assert transfer.status is TransferStatus.PARTIAL
            assert uow.stock.book().position("MUG-RED", "SZ").in_transit == 1

    def test_transfers_are_listed_by_id_with_those_of_this_unit(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, _stock_for_documents)
        commit_work(
            uow_factory,
            lambda uow: [
                uow.documents.add_transfer(Transfer(tid, "SH", "SZ", {"LID": 1}))
                for tid in ("TR-3", "TR-1")
            ],
        )

        with uow_factory() as uow:
            uow.documents.add_transfer(Transfer("TR-2", "SZ", "SH", {"MUG-RED": 1}))
            assert [t.id for t in uow.documents.transfers()] == ["TR-1", "TR-2", "TR-3"]

        with uow_factory() as uow:
            assert [t.id for t in uow.documents.transfers()] == ["TR-1", "TR-3"]
            assert all(t.status is TransferStatus.DRAFT for t in uow.documents.transfers())

    def test_document_ids_are_unique(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, _stock_for_documents)

        def documents(uow: UnitOfWork) -> None:
            book = uow.stock.book()
            uow.documents.add_stocktake(Stocktake.start("ST-1", "SH", ["LID"], book, at=T0))
            uow.documents.add_transfer(Transfer("TR-1", "SH", "SZ", {"LID": 1}))

        commit_work(uow_factory, documents)

        with uow_factory() as uow:
            book = uow.stock.book()
            with pytest.raises(DuplicateError) as st:
                uow.documents.add_stocktake(Stocktake.start("ST-1", "SZ", ["LID"], book, at=T0))
            assert (st.value.kind, st.value.key) == ("stocktake", "ST-1")
            with pytest.raises(DuplicateError) as tr:
                uow.documents.add_transfer(Transfer("TR-1", "SZ", "SH", {"LID": 1}))
            assert (tr.value.kind, tr.value.key) == ("transfer", "TR-1")
            uow.documents.add_transfer(Transfer("TR-2", "SH", "SZ", {"LID": 1}))
            with pytest.raises(DuplicateError):
                uow.documents.add_transfer(Transfer("TR-2", "SH", "SZ", {"LID": 2}))

    def test_unknown_documents_are_not_found(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            assert uow.documents.find_stocktake("ST-404") is None
            assert uow.documents.find_transfer("TR-404") is None
            assert list(uow.documents.transfers()) == []

    @pytest.mark.parametrize("how", ENDINGS)
    def test_a_document_changed_in_an_abandoned_unit_is_unchanged_when_reloaded(
        self, uow_factory: UowFactory, how: str
    ) -> None:
        commit_work(uow_factory, _stock_for_documents)

        def documents(uow: UnitOfWork) -> None:
            book = uow.stock.book()
            uow.documents.add_stocktake(Stocktake.start("ST-1", "SH", ["LID"], book, at=T0))
            transfer = Transfer("TR-1", "SH", "SZ", {"LID": 2})
            uow.documents.add_transfer(transfer)
            transfer.dispatch(book, at=T0, actor="ann")

        commit_work(uow_factory, documents)
        before = dump(uow_factory, stocktakes=["ST-1"])

        def meddle(uow: UnitOfWork) -> None:
            stocktake = uow.documents.find_stocktake("ST-1")
            transfer = uow.documents.find_transfer("TR-1")
            assert stocktake is not None
            assert transfer is not None
            stocktake.count("LID", 3)
            stocktake.post(uow.stock.book(), at=T0, actor="ann")
            transfer.receive(uow.stock.book(), {"LID": 2}, at=T0, actor="sz")

        end_without_commit(uow_factory, meddle, how)

        assert dump(uow_factory, stocktakes=["ST-1"]) == before

    def test_a_document_kept_after_its_unit_ended_cannot_change_what_is_stored(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, _stock_for_documents)
        with uow_factory() as uow:
            transfer = Transfer("TR-1", "SH", "SZ", {"LID": 2})
            uow.documents.add_transfer(transfer)
            stocktake = Stocktake.start("ST-1", "SH", ["LID"], uow.stock.book(), at=T0)
            uow.documents.add_stocktake(stocktake)
            uow.commit()
        stored = dump(uow_factory, stocktakes=["ST-1"])

        transfer.lines["MUG-RED"] = 99
        stocktake.count("LID", 0)

        assert dump(uow_factory, stocktakes=["ST-1"]) == stored
