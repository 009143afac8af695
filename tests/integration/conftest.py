"""Fixtures for the SQL integration tests (see ``tests/sqlsupport.py``).

* ``sqlite_url``: a fresh SQLite file with the schema at head.
* ``postgres_url``: a fresh PostgreSQL database with the schema at head,
  dropped after the test; skipped without ``ECERP_TEST_POSTGRES_URL``
  (failed when ``CI=true``).
* ``backend_url``: each of the two, by parametrization.
* ``empty_backend_url``: the same two, without any schema yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import sqlsupport

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture
def postgres_admin_url() -> str:
    return sqlsupport.require_postgres_admin_url()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return sqlsupport.sqlite_url(tmp_path)


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    url = sqlsupport.fresh_postgres_url(postgres_admin_url)
    yield url
    sqlsupport.drop_postgres_database(url, postgres_admin_url)


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def empty_sqlite_url(tmp_path: Path) -> str:
    return sqlsupport.sqlite_url(tmp_path, upgrade=False)


@pytest.fixture
def empty_postgres_url(postgres_admin_url: str) -> Iterator[str]:
    url = sqlsupport.create_postgres_database(postgres_admin_url)
    yield url
    sqlsupport.drop_postgres_database(url, postgres_admin_url)


@pytest.fixture(params=BACKENDS)
def empty_backend_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"empty_{request.param}_url")
    return url
