"""The pure core: money, catalog, stock ledger, orders and allocation.

Imports only the standard library, attrs and python-dateutil; reads no clock,
environment or file.  Everything here is deterministic given its inputs.
"""
