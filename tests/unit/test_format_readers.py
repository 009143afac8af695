"""Rule sets and rate tables are read by the formats adapter; the domain's
``from_dict``/``from_json``/``from_toml`` entry points delegate to the
reader the composition root installs, with the same values and errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

import ecerp  # noqa: F401  (importing ecerp installs the readers)
from ecerp.adapters.formats import install_readers, rates, rules
from ecerp.domain.carriers import rates as domain_rates
from ecerp.domain.carriers.errors import RateTableError
from ecerp.domain.carriers.rates import RateTable
from ecerp.domain.routing import rules as domain_rules
from ecerp.domain.routing.errors import RuleError
from ecerp.domain.routing.rules import RuleSet

RULES = {
    "rules": [{"name": "de", "conditions": {"countries": ["DE"]}, "actions": {"warehouse": "BER"}}]
}
TABLE: dict[str, Any] = {
    "carrier": "dhl",
    "service": "parcel",
    "currency": "EUR",
    "zones": [{"zone": "home", "country": "DE"}],
    "prices": {"home": {"first_g": 1000, "first": "4.50", "step_g": 500, "step": "1.00"}},
}


def test_the_entry_points_read_what_the_formats_adapter_reads() -> None:
    assert RuleSet.from_dict(RULES) == rules.rules_from_data(RULES)
    assert RuleSet.from_json(json.dumps(RULES)) == rules.rules_from_json(json.dumps(RULES))
    assert RateTable.from_dict(TABLE) == rates.rate_table_from_data(TABLE)
    assert RateTable.from_json(json.dumps(TABLE)) == rates.rate_table_from_json(json.dumps(TABLE))


def test_errors_name_the_rule_or_table_and_the_field_the_same_way_either_way() -> None:
    bad_rules = {"rules": [{"name": "x", "actions": {"warehouse": "BER", "hold": ""}}]}
    with pytest.raises(RuleError) as via_domain:
        RuleSet.from_dict(bad_rules)
    with pytest.raises(RuleError) as via_adapter:
        rules.rules_from_data(bad_rules)
    assert str(via_domain.value) == str(via_adapter.value)
    assert str(via_domain.value) == "rule 'x' (rules[0]): actions.hold: must be a non-empty reason"
    with pytest.raises(RateTableError, match=r"rate table dhl/parcel: prices.home.step: must not"):
        RateTable.from_dict({**TABLE, "prices": {"home": {**TABLE["prices"]["home"], "step": 1.5}}})


def test_without_an_installed_reader_the_entry_points_say_so() -> None:
    saved = (list(domain_rules._READERS), list(domain_rates._READERS))
    domain_rules._READERS.clear()
    domain_rates._READERS.clear()
    try:
        with pytest.raises(RuleError, match="no rule-set reader installed"):
            RuleSet.from_dict(RULES)
        with pytest.raises(RateTableError, match="no rate-table reader installed"):
            RateTable.from_dict(TABLE)
    finally:
        install_readers()
    assert saved == ([rules.READER], [rates.READER])
    assert RuleSet.from_dict(RULES).rules[0].actions.warehouse == "BER"
