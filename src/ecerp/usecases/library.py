"""The library's handlers: every context's handler map, merged once.

:data:`LIBRARY` is what :func:`ecerp.bootstrap.bootstrap` hands to the bus;
:data:`COMMAND_HANDLERS` is its command map (an application may register a
handler of its own there before opening an ERP, as ``docs/architecture.md``
shows).

>>> from ecerp.usecases.inventory.commands import ReceiveStock
>>> COMMAND_HANDLERS[ReceiveStock].__name__
'receive_stock'
"""

from __future__ import annotations

from ecerp.usecases.base import Command
from ecerp.usecases.registry import CommandHandler, HandlerMap, library_handlers

LIBRARY: HandlerMap = library_handlers()
COMMAND_HANDLERS: dict[type[Command], CommandHandler] = LIBRARY.commands  # type: ignore[assignment]
