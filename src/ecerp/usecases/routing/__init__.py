"""Routing use cases: route orders to warehouses and carrier services (routes.py)."""
