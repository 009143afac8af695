"""Resolution and bundle expansion answer the same whatever was asked
before: the catalog may remember answers, but any write (to a view or to
the catalog under it) must show in the very next answer.

The expected answers come from a small independent model of the rules
(alias versions by effective date, shop before channel, then global aliases
followed; bundles expanded recursively), built from what the catalog lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ecerp.domain.catalog.aliases import Alias, Bundle, Component
from ecerp.domain.catalog.catalog import Catalog
from ecerp.domain.catalog.errors import UnknownSkuError
from ecerp.domain.catalog.products import EPOCH, Shop, Sku
from ecerp.domain.shared.errors import EcerpError

SKUS = ("A", "B", "C", "D")
BUNDLES = ("X", "Y", "Z")
LISTINGS = ("L1", "L2", "L3")
CODES = SKUS + BUNDLES + LISTINGS
DAY = timedelta(days=1)
#: Version dates: the beginning of time and three later days.
DATES = (EPOCH, EPOCH + DAY, EPOCH + 2 * DAY, EPOCH + 3 * DAY)
#: When orders are placed: before, on and just before every version date, and long after.
MOMENTS = (
    datetime(1960, 1, 1, tzinfo=UTC),
    *DATES,
    *(d - timedelta(microseconds=1) for d in DATES[1:]),
    EPOCH + 400 * DAY,
)
SHOPS = (("web", "shopify"), ("amz", "amazon"))


@dataclass(frozen=True)
class Model:
    """What a catalog lists, and the rules applied to it naively."""

    aliases: tuple[Alias, ...]
    skus: frozenset[str]
    bundles: dict[str, Bundle]

    @classmethod
    def of(cls, catalog: Catalog) -> Model:
        return cls(
            tuple(catalog.aliases()),
            frozenset(s.code for s in catalog.skus()),
            {b.code: b for b in catalog.bundles()},
        )

    def alias_at(
        self, channel: str | None, shop: str | None, code: str, at: datetime
    ) -> Alias | None:
        applying = [
            a
            for a in self.aliases
            if (a.channel, a.shop, a.listing_sku) == (channel, shop, code)
            and a.effective_from <= at
        ]
        return max(applying, key=lambda a: a.effective_from, default=None)

    def resolve(self, channel: str, shop: str, listing: str, at: datetime) -> str | None:
        alias = self.alias_at(channel, shop, listing, at) or self.alias_at(
            channel, None, listing, at
        )
        code = alias.target if alias is not None else listing
        visited: set[str] = set()
        while (nxt := self.alias_at(None, None, code, at)) is not None:
            if code in visited:
                return None
            visited.add(code)
            code = nxt.target
        return code if code in self.skus or code in self.bundles else None

    def expand(self, code: str, qty: int) -> dict[str, int]:
        if code in self.skus:
            return {code: qty}
        result: dict[str, int] = {}
        for comp in self.bundles[code].components:
            for sku, n in self.expand(comp.code, comp.qty * qty).items():
                result[sku] = result.get(sku, 0) + n
        return result


@dataclass(frozen=True)
class Line:
    line_no: int
    listing_sku: str
    qty: int


@dataclass(frozen=True)
class AddSku:
    where: str
    code: str


@dataclass(frozen=True)
class AddBundle:
    where: str
    code: str
    parts: dict[str, int]


@dataclass(frozen=True)
class AddAlias:
    where: str
    scope: str
    shop: tuple[str, str]
    listing: str
    target: str
    since: datetime


@dataclass(frozen=True)
class Commit:
    """The view's unit of work commits; the next unit gets a new view."""


@dataclass(frozen=True)
class Ask:
    shop: tuple[str, str]
    lines: list[tuple[str, int]]
    at: datetime


Op = AddSku | AddBundle | AddAlias | Commit | Ask

codes = st.sampled_from(CODES)
where = st.sampled_from(("view", "store"))
add_alias = st.builds(
    AddAlias,
    where,
    st.sampled_from(("shop", "channel", "global")),
    st.sampled_from(SHOPS),
    codes,
    codes,
    st.sampled_from(DATES),
)
ask = st.builds(
    Ask,
    st.sampled_from(SHOPS),
    st.lists(st.tuples(codes, st.integers(1, 4)), min_size=1, max_size=3),
    st.sampled_from(MOMENTS),
)
operations: st.SearchStrategy[Op] = st.one_of(
    st.builds(AddSku, where, st.sampled_from(SKUS)),
    st.builds(
        AddBundle,
        where,
        st.sampled_from(BUNDLES),
        st.dictionaries(codes, st.integers(1, 3), min_size=1, max_size=3),
    ),
    add_alias,
    add_alias,  # twice as likely: aliases are what the answers depend on most
    st.builds(Commit),
    ask,
    ask,
)


def check_answers(
    catalog: Catalog, shop: tuple[str, str], lines: list[tuple[str, int]], at: datetime
) -> None:
    model = Model.of(catalog)
    code, channel = shop
    expected: dict[tuple[int, str], int] | None = {}
    for no, (listing, qty) in enumerate(lines, 1):
        end = model.resolve(channel, code, listing, at)
        try:
            got = catalog.resolve(channel, code, listing, at=at)
        except UnknownSkuError:
            got = None
        assert got == end, (listing, at)
        if end is None:
            expected = None
            continue
        assert catalog.expand(end, qty) == model.expand(end, qty)
        if expected is not None:
            expected.update({(no, sku): n for sku, n in model.expand(end, qty).items()})
    asked = [Line(no, listing, qty) for no, (listing, qty) in enumerate(lines, 1)]
    try:
        requirements: dict[tuple[int, str], int] | None = catalog.requirements(
            channel, code, asked, at=at
        )
    except UnknownSkuError:
        requirements = None
    assert requirements == expected


@given(st.lists(operations, min_size=10, max_size=40))
def test_answers_follow_every_catalog_change_in_a_view_and_under_it(ops: list[Op]) -> None:
    store = Catalog()
    for code, channel in SHOPS:
        store.add_shop(Shop(code, channel=channel))
    for code in SKUS[:3]:  # a catalog to start from: most aliases have a target
        store.add_sku(Sku(code))
    store.add_bundle(Bundle("X", (Component("A", 2), Component("B", 1))))
    view = Catalog(parent=store)
    onlooker = Catalog(parent=store)  # another unit of work, only reading
    for op in ops:
        if isinstance(op, Commit):
            store.apply(view.changes())
            view = Catalog(parent=store)
            continue
        if isinstance(op, Ask):
            for catalog in (view, onlooker, store):
                check_answers(catalog, op.shop, op.lines, op.at)
                for each_shop in SHOPS:  # and every listing: any answer may be remembered
                    check_answers(catalog, each_shop, [(code, 1) for code in CODES], op.at)
            continue
        target = view if op.where == "view" else store
        try:
            if isinstance(op, AddSku):
                target.add_sku(Sku(op.code))
            elif isinstance(op, AddBundle):
                target.add_bundle(
                    Bundle(op.code, tuple(Component(c, q) for c, q in op.parts.items()))
                )
            else:
                shop, channel = op.shop
                target.add_alias(
                    Alias(
                        None if op.scope == "global" else channel,
                        shop if op.scope == "shop" else None,
                        op.listing,
                        op.target,
                        op.since,
                    )
                )
        except EcerpError:
            pass  # refused (duplicate, unknown target, cycle): nothing changed


def test_a_replacement_committed_under_a_view_shows_in_its_next_answer() -> None:
    store = Catalog()
    store.add_shop(Shop("web", channel="shopify"))
    for code in ("MUG-RED", "MUG-BLUE"):
        store.add_sku(Sku(code))
    store.add_alias(Alias("shopify", "web", "red-mug", "MUG-RED"))
    view = Catalog(parent=store)
    later = EPOCH + 10 * DAY
    assert view.resolve("shopify", "web", "red-mug", at=later) == "MUG-RED"
    writer = Catalog(parent=store)
    writer.add_alias(Alias("shopify", "web", "red-mug", "MUG-BLUE", EPOCH + 5 * DAY))
    store.apply(writer.changes())
    assert view.resolve("shopify", "web", "red-mug", at=later) == "MUG-BLUE"
    assert view.resolve("shopify", "web", "red-mug", at=EPOCH + 4 * DAY) == "MUG-RED"


def test_a_sku_retired_in_the_view_resolves_to_its_successor_from_that_day() -> None:
    view = Catalog(parent=Catalog())
    view.add_shop(Shop("web", channel="shopify"))
    view.add_sku(Sku("OLD"))
    assert view.requirements("shopify", "web", [Line(1, "OLD", 2)], at=EPOCH + 9 * DAY) == {
        (1, "OLD"): 2
    }
    view.add_sku(Sku("NEW"))
    view.add_bundle(Bundle("PAIR", (Component("NEW", 2),)))
    view.add_alias(Alias(None, None, "OLD", "PAIR", EPOCH + 5 * DAY))
    assert view.requirements("shopify", "web", [Line(1, "OLD", 2)], at=EPOCH + 9 * DAY) == {
        (1, "NEW"): 4
    }
    assert view.requirements("shopify", "web", [Line(1, "OLD", 2)], at=EPOCH + 4 * DAY) == {
        (1, "OLD"): 2
    }
