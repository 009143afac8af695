"""Schema migrations (Alembic, shipped in the package) as plain functions.

>>> upgrade("sqlite:///shop.db")          # doctest: +SKIP
>>> downgrade("sqlite:///shop.db", "base")  # doctest: +SKIP

The command line does the same: ``python -m ecerp db upgrade URL``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from ecerp.adapters.sql.database import (
    Database,
    SchemaError,
    current_revision,
    make_engine,
    translate_errors,
)

MIGRATIONS = Path(__file__).with_name("migrations")


def _config(db: Database | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if db is not None:
        cfg.attributes["engine"] = db.engine
    return cfg


def known_revisions() -> list[str]:
    """Every revision this version ships, oldest first."""
    script = ScriptDirectory.from_config(_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the ecerp schema of ``url`` to ``revision``.

    Raises:
        SchemaError: the database has a schema newer than this ecerp, or
            ``revision`` is not one it ships.
        UnsupportedUrlError, DatabaseUnreachableError, AuthenticationError.
    """
    _migrate(url, revision, command.upgrade)


def downgrade(url: str, revision: str) -> None:
    """Go back to ``revision`` (``"base"`` drops everything ecerp made).

    Raises:
        SchemaError: as for :func:`upgrade`.
    """
    _migrate(url, revision, command.downgrade)


def _migrate(url: str, revision: str, step: Callable[[Config, str], None]) -> None:
    db = make_engine(url)
    known = known_revisions()
    try:
        found = current_revision(db)
        if found is not None and found not in known:
            raise SchemaError(
                f"{url}: schema {found} is newer than this ecerp knows ({known[-1]}): upgrade ecerp",
                found=found,
                expected=known[-1],
            )
        if revision not in (*known, "head", "base"):
            raise SchemaError(
                f"no schema revision {revision!r}: this ecerp ships {', '.join(known)}",
                found=found,
                expected=known[-1],
            )
        with translate_errors(url):
            step(_config(db), revision)
    finally:
        db.dispose()
