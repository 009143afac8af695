"""The domain imports only the standard library, attrs, dateutil and itself.

import-linter forbids a list of packages; this test allows a list, so a new
dependency in the domain fails here even if nobody thought to forbid it.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import ecerp.domain

DOMAIN = Path(ecerp.domain.__file__).parent
ALLOWED_THIRD_PARTY = frozenset({"attrs", "attr", "dateutil"})
MODULES = sorted(DOMAIN.rglob("*.py"))


def imports_in(source: str, package: str) -> list[tuple[int, str]]:
    """``(line, absolute module name)`` of every import in ``source``, a module
    of ``package``: relative imports resolved, and those under
    ``if TYPE_CHECKING:`` or inside functions included."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.append((node.lineno, f"{base}.{node.module}" if node.module else base))
            else:
                found.append((node.lineno, node.module or ""))
    return found


def package_of(path: Path) -> str:
    return "ecerp.domain" + "".join(f".{part}" for part in path.parent.relative_to(DOMAIN).parts)


def is_allowed(module: str) -> bool:
    top = module.split(".")[0]
    return (
        module == "__future__"
        or module == "ecerp.domain"
        or module.startswith("ecerp.domain.")
        or top in sys.stdlib_module_names
        or top in ALLOWED_THIRD_PARTY
    )


def test_the_domain_package_has_modules_to_check() -> None:
    names = {p.relative_to(DOMAIN).as_posix() for p in MODULES}

    assert {
        "shared/money.py",
        "catalog/catalog.py",
        "inventory/book.py",
        "orders/order.py",
        "shared/errors.py",
        "shared/events.py",
    } <= names


@pytest.mark.parametrize("path", MODULES, ids=[p.name for p in MODULES])
def test_a_domain_module_imports_only_the_standard_library_attrs_and_dateutil(path: Path) -> None:
    imports = imports_in(path.read_text(encoding="utf-8"), package_of(path))

    offending = [f"{path.name}:{line} imports {m}" for line, m in imports if not is_allowed(m)]

    assert offending == []


@pytest.mark.parametrize(
    "module",
    [
        "ecerp",
        "ecerp.api",
        "ecerp.adapters.memory",
        "ecerp.ports.stock",
        "ecerp.usecases",
        "ecerp.testing.contracts",
        "ecerp.domainx",
        "sqlalchemy",
        "cattrs",
        "pytest",
        "hypothesis",
    ],
)
def test_the_rule_refuses_the_outer_layers_and_other_packages(module: str) -> None:
    assert not is_allowed(module)


@pytest.mark.parametrize(
    "module",
    [
        "__future__",
        "decimal",
        "collections.abc",
        "attrs",
        "attr",
        "dateutil.tz",
        "ecerp.domain.shared.money",
    ],
)
def test_the_rule_allows_what_the_domain_may_use(module: str) -> None:
    assert is_allowed(module)


def test_every_kind_of_import_statement_is_read() -> None:
    source = (
        "import decimal, sqlalchemy.orm\n"
        "from . import errors\n"
        "from .money import Money\n"
        "from .. import api\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from ecerp.ports.stock import StockRepository\n"
        "def late():\n"
        "    import cattrs\n"
    )

    found = [module for _, module in imports_in(source, "ecerp.domain")]

    assert sorted(found) == sorted(
        [
            "decimal",
            "sqlalchemy.orm",
            "ecerp.domain",
            "ecerp.domain.money",
            "ecerp",
            "typing",
            "ecerp.ports.stock",
            "cattrs",
        ]
    )
    assert [m for m in found if not is_allowed(m)] == [
        "sqlalchemy.orm",
        "ecerp",
        "ecerp.ports.stock",
        "cattrs",
    ]
