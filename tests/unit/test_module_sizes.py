"""No module in ``src/`` grows past about 600 lines (migrations aside).

A module that long holds several concepts; split it along them (LAYOUT.md).
The modules still over the limit today are named below with their size when
the rule came in: each may only shrink, and leaves the list once it is under
the limit (the test says so), until the list is empty.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
LIMIT = 600

#: Modules over the limit today (path under src/ -> its line count then).
#: Shrinking only: lower a number when a module shrinks, delete the entry once
#: the module is under the limit.
ALLOWED_OVER: dict[str, int] = {}


def _is_migration(relative: str) -> bool:
    return "/migrations/" in f"/{relative}"


def module_sizes(root: Path) -> dict[str, int]:
    """Line count of every Python module under ``root`` (migrations aside)."""
    sizes: dict[str, int] = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if not _is_migration(relative):
            sizes[relative] = len(path.read_text(encoding="utf-8").splitlines())
    return sizes


def oversized(sizes: dict[str, int], allowed: dict[str, int], limit: int = LIMIT) -> list[str]:
    """What breaks the rule: modules over ``limit`` that are not allowed, allowed
    ones that grew, and allowed ones that are gone or back under the limit (the
    list must shrink with them)."""
    problems = [
        f"{name}: {size} lines (limit {limit}); split it along its concepts"
        for name, size in sizes.items()
        if size > limit and name not in allowed
    ]
    for name, then in allowed.items():
        size = sizes.get(name)
        if size is None:
            problems.append(f"{name}: gone; delete it from ALLOWED_OVER")
        elif size <= limit:
            problems.append(f"{name}: {size} lines, under the limit; delete it from ALLOWED_OVER")
        elif size > then:
            problems.append(f"{name}: grew from {then} to {size} lines; it may only shrink")
        elif size < then:
            problems.append(f"{name}: shrank from {then} to {size} lines; lower its entry")
    return sorted(problems)


def test_no_module_in_src_is_over_the_limit_except_the_listed_ones_which_only_shrink() -> None:
    assert oversized(module_sizes(SRC), ALLOWED_OVER) == []


def test_the_allow_list_names_only_modules_over_the_limit() -> None:
    assert all(size > LIMIT for size in ALLOWED_OVER.values())


@pytest.mark.parametrize(
    ("sizes", "allowed", "expected"),
    [
        (
            {"ecerp/a.py": 601},
            {},
            ["ecerp/a.py: 601 lines (limit 600); split it along its concepts"],
        ),
        ({"ecerp/a.py": 600}, {}, []),
        ({"ecerp/a.py": 700}, {"ecerp/a.py": 700}, []),
        (
            {"ecerp/a.py": 701},
            {"ecerp/a.py": 700},
            ["ecerp/a.py: grew from 700 to 701 lines; it may only shrink"],
        ),
        (
            {"ecerp/a.py": 650},
            {"ecerp/a.py": 700},
            ["ecerp/a.py: shrank from 700 to 650 lines; lower its entry"],
        ),
        (
            {"ecerp/a.py": 100},
            {"ecerp/a.py": 700},
            ["ecerp/a.py: 100 lines, under the limit; delete it from ALLOWED_OVER"],
        ),
        ({}, {"ecerp/a.py": 700}, ["ecerp/a.py: gone; delete it from ALLOWED_OVER"]),
    ],
)
def test_the_rule_names_each_module_that_breaks_it(
    sizes: dict[str, int], allowed: dict[str, int], expected: list[str]
) -> None:
    assert oversized(sizes, allowed) == expected


def test_migrations_are_left_out(tmp_path: Path) -> None:
    revisions = tmp_path / "ecerp" / "adapters" / "sql" / "migrations" / "versions"
    revisions.mkdir(parents=True)
    (revisions / "0001_big.py").write_text("x = 1\n" * 700, encoding="utf-8")
    (tmp_path / "ecerp" / "small.py").write_text("x = 1\n", encoding="utf-8")

    assert module_sizes(tmp_path) == {"ecerp/small.py": 1}
