"""Shared test set-up: hypothesis profiles.

``fast`` (default, local): few examples.  ``ci`` (set by ``.ci/run`` through
``HYPOTHESIS_PROFILE=ci``): at least 200 examples per property and state
machine, no deadline (CI machines vary).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("fast", max_examples=30, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))
