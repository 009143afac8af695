"""A seller's hasty channel mapper meets real marketplace payloads.

The payloads below have the shapes of the platforms' published examples
(Shopify Admin REST, WooCommerce REST v3, Amazon SP-API Orders v0), with
their known traps: amounts as strings in some fields and numbers in others,
ids as numbers, naive "GMT" times, ``None`` for a missing note, an empty
SKU, a refund line of quantity -1, a JPY order whose gift wrap is in GBP,
``"true"`` as a boolean, HTML entities and emoji in titles.

The mapper passes values through as they come.  Whatever it builds, only an
:class:`EcerpError` naming the field may come back; a draft that could be
built goes through ``process``/``accept``/``import_stream`` next to the
refused ones (a dict or ``None`` where a draft belongs), which are one
``rejected`` outcome each while the good ones are stored, and the books stay
sound on every backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecerp import (
    ERP,
    ChannelLine,
    ChannelOrder,
    EcerpError,
    Money,
    OutcomeKind,
    Shop,
    Sku,
    Warehouse,
    open_erp,
)
from ecerp.adapters.clock import SimulatedClock
from ecerp.domain.shared.errors import ValidationError

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)

SHOPIFY_ORDER: dict[str, Any] = {
    "id": 450789469,
    "name": "#1001",
    "created_at": "2008-01-10T11:00:00-05:00",
    "currency": "USD",
    "financial_status": "authorized",
    "note": None,
    "line_items": [
        {"sku": "IPOD2008GREEN", "quantity": 1, "price": "199.00", "title": "IPod Nano - 8gb"},
        {"sku": "IPOD2008RED", "quantity": 1, "price": "199.00", "title": "IPod Nano - 8gb"},
    ],
}
WOO_ORDER: dict[str, Any] = {
    "id": 727,
    "number": "727",
    "date_created_gmt": "2017-03-22T19:28:02",
    "currency": "USD",
    "status": "processing",
    "customer_note": "",
    "line_items": [
        {"sku": "", "quantity": 2, "price": 3, "name": "Woo Single #1"},
        {"sku": "Bar3", "quantity": 1, "price": 12, "name": "Ship Your Idea &ndash; Color: Black"},
    ],
}
WOO_REFUND_LINE: dict[str, Any] = {"sku": "Bar3", "quantity": -1, "price": 12}
AMAZON_ITEMS: dict[str, Any] = {
    "AmazonOrderId": "903-1671087-0812628",
    "PurchaseDate": "2017-01-20T19:49:35Z",
    "OrderItems": [
        {
            "SellerSKU": "CBA_OTF_1",
            "QuantityOrdered": 1,
            "ItemPrice": {"CurrencyCode": "JPY", "Amount": "25.99"},
            "GiftWrapPrice": {"CurrencyCode": "GBP", "Amount": "41.99"},
            "BuyerRequestedCancel": {"IsBuyerRequestedCancel": "true"},
        }
    ],
}

#: What a hasty mapper builds from each payload, field by field as it came.
HASTY: dict[str, Callable[[], object]] = {
    "shopify price as a string": lambda: ChannelLine("IPOD2008GREEN", 1, "199.00"),  # type: ignore[arg-type]
    "shopify numeric id": lambda: ChannelOrder(
        "shopify",
        "web",
        SHOPIFY_ORDER["id"],
        T0,
        "USD",
        (ChannelLine("IPOD2008GREEN", 1, Money.of("199.00", "USD")),),
    ),
    "shopify time as a string": lambda: ChannelOrder(
        "shopify",
        "web",
        "1001",
        SHOPIFY_ORDER["created_at"],
        "USD",
        (ChannelLine("IPOD2008GREEN", 1, Money.of("199.00", "USD")),),
    ),
    "shopify note None": lambda: ChannelOrder(
        "shopify",
        "web",
        "1001",
        T0,
        "USD",
        (ChannelLine("IPOD2008GREEN", 1, Money.of("199.00", "USD")),),
        buyer_note=SHOPIFY_ORDER["note"],
    ),
    "woo empty sku": lambda: ChannelLine("", 2, Money.of(3, "USD")),
    "woo refund line": lambda: ChannelLine(
        "Bar3", WOO_REFUND_LINE["quantity"], Money.of(12, "USD")
    ),
    "woo naive gmt time": lambda: ChannelOrder(
        "woocommerce",
        "woo",
        "727",
        datetime.fromisoformat(WOO_ORDER["date_created_gmt"]),
        "USD",
        (ChannelLine("Bar3", 1, Money.of(12, "USD")),),
    ),
    "woo lines as dicts": lambda: ChannelOrder(
        "woocommerce", "woo", "727", T0, "USD", WOO_ORDER["line_items"]
    ),
    "amazon gift wrap in another currency": lambda: ChannelOrder(
        "amazon",
        "amz",
        AMAZON_ITEMS["AmazonOrderId"],
        T0,
        "JPY",
        (
            ChannelLine("CBA_OTF_1", 1, Money.of("25.99", "JPY")),
            ChannelLine("GIFTWRAP", 1, Money.of("41.99", "GBP")),
        ),
    ),
    "amazon 'true' as a boolean": lambda: ChannelOrder(
        "amazon",
        "amz",
        AMAZON_ITEMS["AmazonOrderId"],
        T0,
        "JPY",
        (ChannelLine("CBA_OTF_1", 1, Money.of("25.99", "JPY")),),
        cancelled="true",  # type: ignore[arg-type]
    ),
    "a float price": lambda: Money.of(25.99, "USD"),  # type: ignore[arg-type]
    "a price with a decimal comma": lambda: Money.of("1,99", "EUR"),
    "an absurd price": lambda: Money.of("1e400", "USD"),
    "a quantity as a string": lambda: ChannelLine("Bar3", "2", Money.of(12, "USD")),  # type: ignore[arg-type]
    "a huge quantity": lambda: ChannelLine("Bar3", 10**30, Money.of(12, "USD")),
}


@pytest.mark.parametrize("case", sorted(HASTY))
def test_a_hasty_mapping_is_refused_with_a_typed_error_naming_the_field(case: str) -> None:
    with pytest.raises(EcerpError) as refused:
        HASTY[case]()
    if isinstance(refused.value, ValidationError):
        assert refused.value.fields, "the error names the field"


def good_drafts() -> list[ChannelOrder]:
    """What a careful mapper makes of the same payloads."""
    shopify = ChannelOrder(
        "shopify",
        "web",
        SHOPIFY_ORDER["name"],  # "#1001": a '#' is part of the id
        datetime.fromisoformat(SHOPIFY_ORDER["created_at"]),
        "USD",
        tuple(
            ChannelLine(li["sku"], li["quantity"], Money.of(li["price"], "USD"), title=li["title"])
            for li in SHOPIFY_ORDER["line_items"]
        ),
        paid=SHOPIFY_ORDER["financial_status"] == "paid",
        buyer_note=SHOPIFY_ORDER["note"] or "",
    )
    woo = ChannelOrder(
        "woocommerce",
        "woo",
        str(WOO_ORDER["id"]),
        datetime.fromisoformat(WOO_ORDER["date_created_gmt"]).replace(tzinfo=UTC),
        "USD",
        tuple(
            ChannelLine(li["sku"], li["quantity"], Money.of(li["price"], "USD"), title=li["name"])
            for li in WOO_ORDER["line_items"]
            if li["sku"]  # a line without SKU cannot be fulfilled from stock
        ),
        paid=True,
    )
    item = AMAZON_ITEMS["OrderItems"][0]
    amazon = ChannelOrder(
        "amazon",
        "amz",
        AMAZON_ITEMS["AmazonOrderId"],
        datetime.fromisoformat(AMAZON_ITEMS["PurchaseDate"]),
        "JPY",
        (ChannelLine(item["SellerSKU"], item["QuantityOrdered"], Money.of("26", "JPY")),),
        paid=True,
        cancelled=item["BuyerRequestedCancel"]["IsBuyerRequestedCancel"] == "true",
    )
    unicode = ChannelOrder(
        "woocommerce",
        "woo",
        "728-ウェブ-😀",
        T0,
        "USD",
        (ChannelLine("Bar3", 1, Money.of("12", "USD"), title="Tasse «Café» ☕ &ndash; 😀"),),
        buyer_note="Bitte nicht klingeln \u202e",
        paid=True,
    )
    return [shopify, woo, amazon, unicode]


@pytest.fixture
def erp(url: str) -> Iterator[ERP]:
    with open_erp(url, clock=SimulatedClock(T0 + timedelta(hours=1))) as opened:
        opened.catalog.add(
            *(Sku(code) for code in ("IPOD2008GREEN", "IPOD2008RED", "Bar3", "CBA_OTF_1")),
            Shop("web", "shopify", currency="USD"),
            Shop("woo", "woocommerce", currency="USD"),
            Shop("amz", "amazon", currency="JPY"),
        )
        opened.inventory.add_warehouse(Warehouse("SH"))
        for code in ("IPOD2008GREEN", "IPOD2008RED", "Bar3", "CBA_OTF_1"):
            opened.inventory.receive(code, "SH", 10)
        yield opened


@pytest.mark.parametrize("call", ["process", "accept", "import_stream"])
def test_good_payloads_go_through_next_to_garbage(erp: ERP, call: str) -> None:
    good = good_drafts()
    garbage: list[Any] = [dict(WOO_ORDER), None, SHOPIFY_ORDER["name"]]
    batch: list[Any] = [good[0], garbage[0], good[1], garbage[1], good[2], garbage[2], good[3]]

    outcomes = list(getattr(erp.orders, call)(iter(batch)))[: len(batch)]

    kinds = [o.kind for o in outcomes]
    assert [k is OutcomeKind.REJECTED for k in kinds] == [
        False,
        True,
        False,
        True,
        False,
        True,
        False,
    ]
    assert all(
        isinstance(o.error, ValidationError) for o in outcomes if o.kind is OutcomeKind.REJECTED
    )
    for draft in good:
        stored = erp.orders.get_by_key(draft.channel, draft.shop, draft.external_id)
        assert [(ln.listing_sku, ln.qty, ln.unit_price, ln.title) for ln in stored.lines] == [
            (ln.listing_sku, ln.qty, ln.unit_price, ln.title) for ln in draft.lines
        ]
        assert stored.ordered_at == draft.ordered_at
        assert stored.buyer_note == draft.buyer_note
    assert erp.orders.total() == len(good)
    assert erp.inventory.verify() == []
    erp.check()
    erp.inventory.report()
    # the same batch again changes nothing and stores nothing twice
    again = list(getattr(erp.orders, call)(batch))[: len(batch)]
    assert [o.kind is OutcomeKind.REJECTED for o in again] == [
        k is OutcomeKind.REJECTED for k in kinds
    ]
    assert erp.orders.total() == len(good)
