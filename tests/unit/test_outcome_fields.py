"""Outcome details that code acts on are fields; the text stays for people,
and results stored before the field existed read back the same."""

from __future__ import annotations

import json

from ecerp.adapters.sql.idempotency import dump_result, load_result
from ecerp.usecases.results import BatchResult, Outcome, OutcomeKind, merged_detail, merged_into_of


def test_a_merged_outcome_names_its_order_in_a_field_and_in_the_detail() -> None:
    o = Outcome("web/1", OutcomeKind.CREATED, "web/1", merged_into="web/#M-1+2")
    assert (o.merged_into, o.detail) == ("web/#M-1+2", "merged into web/#M-1+2")
    assert Outcome("web/3", OutcomeKind.CREATED, "web/3").merged_into is None
    assert merged_detail("m", "BER") == "merged into m: BER"
    assert merged_detail(None, "BER") == "BER"


def test_a_stored_result_keeps_merged_into() -> None:
    result = BatchResult(
        (
            Outcome("web/1", OutcomeKind.CREATED, "web/1", merged_into="web/m: x"),
            Outcome(
                "web/2",
                OutcomeKind.ALLOCATED,
                "web/m",
                detail=merged_detail("web/m", "BER"),
                merged_into="web/m",
            ),
            Outcome("web/3", OutcomeKind.WAITING, "web/3", detail="MUG"),
        )
    )
    assert load_result(dump_result(result)) == result


def test_a_result_stored_before_merged_into_was_a_field_reads_it_from_the_detail() -> None:
    old = {
        "BatchResult": [
            ["web/1", "created", "web/1", None, "merged into web/#M-1+2"],
            ["web/2", "allocated", "web/m: 1", None, "merged into web/m: 1: BER"],
            ["web/3", "waiting", "web/3", None, "MUG"],
        ]
    }
    loaded = load_result(json.dumps(old))
    assert isinstance(loaded, BatchResult)
    assert [o.merged_into for o in loaded] == ["web/#M-1+2", "web/m: 1", None]
    assert merged_into_of("web/3", "merged into web/x") == "web/x"
