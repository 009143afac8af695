"""The catalog: SKUs, shops, SKU aliases (incl. dated replacement) and bundles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ecerp.domain.catalog.aliases import Alias, Bundle, Component
from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.catalog.errors import AliasCycleError, BundleCycleError, UnknownSkuError
from ecerp.domain.catalog.products import EPOCH, Dimensions, Product, Shop, Sku
from ecerp.domain.orders.drafts import ChannelLine, ChannelOrder, OrderLine
from ecerp.domain.shared.errors import DuplicateError, NotFoundError, ValidationError
from ecerp.domain.shared.money import Money

T = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture
def catalog() -> Catalog:
    """A mug shop on Amazon DE/FR and an own web shop."""
    cat = Catalog()
    for code in ("MUG-RED", "MUG-BLUE", "LID", "SAUCER"):
        cat.add_sku(Sku(code))
    cat.add_bundle(Bundle("MUG-SET", (Component("MUG-RED", 2), Component("LID", 2))))
    cat.add_shop(Shop("amz-de", channel="amazon", currency="EUR"))
    cat.add_shop(Shop("amz-fr", channel="amazon", currency="EUR"))
    cat.add_shop(Shop("web", channel="shopify", currency="EUR"))
    return cat


def lines(*items: tuple[str, int]) -> list[OrderLine]:
    draft = ChannelOrder(
        "shopify",
        "web",
        "1",
        T,
        "EUR",
        tuple(ChannelLine(sku, qty, Money.of("1", "EUR")) for sku, qty in items),
    )
    return draft.order_lines()


def contents(cat: Catalog) -> tuple[object, ...]:
    return (cat.skus(), cat.bundles(), cat.shops(), cat.aliases())


# --- SKUs and products ------------------------------------------------------------------


def test_a_sku_keeps_its_variant_attributes_titles_and_measures() -> None:
    sku = Sku(
        "TEE-M-BLK",
        attributes={"size": "M", "colour": "black"},
        titles={"en": "T-shirt", "zh": "T恤"},
        weight_g=180,
        dimensions=Dimensions(300, 250, 20),
        tags={"cotton"},
        price=Money.of("15.00", "EUR"),
    )

    assert sku.attribute("size") == "M"
    assert sku.attribute("fit") is None
    assert sku.title("zh") == "T恤"
    assert sku.dimensions is not None
    assert sku.dimensions.volume_mm3 == 300 * 250 * 20
    assert sku.tags == frozenset({"cotton"})


def test_a_sku_of_a_product_needs_the_product_first() -> None:
    cat = Catalog()
    with pytest.raises(NotFoundError) as err:
        cat.add_sku(Sku("TEE-M", product="TEE"))
    assert (err.value.kind, err.value.key) == ("product", "TEE")

    cat.add_product(Product("TEE", variant_attributes=("size",)))
    cat.add_sku(Sku("TEE-M", product="TEE"))
    assert cat.sku("TEE-M").product == "TEE"


def test_a_barcode_identifies_one_sku(catalog: Catalog) -> None:
    catalog.add_sku(Sku("TEAPOT", barcode="4006381333931"))

    assert catalog.find_barcode("4006381333931") == "TEAPOT"
    with pytest.raises(DuplicateError) as err:
        catalog.add_sku(Sku("KETTLE", barcode="4006381333931"))
    assert (err.value.kind, err.value.key) == ("barcode", "4006381333931")
    assert catalog.find_sku("KETTLE") is None


def test_skus_and_bundles_share_one_code_space(catalog: Catalog) -> None:
    with pytest.raises(DuplicateError):
        catalog.add_sku(Sku("MUG-SET"))
    with pytest.raises(DuplicateError):
        catalog.add_bundle(Bundle("LID", (Component("MUG-RED", 1),)))


def test_a_listing_of_skus_is_sorted_by_code(catalog: Catalog) -> None:
    assert [s.code for s in catalog.skus()] == ["LID", "MUG-BLUE", "MUG-RED", "SAUCER"]
    assert [s.code for s in catalog.shops()] == ["amz-de", "amz-fr", "web"]


# --- aliases ---------------------------------------------------------------------------


def test_a_shops_listing_sku_resolves_to_the_warehouse_sku(catalog: Catalog) -> None:
    catalog.add_alias(Alias("amazon", "amz-de", "B0RED", "MUG-RED"))

    assert catalog.resolve("amazon", "amz-de", "B0RED", at=T) == "MUG-RED"


def test_a_shop_alias_wins_over_the_channels_which_wins_over_a_global_one(
    catalog: Catalog,
) -> None:
    catalog.add_alias(Alias(None, None, "X1", "SAUCER"))
    catalog.add_alias(Alias("amazon", None, "X1", "MUG-BLUE"))
    catalog.add_alias(Alias("amazon", "amz-de", "X1", "MUG-RED"))

    assert catalog.resolve("amazon", "amz-de", "X1", at=T) == "MUG-RED"
    assert catalog.resolve("amazon", "amz-fr", "X1", at=T) == "MUG-BLUE"
    assert catalog.resolve("shopify", "web", "X1", at=T) == "SAUCER"


def test_many_shops_can_map_onto_one_warehouse_sku(catalog: Catalog) -> None:
    catalog.add_alias(Alias("amazon", "amz-de", "B0RED-DE", "MUG-RED"))
    catalog.add_alias(Alias("amazon", "amz-fr", "B0RED-FR", "MUG-RED"))
    catalog.add_alias(Alias("shopify", "web", "red-mug", "MUG-RED"))

    assert {
        catalog.resolve("amazon", "amz-de", "B0RED-DE", at=T),
        catalog.resolve("amazon", "amz-fr", "B0RED-FR", at=T),
        catalog.resolve("shopify", "web", "red-mug", at=T),
    } == {"MUG-RED"}


def test_a_catalog_code_listed_as_is_needs_no_alias(catalog: Catalog) -> None:
    assert catalog.resolve("shopify", "web", "MUG-SET", at=T) == "MUG-SET"


def test_an_alias_of_one_shop_does_not_leak_to_another(catalog: Catalog) -> None:
    catalog.add_alias(Alias("amazon", "amz-de", "B0RED", "MUG-RED"))

    with pytest.raises(UnknownSkuError) as err:
        catalog.resolve("amazon", "amz-fr", "B0RED", at=T)

    assert (err.value.code, err.value.channel, err.value.shop) == ("B0RED", "amazon", "amz-fr")


def test_a_replaced_alias_keeps_old_orders_on_the_old_sku(catalog: Catalog) -> None:
    replaced = datetime(2026, 4, 1, tzinfo=UTC)
    catalog.add_alias(Alias("amazon", "amz-de", "B0MUG", "MUG-RED"))
    catalog.add_alias(Alias("amazon", "amz-de", "B0MUG", "MUG-BLUE", replaced))

    assert catalog.resolve("amazon", "amz-de", "B0MUG", at=replaced - timedelta(seconds=1)) == (
        "MUG-RED"
    )
    assert catalog.resolve("amazon", "amz-de", "B0MUG", at=replaced) == "MUG-BLUE"
    assert [a.target for a in catalog.alias_versions("amazon", "amz-de", "B0MUG")] == [
        "MUG-RED",
        "MUG-BLUE",
    ]


def test_a_replacement_added_before_an_older_version_is_still_ordered_by_date(
    catalog: Catalog,
) -> None:
    later = datetime(2026, 6, 1, tzinfo=UTC)
    catalog.add_alias(Alias("amazon", "amz-de", "B0MUG", "MUG-BLUE", later))
    catalog.add_alias(Alias("amazon", "amz-de", "B0MUG", "MUG-RED", EPOCH))

    assert catalog.resolve("amazon", "amz-de", "B0MUG", at=T) == "MUG-RED"
    assert catalog.resolve("amazon", "amz-de", "B0MUG", at=later) == "MUG-BLUE"


def test_an_alias_that_does_not_apply_yet_resolves_nothing(catalog: Catalog) -> None:
    catalog.add_alias(Alias("amazon", "amz-de", "B0NEW", "MUG-RED", T + timedelta(days=1)))

    with pytest.raises(UnknownSkuError):
        catalog.resolve("amazon", "amz-de", "B0NEW", at=T)


def test_an_alias_time_in_another_zone_is_kept_in_utc() -> None:
    shanghai = datetime(2026, 4, 1, 16, tzinfo=timezone(timedelta(hours=8)))
    alias = Alias(None, None, "OLD", "NEW", shanghai)

    assert alias.effective_from.tzinfo is UTC
    assert alias.effective_from == datetime(2026, 4, 1, 8, tzinfo=UTC)


def test_a_retired_code_resolves_to_its_successor(catalog: Catalog) -> None:
    catalog.add_alias(Alias(None, None, "MUG-R", "MUG-RED"))
    catalog.add_alias(Alias("amazon", "amz-de", "B0OLD", "MUG-R"))

    assert catalog.resolve("amazon", "amz-de", "B0OLD", at=T) == "MUG-RED"
    assert catalog.resolve("shopify", "web", "MUG-R", at=T) == "MUG-RED"


def test_a_chain_of_retirements_is_followed_to_the_end(catalog: Catalog) -> None:
    catalog.add_alias(Alias(None, None, "MUG-2", "MUG-RED"))
    catalog.add_alias(Alias(None, None, "MUG-1", "MUG-2"))

    assert catalog.resolve("shopify", "web", "MUG-1", at=T) == "MUG-RED"


def test_an_alias_needs_a_target_that_resolves(catalog: Catalog) -> None:
    with pytest.raises(UnknownSkuError) as err:
        catalog.add_alias(Alias("amazon", "amz-de", "B0X", "NOPE"))

    assert (err.value.code, err.value.channel, err.value.shop) == ("NOPE", "amazon", "amz-de")
    assert catalog.aliases() == []


def test_an_alias_for_a_shop_names_the_shops_own_channel(catalog: Catalog) -> None:
    with pytest.raises(ValidationError) as err:
        catalog.add_alias(Alias("ebay", "amz-de", "B0X", "LID"))

    assert (err.value.field, err.value.value) == ("channel", "ebay")


def test_a_shop_alias_without_a_channel_is_malformed() -> None:
    with pytest.raises(ValidationError) as err:
        Alias(None, "amz-de", "B0X", "LID")

    assert err.value.field == "channel"


def test_two_versions_of_one_alias_cannot_start_at_the_same_moment(catalog: Catalog) -> None:
    catalog.add_alias(Alias("amazon", "amz-de", "B0X", "LID", T))

    with pytest.raises(DuplicateError) as err:
        catalog.add_alias(Alias("amazon", "amz-de", "B0X", "SAUCER", T))

    assert err.value.kind == "alias"
    assert catalog.resolve("amazon", "amz-de", "B0X", at=T) == "LID"


def test_a_global_alias_that_would_loop_is_refused(catalog: Catalog) -> None:
    catalog.add_alias(Alias(None, None, "MUG-2", "MUG-RED"))
    catalog.add_alias(Alias(None, None, "MUG-1", "MUG-2"))
    before = contents(catalog)

    with pytest.raises(AliasCycleError) as err:
        catalog.add_alias(Alias(None, None, "MUG-RED", "MUG-1"))

    assert err.value.path == ("MUG-RED", "MUG-1", "MUG-2", "MUG-RED")
    assert contents(catalog) == before


# --- bundles ---------------------------------------------------------------------------


def test_a_bundle_ships_as_its_components_times_the_quantity(catalog: Catalog) -> None:
    assert catalog.expand("MUG-SET", 3) == {"MUG-RED": 6, "LID": 6}
    assert catalog.expand("LID", 4) == {"LID": 4}


def test_a_bundle_of_bundles_adds_up_shared_components(catalog: Catalog) -> None:
    catalog.add_bundle(Bundle("GIFT", (Component("MUG-SET", 2), Component("LID", 1))))

    assert catalog.expand("GIFT") == {"MUG-RED": 4, "LID": 5}


def test_a_bundles_sellable_quantity_is_set_by_its_scarcest_component(catalog: Catalog) -> None:
    assert catalog.sellable("MUG-SET", {"MUG-RED": 7, "LID": 9}) == 3
    assert catalog.sellable("MUG-SET", {"MUG-RED": 7, "LID": 1}) == 0
    assert catalog.sellable("MUG-SET", {"MUG-RED": 7}) == 0
    assert catalog.sellable("MUG-SET", {"MUG-RED": -4, "LID": 9}) == 0
    assert catalog.sellable("LID", {"LID": 5}) == 5


def test_a_bundle_needs_components_that_exist(catalog: Catalog) -> None:
    with pytest.raises(UnknownSkuError) as err:
        catalog.add_bundle(Bundle("TEA-SET", (Component("TEAPOT", 1), Component("LID", 1))))

    assert err.value.code == "TEAPOT"
    assert catalog.find_bundle("TEA-SET") is None


def test_a_bundle_that_contains_itself_is_a_cycle() -> None:
    with pytest.raises(BundleCycleError) as err:
        Bundle("SET", (Component("MUG", 1), Component("SET", 1)))

    assert err.value.path == ("SET", "SET")


def test_a_bundle_lists_each_component_once() -> None:
    with pytest.raises(ValidationError) as err:
        Bundle("SET", (Component("MUG", 1), Component("MUG", 1)))

    assert (err.value.field, err.value.value) == ("components", "MUG")


def test_a_bundle_has_at_least_one_component() -> None:
    with pytest.raises(ValidationError) as err:
        Bundle("SET", ())

    assert err.value.field == "components"


def test_order_lines_resolve_to_requirements_per_line(catalog: Catalog) -> None:
    catalog.add_alias(Alias("shopify", "web", "set", "MUG-SET"))

    requirements = catalog.requirements(
        "shopify", "web", lines(("set", 2), ("MUG-RED", 1), ("LID", 3)), at=T
    )

    # the set is 2 red mugs and 2 lids; a red mug shared with line 2 stays per line
    assert requirements == {
        (1, "MUG-RED"): 4,
        (1, "LID"): 4,
        (2, "MUG-RED"): 1,
        (3, "LID"): 3,
    }


def test_resolving_order_lines_names_the_first_unknown_listing_sku(catalog: Catalog) -> None:
    with pytest.raises(UnknownSkuError) as err:
        catalog.requirements("shopify", "web", lines(("LID", 1), ("B0NOPE", 1)), at=T)

    assert (err.value.code, err.value.shop) == ("B0NOPE", "web")


# --- writes in a unit of work's overlay ------------------------------------------------


def test_writes_on_an_overlay_stay_private_until_applied(catalog: Catalog) -> None:
    overlay = Catalog(parent=catalog)
    overlay.add_sku(Sku("TEAPOT"))
    overlay.add_alias(Alias("shopify", "web", "teapot", "TEAPOT"))

    assert overlay.resolve("shopify", "web", "teapot", at=T) == "TEAPOT"
    assert catalog.find_sku("TEAPOT") is None
    assert [type(c).__name__ for c in overlay.changes()] == ["Sku", "Alias"]

    catalog.apply(overlay.changes())

    assert catalog.resolve("shopify", "web", "teapot", at=T) == "TEAPOT"


def test_an_overlay_sees_its_parent_and_refuses_its_duplicates(catalog: Catalog) -> None:
    overlay = Catalog(parent=catalog)

    assert overlay.expand("MUG-SET") == {"MUG-RED": 2, "LID": 2}
    with pytest.raises(DuplicateError):
        overlay.add_sku(Sku("LID"))
    assert overlay.changes() == []


def test_a_new_alias_version_in_an_overlay_joins_the_parents_versions(catalog: Catalog) -> None:
    catalog.add_alias(Alias("amazon", "amz-de", "B0MUG", "MUG-RED"))
    overlay = Catalog(parent=catalog)
    replaced = datetime(2026, 4, 1, tzinfo=UTC)
    overlay.add_alias(Alias("amazon", "amz-de", "B0MUG", "MUG-BLUE", replaced))

    catalog.apply(overlay.changes())

    assert [a.target for a in catalog.alias_versions("amazon", "amz-de", "B0MUG")] == [
        "MUG-RED",
        "MUG-BLUE",
    ]


def test_a_bundle_applied_from_an_overlay_expands_in_the_parent(catalog: Catalog) -> None:
    assert catalog.expand("MUG-SET") == {"MUG-RED": 2, "LID": 2}
    overlay = Catalog(parent=catalog)
    overlay.add_bundle(Bundle("BIG-SET", (Component("MUG-SET", 2), Component("SAUCER", 4))))

    catalog.apply(overlay.changes())

    assert catalog.expand("BIG-SET") == {"MUG-RED": 4, "LID": 4, "SAUCER": 4}


@pytest.mark.parametrize(
    "code", ["", " MUG", "MUG ", None, 7], ids=["empty", "lead", "trail", "none", "int"]
)
def test_codes_are_non_empty_strings_without_outer_spaces(code: object) -> None:
    with pytest.raises(ValidationError) as err:
        Sku(code)  # type: ignore[arg-type]

    assert (err.value.field, err.value.value) == ("code", code)
