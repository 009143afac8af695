"""``erp.settings``: the store's settings, versioned.

>>> from ecerp import open_erp
>>> from ecerp.domain.orders.holds import BuyerNote, ReviewPolicy
>>> erp = open_erp("memory://", actor="lea")
>>> erp.settings.current().version
0
>>> v = erp.settings.set(review=ReviewPolicy((BuyerNote(),)), blacklist=["fraud@example.com"])
>>> v.version, v.actor, v.changed
(1, 'lea', ('review', 'blacklist'))
>>> erp.settings.set(blacklist=["FRAUD@example.com"]).version   # the same: no new version
1
>>> [h.changed for h in erp.settings.history()]
[('review', 'blacklist')]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ecerp.api._base import ContextAPI
from ecerp.domain.carriers.rates import RateTable
from ecerp.domain.orders.holds import ReviewPolicy
from ecerp.domain.routing.rules import RuleSet
from ecerp.domain.settings import SettingsVersion
from ecerp.usecases.config import Config
from ecerp.usecases.settings.commands import KEEP, ChangeSettings


class SettingsAPI(ContextAPI):
    """The store's settings: review policy, blacklist, routing rules, rate tables.

    They are kept with the data and applied by every process that opens it.

    Payment records and live carrier services are objects of the process
    that opens the store (``open_erp(payments=..., live_services=...)``):
    they are not stored and each process passes its own.
    """

    def current(self) -> SettingsVersion:
        """The settings in force (version 0, the defaults, when none were set)."""
        with self._erp.backend.read() as uow:
            return uow.settings.current()

    def history(self) -> list[SettingsVersion]:
        """Every version, oldest first: who set it, when, what changed."""
        with self._erp.backend.read() as uow:
            return list(uow.settings.history())

    def set(
        self,
        *,
        review: ReviewPolicy | None = KEEP,
        blacklist: Iterable[str] = KEEP,
        rules: RuleSet | None = KEEP,
        rate_tables: Mapping[str, Iterable[RateTable]] | Iterable[RateTable] = KEEP,
        actor: str | None = None,
    ) -> SettingsVersion:
        """Change the settings given; the others keep their stored values.

        ``None`` turns review or rules off, an empty list clears the
        blacklist or the rate tables.  A new version is stored only when a
        value differs (the same values: the current version is returned).

        Raises:
            ValidationError: a malformed value, naming the setting.
        """
        command = ChangeSettings.of(
            actor if actor is not None else self._erp.actor,
            review=review,
            blacklist=blacklist,
            rules=rules,
            rate_tables=rate_tables,
        )
        source = self._erp.bus.settings
        if source is not None and review is not KEEP:
            source.provide(review)
        result: SettingsVersion = self._erp.bus.handle(command)
        return result

    def config(self) -> Config:
        """What the use cases apply now.

        The stored settings plus this process's payment records and live
        services.
        """
        source = self._erp.bus.settings
        if source is None:
            return self._erp.bus.config
        with self._erp.backend.read() as uow:
            return source.config_for(uow)

    def differs(self, **given: Any) -> bool:
        """Whether storing ``given`` would make a new version."""
        wanted = {k: v for k, v in given.items() if v is not KEEP}
        stored = self.current().settings
        return bool(stored.replace(**wanted).changes(stored))


__all__ = ["SettingsAPI"]
