"""What every facade section shares: the open ERP it belongs to.

A section (``erp.catalog``, ``erp.inventory``, ``erp.orders``,
``erp.settings``, ``erp.dead_letters``) is a thin object over the
:class:`~ecerp.api.erp.ERP` that made it: a method builds a command and runs
it through the ERP's message bus, or reads in a unit of work of its backend.
Sections keep no state of their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ecerp.usecases.base import Command

if TYPE_CHECKING:
    from ecerp.api.erp import ERP


class ContextAPI:
    """The base of one context's facade: ``erp.<context>``.

    Args:
        erp: the open ERP whose bus and backend the section uses.
    """

    def __init__(self, erp: ERP) -> None:
        self._erp = erp

    def _actor(self, actor: str | None) -> str:
        """Who a change is recorded as: ``actor``, else the ERP's."""
        return actor if actor is not None else self._erp.actor

    def _run(self, command: Command) -> Any:
        """Run ``command`` through the ERP's message bus; what it returns.

        Raises:
            EcerpError: whatever the command's handler raises.
        """
        return self._erp.bus.handle(command)
