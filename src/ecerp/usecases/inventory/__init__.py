"""Inventory use cases: warehouses, receipts, adjustments, damaged stock,
transfers, stocktakes, closing periods (``commands``, ``handlers``), and the
stock reports (``queries``)."""
