"""The SQL settings repository: one ``settings_versions`` row per version,
the settings as a JSON document (:mod:`ecerp.adapters.formats.settings`).

Two processes that store the same version number collide on the primary
key at commit; the error becomes a :class:`ConcurrencyError` and the bus
runs the command again on the newer version.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, insert, select

from ecerp.adapters.formats.settings import dump_settings, load_settings
from ecerp.adapters.sql import schema as t
from ecerp.domain.settings import FIELDS, SettingsVersion
from ecerp.domain.shared.errors import EcerpError, ValidationError
from ecerp.ports.settings import SettingsRepository


class StoredSettingsError(ValidationError):
    """A stored settings version cannot be read (written by a newer ecerp,
    or edited by hand): names the version."""


class SqlSettingsRepository(SettingsRepository):
    def __init__(self, conn: Connection, versions: Callable[[], tuple[Any, int]]) -> None:
        self._conn = conn
        self._versions = versions
        self._pending: list[SettingsVersion] = []
        self._version: int | None = None

    def version(self) -> int:
        if self._pending:
            return self._pending[-1].version
        if self._version is None:
            # read with the catalog's version, in the same round trip
            self._version = self._versions()[1]
        return self._version

    def _load(self, row: Any) -> SettingsVersion:
        try:
            changed = json.loads(row.changed)
            if not isinstance(changed, list) or not set(changed) <= set(FIELDS):
                raise ValidationError("changed", changed, "must list setting names")
            return SettingsVersion(
                row.version, load_settings(row.document), row.actor, row.at, tuple(changed)
            )
        except (EcerpError, ValueError) as err:
            raise StoredSettingsError(
                f"settings version {row.version}", row.document, str(err)
            ) from None

    def current(self) -> SettingsVersion:
        if self._pending:
            return self._pending[-1]
        table = t.settings_versions
        row = self._conn.execute(select(table).order_by(table.c.version.desc()).limit(1)).first()
        if row is None:
            self._version = 0
            return SettingsVersion.initial()
        self._version = row.version
        return self._load(row)

    def history(self) -> Sequence[SettingsVersion]:
        table = t.settings_versions
        rows = self._conn.execute(select(table).order_by(table.c.version)).all()
        return [*map(self._load, rows), *self._pending]

    def add(self, version: SettingsVersion) -> None:
        latest = self.version()
        if version.version != latest + 1:
            raise ValidationError(
                "version", version.version, f"must follow the latest version {latest}"
            )
        self._pending.append(version)

    def write(self, conn: Connection) -> None:
        if not self._pending:
            return
        conn.execute(
            insert(t.settings_versions),
            [
                {
                    "version": v.version,
                    "at": v.at,
                    "actor": v.actor,
                    "changed": json.dumps(list(v.changed)),
                    "document": dump_settings(v.settings),
                }
                for v in self._pending
            ],
        )
        self._pending = []
