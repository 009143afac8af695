"""Settings kept with the data, applied by every process that opens the store.

A store's :class:`~ecerp.domain.settings.Settings` (review policy, blacklist,
routing rules, rate tables) are versioned in the store itself.  Each process
has one :class:`SettingsSource`: at the start of every command it reads the
latest version number (one indexed lookup) and rebuilds the
:class:`~ecerp.usecases.config.Config` the handlers consult only when that
number moved, so a change made by another process applies to this process's
next command.

What cannot be stored comes from the process itself and is added to every
version it applies: payment records, live carrier services, and the code of
review checks the application defines (see
:class:`~ecerp.domain.settings.ExternalCheck`).

Changing settings is a command (:class:`ChangeSettings`): only the fields
given change; a version is stored only when something differs, attributed
to the actor, with the time and the fields that changed.
"""

from __future__ import annotations

import threading

from ecerp.domain.orders.holds import Check, ReviewPolicy
from ecerp.domain.settings import (
    BUILTIN_CHECKS,
    ExternalCheck,
    Settings,
)
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.usecases.config import Config


class SettingsSource:
    """This process's view of the store's settings.

    Args:
        local: what only this process can provide (``payments``,
            ``live_services``); its stored fields are ignored.
    """

    def __init__(self, local: Config | None = None) -> None:
        self.local = local or Config()
        self._checks: dict[str, Check] = {}
        self._cached: tuple[int, Config] | None = None
        self._lock = threading.Lock()

    def provide(self, review: ReviewPolicy | None) -> None:
        """Remember the checks of ``review`` that ecerp does not define, so
        this process runs them where the stored policy names their code."""
        if review is None:
            return
        with self._lock:
            for check in review.checks:
                if type(check) not in BUILTIN_CHECKS and type(check) is not ExternalCheck:
                    self._checks[str(getattr(check, "code", ""))] = check
            self._cached = None

    def config_for(self, uow: UnitOfWork) -> Config:
        """The configuration to apply in ``uow`` (an open unit of work):
        the latest stored settings plus this process's own parts.  Cached by
        version number."""
        repo = getattr(uow, "settings", None)
        if repo is None:  # a unit of work that keeps no settings
            return self.local
        version = repo.version()
        cached = self._cached
        if cached is not None and cached[0] == version:
            return cached[1]
        config = self.build(repo.current().settings)
        self._cached = (version, config)
        return config

    def build(self, settings: Settings) -> Config:
        """``settings`` plus this process's own parts, as the handlers see them."""
        review = settings.review
        if review is not None:
            review = ReviewPolicy(
                tuple(
                    self._checks.get(c.code, c) if isinstance(c, ExternalCheck) else c
                    for c in review.checks
                )
            )
        return Config(
            review=review,
            blacklist=settings.blacklist,
            payments=self.local.payments,
            rules=settings.rules,
            rate_tables=settings.rate_tables,
            live_services=self.local.live_services,
        )

    def resolver(self, uow: UnitOfWork) -> Config:
        return self.config_for(uow)
