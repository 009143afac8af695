"""The import-linter contracts hold on the tree, and catch what they are for.

A copy of ``src/`` and ``pyproject.toml`` goes to a temporary directory; one
import is injected there (an upward import between contexts, an import
between siblings, an unplaced context, a driver outside its adapter) and
``lint-imports`` must fail naming the broken contract.  The clean copy passes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

DOMAIN_ORDER = "Domain contexts: higher may import lower, siblings not; every context placed"
EVERY_LAYER = "Contexts keep the same order in every layer"
DRIVERS = "Database drivers only in the SQL adapter"

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter not installed")


@pytest.fixture(scope="module")
def clean_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("clean")
    shutil.copytree(
        ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


@pytest.fixture
def tree(clean_tree: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "tree"
    shutil.copytree(clean_tree, copy)
    return copy


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def inject(tree: Path, module: str, line: str) -> None:
    path = tree / "src" / "ecerp" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def broken(result: subprocess.CompletedProcess[str]) -> list[str]:
    # "<name> BROKEN", or "<name> BROKEN (3 ignored imports)" for a contract with ignores
    return [
        m.group(1)
        for line in result.stdout.splitlines()
        if (m := re.fullmatch(r"(.+) BROKEN(?: \(\d+ ignored imports?\))?", line))
    ]


def test_the_clean_tree_keeps_every_contract(clean_tree: Path) -> None:
    result = lint_imports(clean_tree)

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{DOMAIN_ORDER} KEPT" in result.stdout
    assert f"{EVERY_LAYER} KEPT" in result.stdout


def test_a_lower_context_importing_a_higher_one_breaks_the_context_order(tree: Path) -> None:
    inject(tree, "domain/shared/__init__.py", "import ecerp.domain.orders.order  # injected")

    result = lint_imports(tree)

    assert result.returncode != 0
    assert DOMAIN_ORDER in broken(result)
    assert EVERY_LAYER in broken(result)
    assert "ecerp.domain.shared is not allowed to import ecerp.domain.orders" in result.stdout


def test_a_context_importing_its_sibling_breaks_the_context_order(tree: Path) -> None:
    inject(
        tree, "domain/catalog/__init__.py", "import ecerp.domain.inventory.locations  # injected"
    )

    result = lint_imports(tree)

    assert result.returncode != 0
    assert DOMAIN_ORDER in broken(result)
    assert EVERY_LAYER in broken(result)
    assert "ecerp.domain.catalog is not allowed to import ecerp.domain.inventory" in result.stdout


def test_a_new_domain_context_must_be_given_its_place(tree: Path) -> None:
    package = tree / "src" / "ecerp" / "domain" / "loyalty"
    package.mkdir()
    (package / "__init__.py").write_text('"""Points."""\n', encoding="utf-8")

    result = lint_imports(tree)

    assert result.returncode != 0
    assert broken(result) == [DOMAIN_ORDER]
    assert "ecerp.domain.loyalty" in result.stdout


def test_a_driver_imported_outside_the_sql_adapter_breaks_the_driver_contract(tree: Path) -> None:
    inject(tree, "usecases/__init__.py", "import sqlite3  # injected")

    result = lint_imports(tree)

    assert result.returncode != 0
    assert broken(result) == [DRIVERS]
