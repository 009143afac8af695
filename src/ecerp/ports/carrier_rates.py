"""The carrier rates port: live freight quotes from a carrier's API.

Rate tables (:class:`~ecerp.domain.carriers.rates.RateTable`) price services from
data; some carriers only quote live (negotiated rates, daily fuel
surcharges).  An adapter for such a carrier implements :class:`CarrierRates`
and answers exactly like a rate table would: a
:class:`~ecerp.domain.carriers.parcels.Quote` for a parcel it can carry, ``None`` for
one it cannot, so carrier choice treats both sources alike.

Adapters may do I/O (HTTP calls, caching); the port itself imports only the
domain.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ecerp.domain.carriers.parcels import Parcel, Quote
from ecerp.domain.shared.errors import EcerpError


class CarrierRatesUnavailableError(EcerpError):
    """The carrier could not be asked right now (network down, timeout, rate
    limited, its API failing).  Retrying later may succeed; callers fall back
    to rate tables or hold the order.  ``carrier`` names the carrier,
    ``reason`` says what went wrong."""

    carrier: str
    reason: str

    def __init__(self, carrier: str, reason: str) -> None:
        super().__init__(
            f"carrier {carrier}: live rates unavailable: {reason}", carrier=carrier, reason=reason
        )


@runtime_checkable
class CarrierRates(Protocol):
    """Live quotes for the services of one carrier."""

    @property
    def carrier(self) -> str:
        """The carrier's code, as in the quotes it returns."""
        ...

    def quote(self, service: str, parcel: Parcel) -> Quote | None:
        """The price of ``parcel`` with ``service``.

        Returns ``None`` when the service does not serve the parcel's
        destination or the parcel is over its weight or size limits, as
        :meth:`~ecerp.domain.carriers.rates.RateTable.quote` does.  A returned
        quote has ``carrier`` equal to :attr:`carrier`, ``service`` equal to
        ``service``, an amount rounded to its currency's minor unit, and a
        ``chargeable_weight_g`` not below ``parcel.weight_g``.  Asking twice
        for the same parcel must not book anything with the carrier.

        Raises:
            NotFoundError: the carrier has no service ``service``
                (``kind="carrier service"``).
            CarrierRatesUnavailableError: the carrier could not be asked now.
        """
        ...


__all__ = ["CarrierRates", "CarrierRatesUnavailableError"]
