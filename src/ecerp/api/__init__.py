"""The facade: one call opens an ERP, its use cases grouped by context.

>>> from ecerp import open_erp, Sku, Warehouse
>>> erp = open_erp("memory://")
>>> erp.catalog.add(Sku("MUG"))
>>> erp.inventory.add_warehouse(Warehouse("SH"))
>>> _ = erp.inventory.receive("MUG", "SH", 5)
>>> erp.inventory.position("MUG", "SH").available
5

Every method runs one command through the message bus (so events, such as
stock arriving for waiting orders, are handled the same way for every
caller) or one read in its own unit of work.  Objects returned are copies:
changing them changes nothing stored.

One module per context, each holding that context's section of the ERP:

- :mod:`ecerp.api.opening`: :func:`open_erp` and the checks of its arguments;
- :mod:`ecerp.api.erp`: the :class:`ERP` object itself;
- :mod:`ecerp.api.catalog`: ``erp.catalog`` (:class:`CatalogAPI`);
- :mod:`ecerp.api.inventory`: ``erp.inventory`` (:class:`InventoryAPI`);
- :mod:`ecerp.api.orders`: ``erp.orders`` (:class:`OrdersAPI`);
- :mod:`ecerp.api.settings`: ``erp.settings`` (:class:`SettingsAPI`);
- :mod:`ecerp.api.dead_letters`: ``erp.dead_letters`` (:class:`DeadLettersAPI`).

A new context adds its module here and one attribute to :class:`ERP`.
"""

from ecerp.api.catalog import CatalogAPI
from ecerp.api.dead_letters import DeadLettersAPI
from ecerp.api.erp import ERP
from ecerp.api.inventory import InventoryAPI
from ecerp.api.opening import MAX_URL_LEN, open_erp
from ecerp.api.orders import OrdersAPI
from ecerp.api.settings import SettingsAPI

__all__ = [
    "ERP",
    "MAX_URL_LEN",
    "CatalogAPI",
    "DeadLettersAPI",
    "InventoryAPI",
    "OrdersAPI",
    "SettingsAPI",
    "open_erp",
]
