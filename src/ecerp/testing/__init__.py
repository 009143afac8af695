"""Test kits that ship with ecerp: hypothesis strategies and contract suites.

Plugin authors and backend authors run exactly what the built-in adapters
run: subclass a contract suite, override its fixtures, and pytest does the
rest.  Importing this package needs pytest and hypothesis (the ``dev`` extra).
"""

import pytest

# Readable assertion failures in the contract suites, for third-party runs too
# (the package name covers every suite module in it).
pytest.register_assert_rewrite("ecerp.testing.contracts")
