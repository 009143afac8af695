"""The catalog repository port.

The catalog is read far more than it is written and every import resolves
listing SKUs through it, so the port hands out a :class:`Catalog` *view*: the
catalog as this unit of work sees it.  Writes made on the view (``add_sku``,
``add_alias``...) are validated by the domain at once and saved when the unit
of work commits; they vanish on rollback.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable

from ecerp.domain.catalog.catalog import Catalog


class CatalogRepository(abc.ABC):
    @abc.abstractmethod
    def view(self) -> Catalog:
        """The unit of work's catalog.  The same object on every call within
        one unit of work.  Never raises."""

    def prefetch(self, listing_skus: Iterable[tuple[str, str, str]]) -> None:
        """Hint: ``(channel, shop, listing_sku)`` keys about to be resolved,
        so a database-backed view can load their aliases and bundles in one
        go.  Optional; the default does nothing."""
        return
