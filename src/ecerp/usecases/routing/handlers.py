"""Routing handlers: none of its own yet (orders are routed by the orders and
allocation handlers, through :mod:`ecerp.usecases.routing.routes`)."""

from __future__ import annotations

from ecerp.usecases.registry import HandlerMap

#: Routing's command handlers (none yet).
HANDLERS = HandlerMap()
