"""Catalog use cases: adding products, SKUs, shops, bundles and aliases
(``commands``, ``handlers``)."""
