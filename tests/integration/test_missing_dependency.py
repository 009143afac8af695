"""A backend whose optional packages are not installed says which extra to
install (``pip install 'ecerp[sql]'`` / ``'ecerp[postgres]'``), as a typed
``MissingDependencyError``, never a bare ``ImportError``.

Each case runs in a fresh interpreter in which importing the package fails,
as it would where it is not installed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BLOCK = """
import sys
from importlib.abc import MetaPathFinder

class NotInstalled(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == {package!r} or name.startswith({package!r} + "."):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

for loaded in [m for m in sys.modules if m == {package!r} or m.startswith({package!r} + ".")]:
    del sys.modules[loaded]
sys.meta_path.insert(0, NotInstalled())
"""


def run_without(package: str, code: str) -> subprocess.CompletedProcess[str]:
    script = BLOCK.format(package=package) + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("package", "url", "extra"),
    [
        ("sqlalchemy", "sqlite:///{dir}/shop.db", "sql"),
        ("alembic", "sqlite:///{dir}/shop.db", "sql"),
        ("orjson", "sqlite:///{dir}/shop.db", "sql"),
        ("sqlalchemy", "postgresql+psycopg://shop@127.0.0.1:1/books", "sql"),
        ("psycopg", "postgresql+psycopg://shop@127.0.0.1:1/books", "postgres"),
        ("psycopg", "postgresql://shop@127.0.0.1:1/books", "postgres"),
    ],
)
def test_a_missing_package_names_the_extra_to_install(
    tmp_path: Path, package: str, url: str, extra: str
) -> None:
    target = url.format(dir=tmp_path)
    result = run_without(
        package,
        f"""
        from ecerp import open_erp
        from ecerp.bootstrap import upgrade_database
        from ecerp.domain.shared.errors import MissingDependencyError
        for attempt in (lambda: open_erp({target!r}), lambda: upgrade_database({target!r})):
            try:
                attempt()
            except MissingDependencyError as err:
                print(err.package, err.extra)
                print(err)
        """,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{package} {extra}"
    assert f"pip install 'ecerp[{extra}]'" in lines[1]
    assert lines[2:] == lines[:2]
    assert not (tmp_path / "shop.db").exists()


def test_the_in_memory_backend_needs_no_optional_package() -> None:
    result = run_without(
        "sqlalchemy",
        """
        from ecerp import open_erp, Sku
        with open_erp("memory://") as erp:
            erp.catalog.add(Sku("MUG"))
        print("ok")
        """,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_the_command_line_names_the_extra_in_one_line(tmp_path: Path) -> None:
    result = run_without(
        "alembic",
        f"""
        import sys
        from ecerp.__main__ import main
        sys.exit(main(["db", "upgrade", "sqlite:///{tmp_path}/shop.db"]))
        """,
    )
    assert result.returncode == 2
    expected = (
        "ecerp: the SQLite backend needs the Python package 'alembic', which is not "
        "installed: pip install 'ecerp[sql]'"
    )
    assert result.stderr.strip().splitlines() == [expected]
