"""Allocation commands: reserve stock for ready and waiting orders."""

from __future__ import annotations

import attrs

from ecerp.usecases.base import Command, actor_field
from ecerp.usecases.orders.commands import optional_order_ids


@attrs.frozen
class AllocateOrders(Command):
    """Reserve stock for ready and waiting orders (``None``: all of them)."""

    order_ids: tuple[str, ...] | None = attrs.field(default=None, converter=optional_order_ids)
    actor: str = actor_field("system")
