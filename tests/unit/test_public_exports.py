"""Everything a caller of the facade needs to catch or construct is
importable from the top-level ``ecerp`` package.

The facade is scanned, not listed by hand, so a new method or a new
``Raises:`` entry that names an unexported type fails here: every error a
public method documents in its ``Raises:`` section, every ecerp type in a
public method's signature (what it takes and what it returns), and every
``EcerpError`` subclass of the domain and the ports (a caller catching one
must be able to name it).  The types of fields a caller compares against
(statuses, the why-waiting answer's parts, unmapped codes) are listed.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import typing
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import ecerp
from ecerp import api
from ecerp.domain.shared.errors import EcerpError
from ecerp.usecases.base import Command

#: The facade's classes: every public method of these is part of the API.
FACADE: tuple[type, ...] = (
    api.ERP,
    api.CatalogAPI,
    api.InventoryAPI,
    api.OrdersAPI,
    api.DeadLettersAPI,
    api.SettingsAPI,
)
#: Signature types that are not for an application: ``erp.handle`` takes a
#: bus command (``ecerp.usecases.commands``) for those driving the bus.
NOT_EXPORTED: frozenset[type] = frozenset({Command})
#: Types of fields a caller reads off returned values and compares with.
FIELD_TYPES = (
    "OrderLine",
    "PaymentStatus",
    "HoldReason",
    "UnmappedSku",
    "Shortage",
    "WarehouseShortage",
    "MoveReason",
    "StocktakeStatus",
    "TransferStatus",
    "Settings",
    "ExternalCheck",
    "Rule",
    "Actions",
    "Conditions",
)
RAISES = re.compile(r"^Raises:\n(?P<body>(?:[ \t]+.*\n?|\n)*)", re.M)
#: Any error class named in a ``Raises:`` section (``A, B: ...`` lists too).
ERROR_NAME = re.compile(r"\b(?P<name>[A-Z]\w*Error)\b")
#: "... raises :class:`~ecerp.domain.shared.errors.X`" in the prose of a docstring.
RAISES_IN_PROSE = re.compile(r"raises\s+:class:`~?(?:\w+\.)*(?P<name>\w+)`", re.I)


def public_methods() -> Iterator[tuple[str, Callable[..., Any]]]:
    yield "open_erp", api.open_erp
    for cls in FACADE:
        for name, member in inspect.getmembers(cls):
            if name.startswith("_"):
                continue
            if isinstance(member, property) and member.fget is not None:
                yield f"{cls.__name__}.{name}", member.fget
            elif inspect.isfunction(member):
                yield f"{cls.__name__}.{name}", member


def documented_errors(method: Callable[..., Any]) -> set[str]:
    doc = inspect.getdoc(method) or ""
    in_sections = {
        m["name"] for block in RAISES.finditer(doc) for m in ERROR_NAME.finditer(block["body"])
    }
    return in_sections | {m["name"] for m in RAISES_IN_PROSE.finditer(doc)}


def ecerp_types(annotation: object) -> set[type]:
    """The ecerp classes named in ``annotation`` (inside ``list[...]``,
    ``X | None``, ``Iterator[...]``...)."""
    found: set[type] = set()
    origin = typing.get_origin(annotation)
    if origin is not None:
        for arg in typing.get_args(annotation):
            found |= ecerp_types(arg)
        annotation = origin
    if isinstance(annotation, type) and annotation.__module__.startswith("ecerp."):
        found.add(annotation)
    return found


def signature_types(method: Callable[..., Any]) -> set[type]:
    return {t for hint in typing.get_type_hints(method).values() for t in ecerp_types(hint)}


def exported(cls: type) -> bool:
    return getattr(ecerp, cls.__name__, None) is cls and cls.__name__ in ecerp.__all__


def test_every_documented_error_can_be_caught_by_its_name_from_ecerp() -> None:
    missing = {
        (name, where)
        for where, method in public_methods()
        for name in documented_errors(method)
        if name not in ecerp.__all__ or not issubclass(getattr(ecerp, name), Exception)
    }
    assert not missing, sorted(missing)


def test_the_scan_finds_the_raises_sections() -> None:
    found = {name for _, method in public_methods() for name in documented_errors(method)}
    assert {"ValidationError", "NotFoundError", "IdempotencyConflictError"} <= found


def test_every_type_a_public_method_takes_or_returns_is_exported() -> None:
    missing = {
        (cls.__qualname__, where)
        for where, method in public_methods()
        for cls in signature_types(method)
        if cls not in NOT_EXPORTED and not exported(cls)
    }
    assert not missing, sorted(missing)


def _ecerp_errors() -> set[type[EcerpError]]:
    for package in ("ecerp.domain", "ecerp.ports"):
        for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
            importlib.import_module(f"{package}.{info.name}")
    seen: set[type[EcerpError]] = set()
    todo: list[type[EcerpError]] = [EcerpError]
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen.add(cls)
            todo.extend(cls.__subclasses__())
    return {e for e in seen if e.__module__.startswith(("ecerp.domain", "ecerp.ports"))}


ERRORS = {e.__name__: e for e in _ecerp_errors()}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_every_error_of_the_domain_and_ports_is_exported(name: str) -> None:
    assert exported(ERRORS[name]), name


@pytest.mark.parametrize("name", FIELD_TYPES)
def test_the_types_of_fields_a_caller_compares_with_are_exported(name: str) -> None:
    assert name in ecerp.__all__
    assert isinstance(getattr(ecerp, name), type)


def test_everything_in_all_is_importable() -> None:
    for name in ecerp.__all__:
        assert hasattr(ecerp, name), name
