"""Settings survive their JSON document exactly: whatever review policy,
rule set and rate tables are generated, reading back what was written gives
equal settings (and the same text again)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ecerp.adapters.formats.settings import (
    dump_settings,
    load_settings,
    settings_from_dict,
    settings_to_dict,
)
from ecerp.domain.orders.holds import (
    Blacklisted,
    BuyerNote,
    IncompleteAddress,
    LikelyDuplicate,
    PaymentMismatch,
    PoBox,
    ReviewPolicy,
    Unpaid,
    ValueOver,
)
from ecerp.domain.settings import ExternalCheck, Settings
from ecerp.domain.shared.errors import ValidationError
from ecerp.domain.shared.money import Money
from ecerp.testing import strategies as es

from .test_routing_properties import rate_tables, rule_sets

CODES = st.text(
    st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=20
).filter(str.strip)
ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postcode", "country")


@st.composite
def limits(draw: st.DrawFn) -> dict[str, Money]:
    currencies = draw(st.sets(st.sampled_from(("EUR", "USD", "JPY", "KWD")), min_size=1))
    return {c: Money(draw(es.amounts(c, max_units=10**9)), c) for c in currencies}


CHECKS: list[st.SearchStrategy[Any]] = [
    st.builds(BuyerNote),
    st.builds(Unpaid),
    st.builds(PaymentMismatch),
    st.builds(
        IncompleteAddress,
        required=st.lists(st.sampled_from(ADDRESS_FIELDS), unique=True).map(tuple),
        no_postcode=st.frozensets(st.sampled_from(("HK", "IE", "AE", "QA"))),
    ),
    st.builds(PoBox),
    st.builds(Blacklisted),
    st.builds(ValueOver, limits()),
    st.builds(LikelyDuplicate, window=st.timedeltas(timedelta(0), timedelta(days=400))),
]


@st.composite
def review_policies(draw: st.DrawFn) -> ReviewPolicy | None:
    if draw(st.booleans()):
        return None
    builtins = draw(st.lists(st.sampled_from(range(len(CHECKS))), unique=True))
    checks = [draw(CHECKS[i]) for i in builtins]
    externals = draw(st.lists(CODES, unique=True, max_size=3))
    taken = {c.code for c in checks}
    checks += [ExternalCheck(code) for code in externals if code not in taken]
    return ReviewPolicy(tuple(draw(st.permutations(checks))))


WAREHOUSES = st.sampled_from(("*", "BER", "PAR", "仓库-1"))


@st.composite
def settings(draw: st.DrawFn) -> Settings:
    return Settings(
        review=draw(review_policies()),
        blacklist=draw(st.lists(CODES.filter(str.strip), max_size=4)),
        rules=draw(st.none() | rule_sets()),
        rate_tables=draw(st.dictionaries(WAREHOUSES, st.lists(rate_tables(), max_size=2))),
    )


@given(settings())
def test_settings_read_back_from_their_document_are_equal(value: Settings) -> None:
    text = dump_settings(value)

    again = load_settings(text)

    assert again == value
    assert dump_settings(again) == text


GARBAGE: st.SearchStrategy[object] = (
    st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.just([]) | st.just({})
)


def _paths(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(data, dict):
        for k, v in data.items():
            found += _paths(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            found += _paths(v, (*path, i))
    return found


@st.composite
def broken_documents(draw: st.DrawFn) -> object:
    """A valid document with one value anywhere in it replaced by garbage."""
    data = settings_to_dict(draw(settings()))
    path = draw(st.sampled_from(_paths(data)))
    garbage = draw(GARBAGE)
    if not path:
        return garbage
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = garbage
    return data


@given(broken_documents())
def test_a_broken_document_is_refused_naming_settings_or_read_as_valid_settings(
    data: object,
) -> None:
    try:
        value = settings_from_dict(data)
    except ValidationError as err:
        refused = str(err.fields["field"])
    else:
        refused = "settings"
        assert settings_from_dict(settings_to_dict(value)) == value
    assert refused.startswith("settings")
