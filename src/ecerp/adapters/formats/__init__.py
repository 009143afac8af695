"""Plain-data formats of domain values (JSON and TOML documents), for
adapters that store or send them and for people who write rule sets and
rate tables.

:func:`install_readers` points the domain's ``RuleSet.from_dict``/
``from_json``/``from_toml`` and ``RateTable.from_dict``/``from_json``/
``from_toml`` entry points at the readers here; the composition root
(``ecerp.bootstrap``) calls it, so importing ``ecerp`` is enough.
"""

from __future__ import annotations

from ecerp.adapters.formats import rates, rules
from ecerp.domain.carriers.rates import install_reader as install_rate_table_reader
from ecerp.domain.routing.rules import install_reader as install_rule_set_reader


def install_readers() -> None:
    """Install this package's rule-set and rate-table readers in the domain."""
    install_rule_set_reader(rules.READER)
    install_rate_table_reader(rates.READER)
