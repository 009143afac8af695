"""The in-memory settings repository: versions kept as the values they are
(settings are immutable), appended at commit."""

from __future__ import annotations

from collections.abc import Sequence

from ecerp.adapters.memory.store import MemoryStore
from ecerp.domain.settings import SettingsVersion
from ecerp.domain.shared.errors import ConcurrencyError, ValidationError
from ecerp.ports.settings import SettingsRepository


class MemorySettingsRepository(SettingsRepository):
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._pending: list[SettingsVersion] = []

    def version(self) -> int:
        if self._pending:
            return self._pending[-1].version
        return self._store.settings[-1].version if self._store.settings else 0

    def current(self) -> SettingsVersion:
        if self._pending:
            return self._pending[-1]
        return self._store.settings[-1] if self._store.settings else SettingsVersion.initial()

    def history(self) -> Sequence[SettingsVersion]:
        return [*self._store.settings, *self._pending]

    def add(self, version: SettingsVersion) -> None:
        if version.version != self.version() + 1:
            raise ValidationError(
                "version", version.version, f"must follow the latest version {self.version()}"
            )
        self._pending.append(version)

    def write(self) -> None:
        """Append the pending versions (the store's lock is held).

        Raises:
            ConcurrencyError: another unit stored a version since this one
                read the latest (nothing is written).
        """
        stored = self._store.settings
        if self._pending and (stored[-1].version if stored else 0) != self._pending[0].version - 1:
            raise ConcurrencyError("another unit of work changed the settings first; retry")
        stored.extend(self._pending)
        self._pending = []
