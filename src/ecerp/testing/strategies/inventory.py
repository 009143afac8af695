"""Strategies for inventory: warehouse codes."""

from __future__ import annotations

from hypothesis import strategies as st

from ecerp.testing.strategies.shared import _UPPER


def warehouse_codes() -> st.SearchStrategy[str]:
    """Warehouse codes such as ``SH``, ``SZ2`` or ``FBA1`` (never containing
    ``/`` nor starting with ``@``, which location codes reserve)."""
    return st.tuples(
        st.text(_UPPER, min_size=2, max_size=3), st.sampled_from(("", "1", "2", "3"))
    ).map("".join)
