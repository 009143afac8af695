"""Contract: the catalog repository stores SKUs, shops, aliases and bundles, and gives them back whole.

Part of :class:`~ecerp.testing.contracts.BackendContract`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecerp.domain.catalog.aliases import Alias, Bundle, Component
from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.catalog.errors import AliasCycleError, UnknownSkuError
from ecerp.domain.catalog.products import EPOCH, Dimensions, Shop, Sku
from ecerp.domain.shared.errors import DuplicateError, NotFoundError
from ecerp.ports.unit_of_work import UnitOfWork
from ecerp.testing.contracts._support import (
    CST,
    HOUR,
    T0,
    UowFactory,
    _BackendFixtures,
    assert_aware_utc,
    channel_order,
    commit_work,
    eur,
    seed_catalog,
    value_state,
)


class CatalogRepositoryContract(_BackendFixtures):
    """The catalog view: writes persist on commit; resolution after reload."""

    def test_catalog_items_come_back_equal_to_what_was_written(
        self, uow_factory: UowFactory
    ) -> None:
        written = Catalog()
        seed_catalog(written)

        commit_work(uow_factory, lambda uow: seed_catalog(uow.catalog.view()))

        with uow_factory() as uow:
            view = uow.catalog.view()
            assert value_state(view.skus()) == value_state(written.skus())
            assert value_state(view.bundles()) == value_state(written.bundles())
            assert value_state(view.shops()) == value_state(written.shops())
            assert value_state(view.aliases()) == value_state(written.aliases())
            assert value_state(view.find_product("MUGS")) == value_state(
                written.find_product("MUGS")
            )
            assert view.find_barcode("4006381333931") == "MUG-RED"
            assert view.find_product("CUPS") is None
            assert view.find_sku("CUP") is None
            assert view.find_bundle("MUG-RED") is None
            red = view.sku("MUG-RED")
            assert red.title("zh") == "红色马克杯"
            assert red.attribute("colour") == "red"
            assert red.dimensions == Dimensions(120, 90, 100)
            assert red.cost == eur("2.105")

    def test_items_added_in_later_units_join_the_committed_catalog(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, lambda uow: seed_catalog(uow.catalog.view()))

        def more(uow: UnitOfWork) -> None:
            view = uow.catalog.view()
            view.add_sku(Sku("SAUCER"))
            view.add_bundle(Bundle("GIFT", (Component("MUG-SET", 1), Component("SAUCER", 2))))
            view.add_alias(Alias("shopify", "web", "gift-box", "GIFT"))

        commit_work(uow_factory, more)

        with uow_factory() as uow:
            view = uow.catalog.view()
            assert [s.code for s in view.skus()] == ["LID", "MUG-BLUE", "MUG-RED", "SAUCER"]
            assert [b.code for b in view.bundles()] == ["GIFT", "MUG-SET"]
            assert view.resolve("shopify", "web", "gift-box", at=T0) == "GIFT"
            assert view.expand("GIFT", 1) == {"MUG-RED": 2, "LID": 2, "SAUCER": 2}

    def test_a_listing_sku_resolves_through_shop_then_channel_then_global_aliases(
        self, uow_factory: UowFactory
    ) -> None:
        def catalog(uow: UnitOfWork) -> None:
            view = uow.catalog.view()
            seed_catalog(view)
            view.add_shop(Shop("amz-fr", channel="amazon", currency="EUR"))
            view.add_alias(Alias("amazon", None, "B0MUGSET", "MUG-BLUE"))
            view.add_alias(Alias(None, None, "RED-MUG", "MUG-RED"))

        commit_work(uow_factory, catalog)

        with uow_factory() as uow:
            view = uow.catalog.view()
            # the shop's own alias wins over the channel's
            assert view.resolve("amazon", "amz-de", "B0MUGSET", at=T0) == "MUG-SET"
            # another shop of the channel gets the channel's alias
            assert view.resolve("amazon", "amz-fr", "B0MUGSET", at=T0) == "MUG-BLUE"
            assert view.resolve("amazon", "amz-fr", "B0RED", at=T0) == "MUG-RED"
            # a global alias applies everywhere
            assert view.resolve("shopify", "web", "RED-MUG", at=T0) == "MUG-RED"
            # a catalog code means itself
            assert view.resolve("shopify", "web", "LID", at=T0) == "LID"
            # an alias of one channel does not apply to another
            with pytest.raises(UnknownSkuError) as err:
                view.resolve("shopify", "web", "B0RED", at=T0)
            assert (err.value.code, err.value.channel, err.value.shop) == (
                "B0RED",
                "shopify",
                "web",
            )

    def test_a_replaced_alias_resolves_by_date_across_units(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, lambda uow: seed_catalog(uow.catalog.view()))
        replaced_at = datetime(2026, 4, 1, 8, 0, tzinfo=CST)  # 00:00 UTC

        commit_work(
            uow_factory,
            lambda uow: uow.catalog.view().add_alias(
                Alias("amazon", None, "B0RED", "MUG-BLUE", replaced_at)
            ),
        )

        with uow_factory() as uow:
            view = uow.catalog.view()
            versions = view.alias_versions("amazon", None, "B0RED")
            assert [(a.target, a.effective_from) for a in versions] == [
                ("MUG-RED", EPOCH),
                ("MUG-BLUE", datetime(2026, 4, 1, tzinfo=UTC)),
            ]
            for alias in versions:
                assert_aware_utc(alias.effective_from)
            before = replaced_at - timedelta(microseconds=1)
            assert view.resolve("amazon", "amz-de", "B0RED", at=before) == "MUG-RED"
            assert view.resolve("amazon", "amz-de", "B0RED", at=replaced_at) == "MUG-BLUE"
            assert view.resolve("amazon", "amz-de", "B0RED", at=replaced_at + HOUR) == "MUG-BLUE"

    def test_a_retired_code_follows_its_global_replacement(self, uow_factory: UowFactory) -> None:
        def catalog(uow: UnitOfWork) -> None:
            view = uow.catalog.view()
            seed_catalog(view)
            view.add_alias(Alias(None, None, "MUG-R-OLD", "MUG-RED"))

        commit_work(uow_factory, catalog)
        commit_work(
            uow_factory,
            lambda uow: uow.catalog.view().add_alias(
                Alias("shopify", "web", "legacy-red", "MUG-R-OLD")
            ),
        )

        with uow_factory() as uow:
            assert uow.catalog.view().resolve("shopify", "web", "legacy-red", at=T0) == "MUG-RED"

    def test_bundles_come_back_with_their_components_and_expand_after_reload(
        self, uow_factory: UowFactory
    ) -> None:
        def catalog(uow: UnitOfWork) -> None:
            view = uow.catalog.view()
            seed_catalog(view)
            view.add_bundle(Bundle("GIFT", (Component("MUG-SET", 1), Component("LID", 1))))

        commit_work(uow_factory, catalog)

        with uow_factory() as uow:
            view = uow.catalog.view()
            gift = view.find_bundle("GIFT")
            assert gift == Bundle("GIFT", (Component("MUG-SET", 1), Component("LID", 1)))
            # a gift is a set (two mugs, two lids) and one more lid
            assert view.expand("GIFT", 2) == {"MUG-RED": 4, "LID": 6}
            assert view.sellable("GIFT", {"MUG-RED": 9, "LID": 7}) == 2
            assert view.sellable("MUG-SET", {"MUG-RED": 9}) == 0
            assert view.requirements(
                "amazon",
                "amz-de",
                channel_order("X", ("B0MUGSET", 1, "20"), ("B0RED", 1, "9")).order_lines(),
                at=T0,
            ) == {(1, "MUG-RED"): 2, (1, "LID"): 2, (2, "MUG-RED"): 1}

    def test_catalog_rules_see_what_earlier_units_committed(self, uow_factory: UowFactory) -> None:
        def catalog(uow: UnitOfWork) -> None:
            view = uow.catalog.view()
            seed_catalog(view)
            view.add_alias(Alias(None, None, "MUG-R-OLD", "MUG-RED"))

        commit_work(uow_factory, catalog)

        with uow_factory() as uow:
            view = uow.catalog.view()
            with pytest.raises(DuplicateError) as dup:
                view.add_sku(Sku("MUG-RED"))
            assert (dup.value.kind, dup.value.key) == ("sku", "MUG-RED")
            with pytest.raises(DuplicateError) as dup_bundle:
                view.add_sku(Sku("MUG-SET"))
            assert dup_bundle.value.key == "MUG-SET"
            with pytest.raises(DuplicateError) as dup_barcode:
                view.add_sku(Sku("CUP", barcode="4006381333931"))
            assert (dup_barcode.value.kind, dup_barcode.value.key) == ("barcode", "4006381333931")
            with pytest.raises(DuplicateError):
                view.add_shop(Shop("web", channel="shopify"))
            with pytest.raises(DuplicateError):
                view.add_alias(Alias("amazon", "amz-de", "B0MUGSET", "MUG-BLUE"))
            with pytest.raises(AliasCycleError) as cycle:
                view.add_alias(Alias(None, None, "MUG-RED", "MUG-R-OLD"))
            assert cycle.value.path == ("MUG-RED", "MUG-R-OLD", "MUG-RED")
            with pytest.raises(NotFoundError) as no_shop:
                view.add_alias(Alias("ebay", "ebay-uk", "X", "LID"))
            assert (no_shop.value.kind, no_shop.value.key) == ("shop", "ebay-uk")

    def test_a_refused_catalog_write_leaves_the_rest_of_the_unit_to_commit(
        self, uow_factory: UowFactory
    ) -> None:
        commit_work(uow_factory, lambda uow: seed_catalog(uow.catalog.view()))

        def work(uow: UnitOfWork) -> None:
            view = uow.catalog.view()
            view.add_sku(Sku("SAUCER"))
            with pytest.raises(UnknownSkuError):
                view.add_bundle(Bundle("CUP-SET", (Component("CUP", 2),)))
            with pytest.raises(DuplicateError):
                view.add_sku(Sku("SAUCER", weight_g=99))
            view.add_alias(Alias("shopify", "web", "saucer", "SAUCER"))

        commit_work(uow_factory, work)

        with uow_factory() as uow:
            view = uow.catalog.view()
            assert view.sku("SAUCER") == Sku("SAUCER")
            assert view.find_bundle("CUP-SET") is None
            assert view.resolve("shopify", "web", "saucer", at=T0) == "SAUCER"

    def test_prefetching_listing_skus_changes_no_answer(self, uow_factory: UowFactory) -> None:
        commit_work(uow_factory, lambda uow: seed_catalog(uow.catalog.view()))

        with uow_factory() as uow:
            uow.catalog.prefetch(
                [
                    ("amazon", "amz-de", "B0MUGSET"),
                    ("amazon", "amz-de", "B0RED"),
                    ("amazon", "amz-de", "NOPE"),
                ]
            )
            view = uow.catalog.view()
            assert view.resolve("amazon", "amz-de", "B0MUGSET", at=T0) == "MUG-SET"
            assert view.resolve("amazon", "amz-de", "B0RED", at=T0) == "MUG-RED"
            with pytest.raises(UnknownSkuError):
                view.resolve("amazon", "amz-de", "NOPE", at=T0)
