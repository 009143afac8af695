"""Shared set-up of the scenario tests: the backends a story runs on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import sqlsupport


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store's URL, once per backend: in memory, a SQLite file, and a
    PostgreSQL database made for the test (dropped afterwards)."""
    if request.param == "memory":
        yield "memory://"
    elif request.param == "sqlite":
        yield sqlsupport.sqlite_url(tmp_path)
    else:
        admin = sqlsupport.require_postgres_admin_url()
        made = sqlsupport.fresh_postgres_url(admin)
        yield made
        sqlsupport.drop_postgres_database(made, admin)
