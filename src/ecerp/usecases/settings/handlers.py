"""Settings handlers: store a new settings version."""

from __future__ import annotations

from ecerp.domain.settings import (
    SettingsVersion,
)
from ecerp.usecases.context import Context
from ecerp.usecases.registry import HandlerMap
from ecerp.usecases.settings.commands import ChangeSettings


def change_settings(cmd: ChangeSettings, ctx: Context) -> SettingsVersion:
    """Store a new version when the change differs from the latest one;
    returns the version now in force."""
    with ctx.uow as uow:
        latest = uow.settings.current()
        wanted = latest.settings.replace(**dict(cmd.changes))
        changed = wanted.changes(latest.settings)
        if not changed:
            return latest
        version = SettingsVersion(latest.version + 1, wanted, cmd.actor, ctx.now(), changed)
        uow.settings.add(version)
        uow.commit()
    return version


#: The settings' command handler.
HANDLERS = HandlerMap({ChangeSettings: change_settings})
