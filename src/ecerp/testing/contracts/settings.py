"""The settings repository contract: versions, attribution, history, reopening.

Part of :class:`~ecerp.testing.contracts.BackendContract`; a backend may also
run it alone (override ``uow_factory``, and ``reopen_uow_factory`` when its
store outlives its objects)::

    class TestMySettings(SettingsRepositoryContract):
        @pytest.fixture
        def uow_factory(self): ...
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ecerp.domain.carriers.rates import RateTable
from ecerp.domain.carriers.zones import Fee, RemoteArea, Zone, ZonePrice
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
from ecerp.domain.routing.conditions import AmountRange, Conditions, SetMatch
from ecerp.domain.routing.rules import Actions, Rule, RuleSet
from ecerp.domain.settings import ExternalCheck, Settings, SettingsVersion
from ecerp.domain.shared.errors import ConcurrencyError, ValidationError
from ecerp.domain.shared.money import Money
from ecerp.ports.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]
T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)


def rich_settings() -> Settings:
    """Settings using every kind of value a store keeps."""
    eur = Money.of
    review = ReviewPolicy(
        (
            BuyerNote(),
            Unpaid(code="unpaid_check"),
            PaymentMismatch(),
            IncompleteAddress(required=("name", "city"), no_postcode=frozenset({"HK"})),
            PoBox(),
            Blacklisted(),
            ValueOver({"EUR": eur("499.99", "EUR"), "JPY": Money.of("80000", "JPY")}),
            LikelyDuplicate(window=timedelta(hours=6, microseconds=7)),
            ExternalCheck("far_away"),
        )
    )
    rules = RuleSet(
        (
            Rule(
                "big-de",
                Actions(warehouse="BER", tags=frozenset({"vip"}), priority=3),
                Conditions(
                    countries=frozenset({"DE"}),
                    amount=AmountRange(eur("100.005", "EUR"), None),
                    skus=SetMatch(any_of=frozenset({"MUG"})),
                ),
            ),
            Rule("check", Actions(hold="look first"), enabled=False),
        )
    )
    table = RateTable(
        "dhl",
        "paket",
        "EUR",
        zones=[Zone("home", "DE"), Zone("eu", "FR", postcode_prefix="75")],
        prices=[
            ZonePrice("eu", 1000, eur("9.00", "EUR"), 500, eur("1.25", "EUR")),
            ZonePrice("home", 1000, eur("4.495", "EUR"), 500, eur("1.00", "EUR")),
        ],
        volumetric_divisor=5000,
        fees=[Fee("handling", eur("0.40", "EUR"))],
        fuel_percent=Decimal("7.5"),
        remote_areas=[RemoteArea("DE", "18565", eur("12.00", "EUR"))],
        max_weight_g=31_500,
        refuses_po_boxes=True,
    )
    return Settings(
        review=review,
        blacklist=["Fraud@Example.com", "buyer-9"],
        rules=rules,
        rate_tables={"*": [table], "BER": [table]},
    )


def _store(uow_factory: UowFactory, version: SettingsVersion) -> None:
    with uow_factory() as uow:
        uow.settings.add(version)
        uow.commit()


def _read(uow_factory: UowFactory) -> tuple[int, SettingsVersion, list[SettingsVersion]]:
    with uow_factory() as uow:
        return uow.settings.version(), uow.settings.current(), list(uow.settings.history())


class SettingsRepositoryContract:
    """What every backend's ``uow.settings`` must do."""

    @pytest.fixture
    def uow_factory(self) -> UowFactory:
        raise NotImplementedError("override the uow_factory fixture for your backend")

    @pytest.fixture
    def supports_nested_units(self) -> bool:
        return False

    @pytest.fixture
    def reopen_uow_factory(self) -> Callable[[], UowFactory] | None:
        return None

    def test_a_new_store_has_the_default_settings_and_no_history(
        self, uow_factory: UowFactory
    ) -> None:
        version, current, history = _read(uow_factory)

        assert (version, current, history) == (0, SettingsVersion.initial(), [])
        assert current.settings == Settings()

    def test_a_stored_version_keeps_who_when_what_changed_and_every_value(
        self, uow_factory: UowFactory
    ) -> None:
        stored = SettingsVersion(1, rich_settings(), "lea", T0, ("review", "rules"))

        _store(uow_factory, stored)
        version, current, history = _read(uow_factory)

        assert version == 1
        assert current == stored
        assert history == [stored]
        assert current.at is not None
        assert current.at.tzinfo is UTC

    def test_versions_follow_each_other_and_history_lists_them_oldest_first(
        self, uow_factory: UowFactory
    ) -> None:
        first = SettingsVersion(1, Settings(blacklist=["a"]), "lea", T0, ("blacklist",))
        second = SettingsVersion(
            2, rich_settings(), "max", T0 + timedelta(hours=1), ("review", "rules")
        )

        _store(uow_factory, first)
        _store(uow_factory, second)
        version, current, history = _read(uow_factory)

        assert (version, current, history) == (2, second, [first, second])

    def test_a_version_that_does_not_follow_the_latest_is_refused(
        self, uow_factory: UowFactory
    ) -> None:
        with uow_factory() as uow, pytest.raises(ValidationError) as refused:
            uow.settings.add(SettingsVersion(2, Settings(), "lea", T0, ()))

        assert refused.value.fields["field"] == "version"
        assert _read(uow_factory)[0] == 0

    def test_a_version_not_committed_is_not_stored(self, uow_factory: UowFactory) -> None:
        with uow_factory() as uow:
            uow.settings.add(SettingsVersion(1, rich_settings(), "lea", T0, ("review",)))
            assert uow.settings.version() == 1  # the unit sees its own work

        assert _read(uow_factory)[:2] == (0, SettingsVersion.initial())

    def test_reopening_the_store_finds_every_version(
        self,
        uow_factory: UowFactory,
        reopen_uow_factory: Callable[[], UowFactory] | None,
    ) -> None:
        if reopen_uow_factory is None:
            pytest.skip("the store does not outlive its objects")
        first = SettingsVersion(1, Settings(blacklist=["a"]), "lea", T0, ("blacklist",))
        second = SettingsVersion(2, rich_settings(), "max", T0, ("review",))
        _store(uow_factory, first)
        _store(uow_factory, second)

        assert _read(reopen_uow_factory()) == (2, second, [first, second])

    def test_two_units_storing_the_same_version_number_conflict(
        self, uow_factory: UowFactory, supports_nested_units: bool
    ) -> None:
        if not supports_nested_units:
            pytest.skip("a second unit cannot be opened while one is open")
        mine = SettingsVersion(1, Settings(blacklist=["a"]), "lea", T0, ("blacklist",))
        theirs = SettingsVersion(1, Settings(blacklist=["b"]), "max", T0, ("blacklist",))

        with uow_factory() as first:
            first.settings.add(mine)
            with uow_factory() as second:
                second.settings.add(theirs)
                second.commit()
            with pytest.raises(ConcurrencyError):
                first.commit()

        assert _read(uow_factory)[1:] == (theirs, [theirs])


__all__ = ["SettingsRepositoryContract", "rich_settings"]
