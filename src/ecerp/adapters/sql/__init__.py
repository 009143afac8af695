"""The SQL backends: SQLite (embedded default) and PostgreSQL, on SQLAlchemy
Core with Alembic migrations shipped in the package."""

from ecerp.adapters.sql.database import Database, check_schema, make_engine, open_schema
from ecerp.adapters.sql.inventory import read_state
from ecerp.adapters.sql.migrations_api import downgrade, upgrade
from ecerp.adapters.sql.unit_of_work import SqlUnitOfWork

__all__ = [
    "Database",
    "SqlUnitOfWork",
    "check_schema",
    "downgrade",
    "make_engine",
    "open_schema",
    "read_state",
    "upgrade",
]
