"""``erp.catalog``: products, SKUs, shops, bundles and aliases.

>>> from ecerp import Alias, Bundle, Component, Sku, Warehouse, open_erp
>>> erp = open_erp("memory://")
>>> erp.catalog.add(
...     Sku("MUG"),
...     Sku("LID"),
...     Bundle("MUG-SET", (Component("MUG", 2), Component("LID", 1))),
...     Alias("amazon", None, "B0-MUG-SET", "MUG-SET"),
... )
>>> erp.catalog.resolve("amazon", "DE", "B0-MUG-SET")
'MUG-SET'
>>> erp.catalog.expand("MUG-SET", 3)
{'MUG': 6, 'LID': 3}
>>> erp.inventory.add_warehouse(Warehouse("SH"))
>>> _ = erp.inventory.receive("MUG", "SH", 5)
>>> _ = erp.inventory.receive("LID", "SH", 9)
>>> erp.catalog.sellable("MUG-SET", "SH")   # five mugs make two sets
2

Items are added all or none, in the order given (a bundle after its
components, an alias after its target).
"""

from __future__ import annotations

from datetime import datetime

from ecerp.api._base import ContextAPI
from ecerp.domain.catalog.aliases import Alias, Bundle
from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.catalog.products import Product, Shop, Sku
from ecerp.domain.shared.values import (
    require_code,
    require_positive_qty,
    require_utc,
)
from ecerp.usecases.catalog.commands import AddToCatalog


class CatalogAPI(ContextAPI):
    """Products, SKUs, shops, bundles and aliases."""

    def add(
        self,
        *items: Product | Sku | Shop | Bundle | Alias,
        actor: str | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        """Add items in order, all or none.

        ``idempotency_key``: see :meth:`InventoryAPI.receive`.

        Raises:
            DuplicateError, UnknownSkuError, NotFoundError, AliasCycleError,
            BundleCycleError, ValidationError: nothing was added.
        """
        self._run(AddToCatalog(items, actor=self._actor(actor), idempotency_key=idempotency_key))

    def view(self) -> Catalog:
        """An independent copy of the committed catalog.

        It is for reading only: changing it changes nothing stored.
        """
        with self._erp.backend.read() as uow:
            return uow.catalog.view().copy()

    def sku(self, code: str) -> Sku:
        """The SKU ``code``.

        Raises:
            UnknownSkuError: no SKU has ``code``.
        """
        require_code("code", code)
        with self._erp.backend.read() as uow:
            return uow.catalog.view().sku(code)

    def resolve(self, channel: str, shop: str, listing_sku: str, at: datetime | None = None) -> str:
        """The SKU or bundle a shop's listing SKU means (now, or at ``at``)."""
        for field, value in (("channel", channel), ("shop", shop), ("listing_sku", listing_sku)):
            require_code(field, value)
        when = require_utc("at", at) if at is not None else self._erp.clock.now()
        with self._erp.backend.read() as uow:
            return uow.catalog.view().resolve(channel, shop, listing_sku, at=when)

    def expand(self, code: str, qty: int = 1) -> dict[str, int]:
        """SKU quantities that ``qty`` of ``code`` ship as."""
        require_code("code", code)
        require_positive_qty("qty", qty)
        with self._erp.backend.read() as uow:
            return uow.catalog.view().expand(code, qty)

    def sellable(self, code: str, warehouse: str) -> int:
        """How many of ``code`` (a SKU or bundle) ``warehouse`` can sell now."""
        require_code("code", code)
        require_code("warehouse", warehouse)
        with self._erp.backend.read() as uow:
            catalog, book = uow.catalog.view(), uow.stock.book()
            available = {sku: book.available(sku, warehouse) for sku in catalog.expand(code)}
            return catalog.sellable(code, available)
