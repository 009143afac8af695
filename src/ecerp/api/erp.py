"""The open ERP: one object per store, with one section per context.

>>> from ecerp import open_erp
>>> with open_erp("memory://", actor="lea") as erp:
...     erp.actor, erp.orders.count(), erp.inventory.warehouses()
('lea', 0, [])

:class:`ERP` holds the message bus and the backend that
:func:`~ecerp.api.opening.open_erp` wired, and the sections (``catalog``,
``inventory``, ``orders``, ``settings``, ``dead_letters``) that run their
context's commands and reads over them.  Close it (or use it as a context
manager) to release the backend's connections.
"""

from __future__ import annotations

from typing import Any

from ecerp.api.catalog import CatalogAPI
from ecerp.api.dead_letters import DeadLettersAPI
from ecerp.api.inventory import InventoryAPI
from ecerp.api.orders import OrdersAPI
from ecerp.api.settings import SettingsAPI
from ecerp.bootstrap import Backend
from ecerp.domain.inventory.invariants import check_invariants
from ecerp.domain.inventory.state import StockState
from ecerp.domain.shared.errors import ValidationError
from ecerp.ports.clock import Clock
from ecerp.usecases.base import Command
from ecerp.usecases.bus import MessageBus
from ecerp.usecases.library import COMMAND_HANDLERS


class ERP:
    """An open ERP.  Build it with :func:`~ecerp.api.opening.open_erp`.

    Args:
        bus: runs every command (and the events it causes).
        backend: the store: units of work, reads, snapshots, checks.
        actor: who changes are recorded as when a call names nobody.
    """

    def __init__(self, bus: MessageBus, backend: Backend, actor: str = "system") -> None:
        """Make the sections over ``bus`` and ``backend`` (opens nothing)."""
        self.bus = bus
        self.backend = backend
        self.actor = actor
        self.catalog = CatalogAPI(self)
        self.inventory = InventoryAPI(self)
        self.orders = OrdersAPI(self)
        self.settings = SettingsAPI(self)
        self.dead_letters = DeadLettersAPI(self)

    @property
    def clock(self) -> Clock:
        """Where this ERP's use cases read the time."""
        return self.bus.clock

    def handle(self, command: Command) -> Any:
        """Run any command through the bus (the methods below are sugar).

        Raises:
            ValidationError: ``command`` is not a command.
        """
        if type(command) not in COMMAND_HANDLERS:
            raise ValidationError("command", command, "must be an ecerp command")
        return self.bus.handle(command)

    def check(self) -> None:
        """Prove the stock books consistent.

        Raises:
            InvariantError: listing every inconsistency found.
        """
        check_invariants(self.backend.snapshot())

    def snapshot(self) -> StockState:
        """A full copy of committed stock (for reports and checks)."""
        return self.backend.snapshot()

    def close(self) -> None:
        """Release the backend (its connections); the ERP is unusable after."""
        self.backend.close()

    def __enter__(self) -> ERP:
        """The ERP itself, closed when the ``with`` block ends."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the ERP, whatever ended the block."""
        self.close()
