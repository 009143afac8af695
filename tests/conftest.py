"""Shared test set-up: hypothesis profiles.

``fast`` (default, local): few examples, random.  ``ci`` (set by ``.ci/run``
through ``HYPOTHESIS_PROFILE=ci``): at least 200 examples per property and
state machine, no deadline (CI machines vary), and derandomized: the same
examples on every machine, so a CI run says the same thing about the same
commit.  ``explore``: 1,000 random examples each, to look for new failures
(``HYPOTHESIS_PROFILE=explore make test``); what it finds becomes a fix and,
where useful, an ``@example``.
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
    derandomize=True,
)
settings.register_profile(
    "explore",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("fast", max_examples=30, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))
