"""The examples run and the docs' code is true.

Every ``examples/*.py`` runs as its own process, the way a reader runs it, and
must exit 0 within its time budget.  Every ``docs/*.md`` page's ```python
blocks run in order in one namespace per page, so a page may build on its
earlier blocks but not on another page.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecerp.domain.orders.status import TRANSITIONS, OrderStatus

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
DOCS = sorted((ROOT / "docs").glob("*.md"))

#: Seconds each example may take (the demo is the big one).
BUDGET = {"sellers_day.py": 5.0}
DEFAULT_BUDGET = 2.0

PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```[ \t]*$", re.S | re.M)


def python_blocks(page: Path) -> list[tuple[int, str]]:
    """``(first line number, code)`` of each ```python block of ``page``."""
    text = page.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in PYTHON_BLOCK.finditer(text)]


def test_there_are_examples_and_docs_to_check() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"sellers_day.py", "aliases_and_bundles.py", "what_if_reorder.py"} <= names
    pages = {p.name for p in DOCS}
    assert {"index.md", "architecture.md", "concepts.md"} <= pages
    for page in ("architecture.md", "concepts.md"):
        assert python_blocks(ROOT / "docs" / page), f"{page} shows runnable code"


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_the_example_runs_to_the_end(script: Path) -> None:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    took = time.perf_counter() - started

    assert done.returncode == 0, f"{script.name} failed:\n{done.stdout}\n{done.stderr}"
    assert done.stdout.strip(), f"{script.name} printed nothing"
    # The budget is for a reader's machine; allow slack for a loaded CI box.
    budget = BUDGET.get(script.name, DEFAULT_BUDGET)
    assert took < 3 * budget, f"{script.name} took {took:.1f}s (budget {budget}s)"


def test_the_demo_takes_the_backend_url_from_its_first_argument() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "sellers_day.py"), "nosuch://x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode != 0
    assert "UnsupportedUrlError" in done.stderr


def test_the_demo_tells_the_same_story_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy")
    script = str(ROOT / "examples" / "sellers_day.py")
    url = f"sqlite:///{tmp_path / 'day.db'}"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, script, *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    in_memory, on_sqlite = run(), run(url)

    assert on_sqlite.returncode == 0, on_sqlite.stderr
    assert on_sqlite.stdout == in_memory.stdout
    again = run(url)
    assert again.returncode == 1, "a database that already holds a shop is refused"
    assert "already holds a shop" in again.stdout


@pytest.mark.parametrize("page", DOCS, ids=[p.name for p in DOCS])
def test_the_code_on_the_page_runs_in_order(page: Path) -> None:
    namespace: dict[str, object] = {"__name__": f"docs.{page.stem}"}
    for line, code in python_blocks(page):
        # Pad with blank lines so tracebacks point at the line in the page.
        exec(compile("\n" * (line - 1) + code, str(page), "exec"), namespace)


def test_the_transitions_table_in_the_concepts_page_matches_the_state_machine() -> None:
    text = (ROOT / "docs" / "concepts.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \|[^|]*\| (.*) \|$", text, re.M)
    table = {
        OrderStatus(status): {OrderStatus(to) for to in re.findall(r"`(\w+)`", targets)}
        for status, targets in rows
    }

    assert table == {status: set(targets) for status, targets in TRANSITIONS.items()}
