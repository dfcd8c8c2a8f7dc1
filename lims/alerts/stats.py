"""The statistical test behind the rate signal, stated so that it can be checked.

One-sided exact binomial test: in a window of n concluded tests of a (细类, item) with x
failures, the baseline rate p0 is that of the trailing 12 months before the window, estimated
as (x0 + 1) / (n0 + 2) (Laplace's rule of succession, so that a clean baseline is not a zero
rate).  The signal fires when x ≥ MIN_FAILURES and P(X ≥ x | n, p0) < ALPHA, and only when the
baseline holds at least MIN_BASELINE_TESTS tests.  On a flat series (window and baseline drawn
from the same rate) the false-alarm rate is at most ALPHA per tested group, less in practice
because the test is discrete and the minimum count cuts small windows (measured by
tests/alerts/test_detection.py::test_false_alarm_rate_on_flat_series).
"""

from __future__ import annotations

import math

ALPHA = 0.01
MIN_FAILURES = 3
MIN_BASELINE_TESTS = 20
WINDOW_DAYS = 30
BASELINE_DAYS = 365


def baseline_rate(tests: int, failures: int) -> float:
    return (failures + 1) / (tests + 2)


def binomial_sf(x: int, n: int, p: float) -> float:
    """P(X ≥ x) for X ~ Binomial(n, p), summed in log space (exact, no dependency)."""
    if x <= 0:
        return 1.0
    if x > n:
        return 0.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    lp, lq = math.log(p), math.log1p(-p)
    total = 0.0
    for k in range(x, n + 1):
        term = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * lp + \
            (n - k) * lq
        total += math.exp(term)
        if k > n * p and term < -50:  # the tail beyond the mode is negligible
            break
    return min(total, 1.0)


def spike(window_tests: int, window_failures: int, baseline_tests: int,
          baseline_failures: int) -> tuple[bool, float, float]:
    """(fires, p-value, baseline rate) of the rate signal for one group."""
    if baseline_tests < MIN_BASELINE_TESTS or window_failures < MIN_FAILURES:
        return False, 1.0, baseline_rate(baseline_tests, baseline_failures)
    p0 = baseline_rate(baseline_tests, baseline_failures)
    p_value = binomial_sf(window_failures, window_tests, p0)
    return p_value < ALPHA, p_value, p0
