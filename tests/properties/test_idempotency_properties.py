"""Retries with idempotency keys never book twice.

Random sequences of keyed calls (receipts and losses, keys drawn from a few,
so keys repeat: a retry when the request is the same, a misuse when it is
not) on memory and SQLite.  The independent model: the first request under
each key is done, once (unless it failed: then it records nothing and the
key stays free); a later identical request gets the first result back; a
different request under a used key is refused.  The ledger must hold exactly
one move per key that was done, and its balances must check.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sqlsupport
from ecerp import ERP, Sku, Warehouse
from ecerp.domain.inventory.errors import InsufficientStockError
from ecerp.domain.inventory.moves import Move
from ecerp.domain.shared.errors import IdempotencyConflictError
from sqlsupport import migrated_template

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

Call = tuple[str, str, int]  # key, kind ("receive" or "loss"), qty

calls = st.lists(
    st.tuples(st.sampled_from("abcd"), st.sampled_from(("receive", "loss")), st.integers(1, 4)),
    max_size=25,
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_template(tmp_path_factory.mktemp("template"))


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=calls)
def test_keyed_calls_are_done_once_per_key_whatever_the_retries(
    backend: str, template: Path, history: list[Call]
) -> None:
    done: dict[str, tuple[Call, Move]] = {}  # the model: key -> first request, its result
    with sqlsupport.fresh_erp(backend, template, T0) as erp:
        erp.catalog.add(Sku("MUG"))
        erp.inventory.add_warehouse(Warehouse("SH"))
        on_hand = 0
        for key, kind, qty in history:
            call = (key, kind, qty)
            first = done.get(key)
            if first is not None and first[0] != call:
                with pytest.raises(IdempotencyConflictError):
                    _send(erp, call)
                continue
            if first is None and kind == "loss" and qty > on_hand:
                with pytest.raises(InsufficientStockError):
                    _send(erp, call)
                continue
            result = _send(erp, call)
            if first is not None:
                assert result == first[1], "a retry gets the first result"
                continue
            done[key] = (call, result)
            on_hand += qty if kind == "receive" else -qty

        assert sorted(erp.inventory.moves(sku="MUG"), key=lambda m: m.seq) == sorted(
            (move for _, move in done.values()), key=lambda m: m.seq
        )
        assert erp.inventory.position("MUG", "SH").on_hand == on_hand
        erp.check()


def _send(erp: ERP, call: Call) -> Move:
    key, kind, qty = call
    if kind == "receive":
        return erp.inventory.receive("MUG", "SH", qty, idempotency_key=key)
    return erp.inventory.adjust("MUG", "SH", -qty, note="loss", idempotency_key=key)
