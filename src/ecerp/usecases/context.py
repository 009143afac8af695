"""What every handler gets: a fresh unit of work, the clock and the
configuration (read from the store's settings when first asked for)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import attrs

from ecerp.ports.clock import Clock
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.config import Config

#: Reads the configuration to apply in an open unit of work.
ConfigSource = Callable[[UnitOfWork], Config]


@attrs.define
class Context:
    uow: UnitOfWork
    clock: Clock
    _config: Config | ConfigSource = attrs.field(factory=Config, alias="config")

    @property
    def config(self) -> Config:
        """The configuration in force: given, or read (once per context)
        from the unit of work's settings, which must be open by then."""
        if not isinstance(self._config, Config):
            self._config = self._config(self.uow)
        return self._config

    def now(self) -> datetime:
        return self.clock.now()
