"""Workflows: the statuses a document goes through, declared as data.

Every document with a status (an order, a stocktake, a transfer, and later a
shipment, a purchase order, a return, a settlement) declares its statuses as
an :class:`enum.Enum` and the changes allowed between them as a table: for
each status, the statuses it may go to.  A :class:`Workflow` holds that
table; :meth:`Workflow.check` is the one place that refuses a change outside
it, with an :class:`InvalidTransitionError` naming the document (``entity``)
and the two statuses (``from_`` and ``to``, by value)::

    >>> import enum
    >>> class Door(enum.Enum):
    ...     OPEN = "open"
    ...     SHUT = "shut"
    ...     LOCKED = "locked"
    >>> DOOR = Workflow("door", Door, {
    ...     Door.OPEN: {Door.SHUT},
    ...     Door.SHUT: {Door.OPEN, Door.LOCKED},
    ...     Door.LOCKED: {Door.SHUT},
    ... })
    >>> DOOR.allows(Door.SHUT, Door.LOCKED), DOOR.allows(Door.OPEN, Door.LOCKED)
    (True, False)
    >>> DOOR.check(Door.SHUT, Door.LOCKED, "front")
    <Door.LOCKED: 'locked'>
    >>> try:
    ...     DOOR.check(Door.OPEN, Door.LOCKED, "front")
    ... except InvalidTransitionError as err:
    ...     (err.entity, err.from_, err.to)
    ('door front', 'open', 'locked')

The table must name every status of the enum (a final status maps to no
successor), so a status added later has to be placed before the workflow
builds.  A document keeps its own rules beyond the table (what a stocktake
may record while counting, which lines a transfer still owes): the table
says only which status changes exist.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Generic, TypeVar

from ecerp.domain.shared.errors import InvalidTransitionError, ValidationError

StatusT = TypeVar("StatusT", bound=enum.Enum)


class Workflow(Generic[StatusT]):
    """The allowed status changes of one kind of document.

    Args:
        kind: what the document is called in errors (``"order"``,
            ``"transfer"``); an error's ``entity`` is ``"<kind> <key>"``.
        statuses: the document's status enum.
        transitions: for each status, the statuses it may go to.

    Raises:
        ValidationError: the table misses a status of ``statuses``, or names
            something that is not one.
    """

    __slots__ = ("kind", "statuses", "transitions")

    def __init__(
        self,
        kind: str,
        statuses: type[StatusT],
        transitions: Mapping[StatusT, Iterable[StatusT]],
    ) -> None:
        members = frozenset(statuses)
        table = {from_: frozenset(to) for from_, to in transitions.items()}
        named = set(table).union(*table.values())
        if not named <= members:
            strays = sorted(map(repr, named - members))
            raise ValidationError("transitions", strays, f"not {statuses.__name__} members")
        if set(table) != members:
            missing = sorted(s.name for s in members - set(table))
            raise ValidationError("transitions", missing, f"{kind} statuses with no row")
        self.kind = kind
        self.statuses = statuses
        #: status -> the statuses it may go to (read-only)
        self.transitions: Mapping[StatusT, frozenset[StatusT]] = MappingProxyType(table)

    def allows(self, from_: StatusT, to: StatusT) -> bool:
        """Whether a document in ``from_`` may go to ``to``."""
        return to in self.transitions[from_]

    def check(self, from_: StatusT, to: StatusT, key: object) -> StatusT:
        """``to``, if a document in ``from_`` may go there.

        Args:
            from_: the document's status now.
            to: the status it is asked to take.
            key: the document's id, for the error.

        Raises:
            InvalidTransitionError: ``to`` is not a successor of ``from_``
                (``entity`` is ``"<kind> <key>"``, ``from_`` and ``to`` the
                statuses' values).
        """
        if to not in self.transitions[from_]:
            raise InvalidTransitionError(f"{self.kind} {key}", from_.value, to.value)
        return to

    def __repr__(self) -> str:
        return f"Workflow({self.kind!r}, {self.statuses.__name__})"
