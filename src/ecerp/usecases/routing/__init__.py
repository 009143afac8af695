"""Routing use cases: route orders to warehouses and carrier services.

``ROUTABLE`` is re-exported for the facade (``ecerp.api``), which still
imports it from here; its home is :mod:`ecerp.usecases.routing.routes`.
"""

from ecerp.usecases.routing.routes import ROUTABLE as ROUTABLE
