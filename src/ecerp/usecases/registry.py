"""Handler maps: which handler runs each command, which event handlers
subscribe to which events.

Each context's use cases declare their own map in
``ecerp.usecases.<context>.handlers`` (a module-level ``HANDLERS``); the
composition root (:mod:`ecerp.bootstrap`) merges the maps of every context it
finds with :func:`library_handlers`, so adding a context edits no central
dict.  A command type claimed by two maps is a wiring error:

>>> import attrs
>>> from ecerp.usecases.base import Command
>>> @attrs.frozen
... class Ping(Command):
...     pass
>>> one = HandlerMap({Ping: lambda cmd, ctx: "pong"})
>>> merged = HandlerMap.merge([one, HandlerMap()])
>>> merged.commands[Ping](Ping(), None)
'pong'
>>> HandlerMap.merge([one, one])
Traceback (most recent call last):
...
ValueError: Ping has two handlers
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from ecerp.domain.shared.events import Event
from ecerp.usecases.base import Command
from ecerp.usecases.context import Context

CommandHandler = Callable[[Any, Context], Any]
EventHandler = Callable[[list[Event], Context], None]


def handler_name(handler: EventHandler) -> str:
    """How a dead letter names an event handler: ``handler:<module>.<name>``
    (a callable object: its class's name)."""
    named = handler if hasattr(handler, "__qualname__") else type(handler)
    return f"handler:{named.__module__}.{named.__qualname__}"


@attrs.frozen
class Subscription:
    """An event handler, the event types it takes, and which of those it
    acts on (the others are neither stored in an outbox nor handed to it).

    ``name``: how dead letters name it (default: :func:`handler_name`).  A
    handler that moved keeps the name it had, so dead letters stored before
    the move are still replayed to it.
    """

    types: tuple[type[Event], ...]
    handler: EventHandler
    acts_on: Callable[[Event], bool] = lambda _: True
    name: str = attrs.field(
        kw_only=True, default=attrs.Factory(lambda s: handler_name(s.handler), takes_self=True)
    )

    def wants(self, event: Event) -> bool:
        return isinstance(event, self.types) and self.acts_on(event)


def _frozen(value: Iterable[type[Command]]) -> frozenset[type[Command]]:
    return frozenset(value)


@attrs.frozen
class HandlerMap:
    """One context's (or the merged library's) handlers.

    Attributes:
        commands: the handler of each command type.
        subscriptions: event handlers, in the order they run.
        batch: commands that create or touch many objects at once (the bus
            pauses the garbage collector for them when asked to).
        unit_by_unit: handlers that commit several units of work (chunks),
            each through :meth:`Context.unit` with its own retries: the bus
            runs them once, never again from scratch (that would lose the
            outcomes of committed chunks).
    """

    commands: Mapping[type[Command], CommandHandler] = attrs.field(factory=dict)
    subscriptions: tuple[Subscription, ...] = ()
    batch: frozenset[type[Command]] = attrs.field(default=frozenset(), converter=_frozen)
    unit_by_unit: frozenset[type[Command]] = attrs.field(default=frozenset(), converter=_frozen)

    @classmethod
    def merge(cls, maps: Iterable[HandlerMap]) -> HandlerMap:
        """All of ``maps`` in one.

        Raises:
            ValueError: a command type has a handler in two maps.
        """
        commands: dict[type[Command], CommandHandler] = {}
        subscriptions: list[Subscription] = []
        batch: set[type[Command]] = set()
        unit_by_unit: set[type[Command]] = set()
        for one in maps:
            for command, handler in one.commands.items():
                if command in commands:
                    raise ValueError(f"{command.__name__} has two handlers")
                commands[command] = handler
            subscriptions.extend(one.subscriptions)
            batch |= one.batch
            unit_by_unit |= one.unit_by_unit
        return cls(commands, tuple(subscriptions), frozenset(batch), frozenset(unit_by_unit))


def library_handlers(package: str = "ecerp.usecases") -> HandlerMap:
    """The merged handler maps of every context of ``package``: each
    subpackage with a ``handlers`` module that declares ``HANDLERS``, in
    name order.

    Raises:
        ValueError: a command type has a handler in two contexts.
    """
    root = importlib.import_module(package)
    maps = []
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda m: m.name):
        if not info.ispkg:
            continue
        try:
            module = importlib.import_module(f"{package}.{info.name}.handlers")
        except ModuleNotFoundError as err:
            if err.name != f"{package}.{info.name}.handlers":
                raise
            continue
        declared = getattr(module, "HANDLERS", None)
        if isinstance(declared, HandlerMap):
            maps.append(declared)
    return HandlerMap.merge(maps)
