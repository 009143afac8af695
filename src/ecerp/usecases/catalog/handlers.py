"""Catalog use cases: adding products, SKUs, shops, bundles and aliases."""

from __future__ import annotations

from ecerp.domain.catalog.aliases import Alias, Bundle
from ecerp.domain.catalog.products import Product, Shop, Sku
from ecerp.usecases.catalog.commands import AddToCatalog
from ecerp.usecases.context import Context
from ecerp.usecases.orders.unmapped import map_unmapped
from ecerp.usecases.registry import HandlerMap


def add_to_catalog(cmd: AddToCatalog, ctx: Context) -> None:
    """Add every item in order, all or none.  Orders kept ``unmapped`` whose
    listing SKUs all resolve now flow on in the same unit of work (see
    :func:`~ecerp.usecases.orders.unmapped.map_unmapped`).

    Raises:
        DuplicateError, UnknownSkuError, NotFoundError, AliasCycleError,
        BundleCycleError: the first item the catalog refuses (nothing added).
    """
    with ctx.uow as uow:
        catalog = uow.catalog.view()
        for item in cmd.items:
            if isinstance(item, Product):
                catalog.add_product(item)
            elif isinstance(item, Sku):
                catalog.add_sku(item)
            elif isinstance(item, Shop):
                catalog.add_shop(item)
            elif isinstance(item, Bundle):
                catalog.add_bundle(item)
            elif isinstance(item, Alias):
                catalog.add_alias(item)
            else:
                raise TypeError(f"cannot add {type(item).__name__} to the catalog")
        if any(isinstance(item, Sku | Bundle | Alias) for item in cmd.items):
            map_unmapped(uow, ctx.config, at=ctx.now(), actor=cmd.actor)
        uow.commit()


#: The catalog's command handlers.
HANDLERS = HandlerMap({AddToCatalog: add_to_catalog})
