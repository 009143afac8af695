"""Order ids: readable, deterministic and collision-free by construction.

A channel order's id is its key ``(channel, shop, external_id)`` joined
with ``/``, each part *escaped*: ``%`` becomes ``%25``, ``/`` becomes
``%2F`` and ``#`` becomes ``%23``.  A key without those three characters
keeps the id it always had::

    >>> channel_order_id("shopify", "web", "1001")
    'shopify/web/1001'
    >>> channel_order_id("a/b", "c", "d"), channel_order_id("a", "b/c", "d")
    ('a%2Fb/c/d', 'a/b%2Fc/d')
    >>> channel_order_id("amazon", "de", "302-1#2")
    'amazon/de/302-1%232'

Escaping is injective (every character maps to itself or to a ``%``
sequence, and ``%`` itself is escaped), and an escaped part holds no ``/``,
so distinct keys always give distinct ids.  A channel order id never holds
a ``#``.

Orders ecerp makes itself are marked by a ``#``, so they can never take a
channel order's id:

* a part split off an order is ``<that order's id>#<n>`` (``n`` from 2)::

    >>> split_part_id("amazon/de/302-1", 2)
    'amazon/de/302-1#2'

* a merged parcel is ``<channel>/<shop>/#<label>`` (label escaped)::

    >>> merged_order_id("shopify", "web", "M-1001+1002")
    'shopify/web/#M-1001+1002'

A split part's id ends in ``#`` and digits; a merged parcel's has exactly
one ``#``, right after the second ``/``, so a split part would need an
order whose id ends in ``/``, which no id does (key parts are never empty).
Their ``external_id`` (``302-1#2``, ``M-1001+1002``) is a label for people,
not a channel key: looking an order up by ``(channel, shop, external_id)``
finds channel orders only.
"""

from __future__ import annotations

_ESCAPES = str.maketrans({"%": "%25", "/": "%2F", "#": "%23"})


_SPECIAL = frozenset("%/#")


def escape_part(part: str) -> str:
    """``part`` with ``%``, ``/`` and ``#`` percent-escaped (itself when it
    has none of them)."""
    if _SPECIAL.isdisjoint(part):
        return part
    return part.translate(_ESCAPES)


def channel_order_id(channel: str, shop: str, external_id: str) -> str:
    """The id of the channel order ``(channel, shop, external_id)``."""
    return f"{escape_part(channel)}/{escape_part(shop)}/{escape_part(external_id)}"


def split_part_id(parent_id: str, number: int) -> str:
    """The id of part ``number`` (2, 3, ...) split off the order ``parent_id``."""
    return f"{parent_id}#{number}"


def merged_order_id(channel: str, shop: str, label: str) -> str:
    """The id of a merged parcel of ``shop`` whose external label is ``label``."""
    return f"{escape_part(channel)}/{escape_part(shop)}/#{escape_part(label)}"


def is_channel_order_id(order_id: str) -> bool:
    """Whether ``order_id`` has the shape of a channel order's id (no ``#``)."""
    return "#" not in order_id
