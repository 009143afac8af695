"""The settings repository port: a store's settings, versioned.

Settings (:class:`~ecerp.domain.settings.Settings`) are kept as a sequence of
versions numbered 1, 2, ...; a version is never changed once stored.  What a
unit of work reads is what was committed when it read it, like the rest of
the books::

    with uow:
        latest = uow.settings.current()              # version 0: nothing set yet
        new = latest.settings.replace(rules=rules)
        uow.settings.add(SettingsVersion(latest.version + 1, new, "ann", now, ("rules",)))
        uow.commit()

:meth:`SettingsRepository.version` is cheap (one indexed lookup): processes
call it at the start of every command and reload only when it moved.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

from ecerp.domain.settings import SettingsVersion


class SettingsRepository(abc.ABC):
    @abc.abstractmethod
    def version(self) -> int:
        """The number of the latest committed version (0: none stored)."""

    @abc.abstractmethod
    def current(self) -> SettingsVersion:
        """The latest committed version (:meth:`SettingsVersion.initial
        <ecerp.domain.settings.SettingsVersion.initial>` when none is stored).

        Raises:
            BackendError: the stored document cannot be read.
        """

    @abc.abstractmethod
    def history(self) -> Sequence[SettingsVersion]:
        """Every stored version, oldest first."""

    @abc.abstractmethod
    def add(self, version: SettingsVersion) -> None:
        """Store ``version`` at commit; its number must follow the latest
        one this unit read.

        Raises:
            ValidationError: the number does not follow the latest version.
            ConcurrencyError: (at commit) another unit stored that number
                first; the bus runs the command again.
        """
