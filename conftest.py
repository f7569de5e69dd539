"""Repository-wide pytest setup: hypothesis profiles.

HYPOTHESIS_PROFILE=ci (set by .ci/run) derandomizes, so CI is repeatable;
dev (the default) explores new examples each run; soak digs deep.
"""
import os

from hypothesis import HealthCheck, settings

_common = dict(deadline=None, print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, **_common)
settings.register_profile("ci", max_examples=150, derandomize=True, **_common)
settings.register_profile("soak", max_examples=3000, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
