"""The facade is one module per context, each teaching itself with a worked
example that runs; the names it had before the split still import."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import ecerp.api

MODULES = [
    "ecerp.api",
    *sorted(f"ecerp.api.{info.name}" for info in pkgutil.iter_modules(ecerp.api.__path__)),
]
#: Modules whose concept is plain enough to go without a worked example.
NO_EXAMPLE = frozenset({"ecerp.api._base"})


@pytest.mark.parametrize("name", MODULES)
def test_every_facade_module_explains_itself_with_an_example_that_runs(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__doc__, f"{name} has no module docstring"
    if name in NO_EXAMPLE:
        return
    assert ">>>" in module.__doc__, f"{name} has no worked example"
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(module, name):
        runner.run(test)
    assert runner.failures == 0, f"{name}: {runner.failures} example(s) failed"
    assert runner.tries > 0


def test_each_context_has_its_section_on_the_erp() -> None:
    with ecerp.open_erp("memory://") as erp:
        assert type(erp.catalog) is ecerp.api.CatalogAPI
        assert type(erp.inventory) is ecerp.api.InventoryAPI
        assert type(erp.orders) is ecerp.api.OrdersAPI
        assert type(erp.settings) is ecerp.api.SettingsAPI
        assert type(erp.dead_letters) is ecerp.api.DeadLettersAPI


def test_the_names_of_the_flat_facade_still_import() -> None:
    from ecerp.api import ERP, CatalogAPI, DeadLettersAPI, InventoryAPI, OrdersAPI, open_erp
    from ecerp.settings_api import Settings, SettingsAPI, SettingsVersion

    assert open_erp is ecerp.open_erp
    assert ERP is ecerp.ERP
    assert SettingsAPI is ecerp.api.SettingsAPI
    assert Settings is ecerp.Settings
    assert SettingsVersion is ecerp.SettingsVersion
    assert {CatalogAPI, DeadLettersAPI, InventoryAPI, OrdersAPI} <= {
        getattr(ecerp.api, name) for name in ecerp.api.__all__
    }


def test_the_orders_are_counted_by_count_and_by_its_old_name_total() -> None:
    with ecerp.open_erp("memory://") as erp:
        assert erp.orders.count() == erp.orders.total() == 0
