"""Hypothesis profiles for the rules-engine properties.

`safety` checks the safety properties (test_coaching_safety.py) over 10,000 generated clients:
`.venv/bin/pytest tests/coaching/test_coaching_safety.py --hypothesis-profile=safety`
(about two minutes). The normal suite runs them with Hypothesis's default count. Registered here,
before pytest-hypothesis reads `--hypothesis-profile`, because tests/coaching is then on the
command line and this conftest is loaded first.
"""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "safety", max_examples=10_000, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
