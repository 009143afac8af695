"""Schema migrations (Alembic, shipped in the package) as plain functions.

>>> upgrade("sqlite:///shop.db")          # doctest: +SKIP
>>> downgrade("sqlite:///shop.db", "base")  # doctest: +SKIP

The command line does the same: ``python -m ecerp db upgrade URL``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from ecerp.adapters.sql.database import Database, make_engine, translate_errors

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
        UnsupportedUrlError, DatabaseUnreachableError, AuthenticationError.
    """
    db = make_engine(url)
    try:
        with translate_errors(url):
            command.upgrade(_config(db), revision)
    finally:
        db.dispose()


def downgrade(url: str, revision: str) -> None:
    """Go back to ``revision`` (``"base"`` drops everything ecerp made)."""
    db = make_engine(url)
    try:
        with translate_errors(url):
            command.downgrade(_config(db), revision)
    finally:
        db.dispose()
