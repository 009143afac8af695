"""Allocation use cases: reserving stock for ready and waiting orders, in
bulk and when stock arrives (``commands``, ``handlers``), which older orders
a webhook's allocation looks at (``serving``), why an order waits
(``queries``)."""
