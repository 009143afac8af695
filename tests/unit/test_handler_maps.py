"""Every command the library defines has exactly one handler, declared in
its context's handler map and assembled by the composition root."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import ecerp
from ecerp.bootstrap import bootstrap, handler_maps
from ecerp.usecases.base import Command
from ecerp.usecases.registry import HandlerMap, library_handlers


def _all_commands() -> set[type[Command]]:
    for info in pkgutil.walk_packages(ecerp.__path__, "ecerp."):
        if info.name.startswith(("ecerp.usecases", "ecerp.api", "ecerp.settings_api")):
            importlib.import_module(info.name)
    found: set[type[Command]] = set()
    todo = [Command]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("ecerp.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def _context_maps() -> list[HandlerMap]:
    maps = []
    for info in pkgutil.iter_modules(importlib.import_module("ecerp.usecases").__path__):
        if info.ispkg:
            module = importlib.import_module(f"ecerp.usecases.{info.name}.handlers")
            maps.append(module.HANDLERS)
    return maps


def test_every_command_the_library_defines_has_exactly_one_handler() -> None:
    commands = _all_commands()
    assert commands, "no commands found"
    claims = [cmd for one in _context_maps() for cmd in one.commands]
    assert sorted(c.__name__ for c in claims) == sorted(c.__name__ for c in commands)
    assert len(claims) == len(set(claims))
    assert set(handler_maps().commands) == commands


def test_each_command_lives_in_the_commands_module_of_the_context_that_handles_it() -> None:
    for info in pkgutil.iter_modules(importlib.import_module("ecerp.usecases").__path__):
        if not info.ispkg:
            continue
        handlers = importlib.import_module(f"ecerp.usecases.{info.name}.handlers").HANDLERS
        for command in handlers.commands:
            assert command.__module__ == f"ecerp.usecases.{info.name}.commands", command


def test_the_composition_root_wires_the_assembled_maps_into_the_bus() -> None:
    bus, _ = bootstrap("memory://")
    assert bus.handlers is handler_maps()
    assert set(bus.handlers.commands) == set(library_handlers().commands)
    assert [s.name for s in bus.event_handlers] == [
        "handler:ecerp.usecases.allocation.allocate_waiting"
    ]


def test_two_maps_claiming_one_command_are_refused() -> None:
    (one,) = [m for m in _context_maps() if len(m.commands) == 1][:1]
    with pytest.raises(ValueError, match="has two handlers"):
        HandlerMap.merge([one, one])
