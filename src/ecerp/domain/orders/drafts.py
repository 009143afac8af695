"""What a channel sends: addresses, buyers, lines, the channel order draft."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import attrs

from ecerp.domain.orders.ids import channel_order_id
from ecerp.domain.orders.status import OrderStatus, Requirements
from ecerp.domain.shared.errors import CurrencyMismatchError, ValidationError
from ecerp.domain.shared.money import Money, money_validator, optional_money_validator
from ecerp.domain.shared.values import (
    MAX_LINES,
    MAX_QTY,
    channel_validator,
    code_validator,
    flag_validator,
    instance_validator,
    note_validator,
    positive_qty_validator,
    priority_validator,
    require_texts,
    require_utc,
    str_frozenset,
    text_validator,
    to_utc,
    utc_validator,
)


@attrs.frozen
class Address:
    """Where an order goes: each field text of at most 200 characters."""

    name: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = ""
    postcode: str = ""
    country: str = ""
    phone: str = ""

    def __attrs_post_init__(self) -> None:
        require_texts(
            _ADDRESS_FIELDS,
            (
                self.name,
                self.line1,
                self.line2,
                self.city,
                self.region,
                self.postcode,
                self.country,
                self.phone,
            ),
        )


_ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postcode", "country", "phone")


@attrs.frozen
class Buyer:
    """Who bought: each field text of at most 200 characters."""

    id: str = ""
    name: str = ""
    email: str = ""

    def __attrs_post_init__(self) -> None:
        require_texts(("id", "name", "email"), (self.id, self.name, self.email))


@attrs.frozen
class ChannelLine:
    """A line as the channel sent it: listing SKU, quantity, unit price, discount."""

    listing_sku: str = attrs.field(validator=code_validator)
    qty: int = attrs.field(validator=positive_qty_validator)
    unit_price: Money = attrs.field(validator=money_validator)
    discount: Money | None = attrs.field(default=None, validator=optional_money_validator)
    title: str = attrs.field(default="", validator=text_validator)


@attrs.frozen
class OrderLine:
    line_no: int
    listing_sku: str
    qty: int
    unit_price: Money
    discount: Money
    title: str = ""

    def total(self) -> Money:
        return self.unit_price * self.qty - self.discount


def _lines(value: Iterable[ChannelLine]) -> tuple[ChannelLine, ...]:
    if type(value) is tuple:
        return value
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ValidationError("lines", value, "must be a collection of ChannelLine")
    return tuple(value)


@attrs.frozen
class ChannelOrder:
    """An order as a channel (or a file, or a person) gives it to ecerp.

    ``updated_at`` is the channel's version of the order; defaults to
    ``ordered_at``.  Invalid values raise when the draft is built.
    """

    channel: str = attrs.field(validator=channel_validator)
    shop: str = attrs.field(validator=code_validator)
    external_id: str = attrs.field(validator=code_validator)
    ordered_at: datetime = attrs.field(converter=to_utc, validator=utc_validator)
    currency: str = attrs.field()
    lines: tuple[ChannelLine, ...] = attrs.field(converter=_lines)
    updated_at: datetime | None = None
    buyer: Buyer = attrs.field(default=Buyer(), validator=instance_validator(Buyer))
    address: Address = attrs.field(default=Address(), validator=instance_validator(Address))
    paid: bool = attrs.field(default=False, validator=flag_validator)
    paid_amount: Money | None = attrs.field(default=None, validator=optional_money_validator)
    cancelled: bool = attrs.field(default=False, validator=flag_validator)
    buyer_note: str = attrs.field(default="", validator=note_validator)
    shipping_level: str = attrs.field(default="", validator=text_validator)
    priority: int = attrs.field(default=0, validator=priority_validator)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=str_frozenset)
    payment_reference: str = attrs.field(default="", validator=text_validator)
    """The payment provider's transaction id (e.g. PayPal), for review checks."""

    def __attrs_post_init__(self) -> None:
        if self.updated_at is None:
            object.__setattr__(self, "updated_at", self.ordered_at)
        else:
            object.__setattr__(self, "updated_at", require_utc("updated_at", self.updated_at))
        Money.zero(self.currency)  # validates the code
        if not self.lines:
            raise ValidationError("lines", (), f"order {self.external_id} has no lines")
        if len(self.lines) > MAX_LINES:
            raise ValidationError("lines", len(self.lines), f"at most {MAX_LINES} lines an order")
        for i, line in enumerate(self.lines, 1):
            if type(line) is not ChannelLine:
                raise ValidationError(f"lines[{i}]", line, "must be a ChannelLine")
            for name, amount in (("unit_price", line.unit_price), ("discount", line.discount)):
                if amount is not None and amount.currency != self.currency:
                    raise CurrencyMismatchError(self.currency, amount.currency)
                if amount is not None and amount.amount < 0:
                    raise ValidationError(f"lines[{i}].{name}", amount, "must not be negative")
        if self.paid_amount is not None and self.paid_amount.currency != self.currency:
            raise CurrencyMismatchError(self.currency, self.paid_amount.currency)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.channel, self.shop, self.external_id)

    @property
    def version(self) -> datetime:
        assert self.updated_at is not None  # set in __attrs_post_init__
        return self.updated_at

    def order_lines(self) -> list[OrderLine]:
        zero = Money.zero(self.currency)
        return [
            OrderLine(i, cl.listing_sku, cl.qty, cl.unit_price, cl.discount or zero, cl.title)
            for i, cl in enumerate(self.lines, 1)
        ]


@attrs.frozen
class UnmappedSku:
    """A listing SKU of ``channel`` and ``shop`` that the catalog could not
    resolve when an order needed it."""

    channel: str
    shop: str
    listing_sku: str

    def __str__(self) -> str:
        return f"{self.channel}/{self.shop}/{self.listing_sku}"


def order_id(channel: str, shop: str, external_id: str) -> str:
    """The internal id of a channel order: readable, deterministic, and
    distinct for distinct keys (see :mod:`ecerp.domain.orders.ids`)."""
    return channel_order_id(channel, shop, external_id)


@attrs.frozen
class StatusChange:
    at: datetime
    actor: str
    from_: OrderStatus
    to: OrderStatus
    note: str = ""


@attrs.frozen
class Change:
    """One audited edit: ``field`` went from ``before`` to ``after``."""

    at: datetime
    actor: str
    field: str
    before: str
    after: str


def line_values(lines: Iterable[OrderLine]) -> list[tuple[object, ...]]:
    """Lines as values: ``9.9`` and ``9.90`` are the same price."""
    return [(ln.listing_sku, ln.qty, ln.unit_price, ln.discount, ln.title) for ln in lines]


def describe_lines(lines: Iterable[OrderLine]) -> str:
    """Lines as one line of text, for the audit trail."""
    return "; ".join(
        f"{ln.listing_sku} x{ln.qty} @ {ln.unit_price.amount} -{ln.discount.amount}" for ln in lines
    )


def check_requirements(lines: Iterable[OrderLine], requirements: Requirements) -> None:
    """Check that ``requirements`` cover exactly ``lines``, each a positive quantity.

    Raises:
        ValidationError: a line without requirements, a requirement for no
            line, or a quantity that is not a positive int up to ``MAX_QTY``.
    """
    line_nos = {ln.line_no for ln in lines}
    covered = {line for line, _ in requirements}
    if covered != line_nos:
        raise ValidationError(
            "requirements", sorted(covered), f"must cover lines {sorted(line_nos)}"
        )
    for key, qty in requirements.items():
        if type(qty) is not int or qty <= 0 or qty > MAX_QTY:
            raise ValidationError(
                f"requirements[{key}]", qty, f"must be a positive int up to {MAX_QTY}"
            )
