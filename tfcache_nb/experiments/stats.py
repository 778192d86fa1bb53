"""Small descriptive statistics for latency samples, without scipy.

Latency samples are few (a handful of trials) and skewed, so the summary reports the median
and the 5th/95th percentiles beside the mean; the mean's 95% interval uses Student's t,
which matters at small n (t = 2.776 for n = 5, not 1.96).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Iterable

# two-sided 95% critical values of Student's t (the 0.975 quantile), degrees of freedom 1..30
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
         2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
         2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)
_Z975 = 1.959963984540054


def t_critical_95(df: int) -> float:
    """The two-sided 95% critical value of Student's t with ``df`` degrees of freedom."""
    if df < 1:
        raise ValueError("a t critical value needs at least 1 degree of freedom")
    if df <= len(_T975):
        return _T975[df - 1]
    # Cornish-Fisher expansion of the t quantile around the normal one (error < 1e-4 for df > 30)
    z, n = _Z975, float(df)
    g1 = (z ** 3 + z) / 4
    g2 = (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96
    g3 = (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384
    return z + g1 / n + g2 / n ** 2 + g3 / n ** 3


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q``-th percentile (0-100) with linear interpolation (numpy's default method)."""
    xs = sorted(float(v) for v in values)
    if not xs:
        return math.nan
    if not 0 <= q <= 100:
        raise ValueError("percentile q must be between 0 and 100")
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def mean_ci95(values: Iterable[float]) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean and its 95% confidence interval (NaN bounds for n < 2)."""
    xs = [float(v) for v in values]
    if not xs:
        return math.nan, math.nan, math.nan
    mean = statistics.fmean(xs)
    if len(xs) < 2:
        return mean, math.nan, math.nan
    half = t_critical_95(len(xs) - 1) * statistics.stdev(xs) / math.sqrt(len(xs))
    return mean, mean - half, mean + half


@dataclass(frozen=True)
class Describe:
    """The figures the summary reports for one set of samples."""

    n: int
    median: float
    p5: float
    p95: float
    mean: float
    ci_low: float
    ci_high: float


def describe(values: Iterable[float]) -> Describe:
    """Median, 5th and 95th percentiles, mean and its 95% interval of ``values``."""
    xs = [float(v) for v in values]
    mean, low, high = mean_ci95(xs)
    return Describe(len(xs), percentile(xs, 50), percentile(xs, 5), percentile(xs, 95),
                    mean, low, high)


__all__ = ["t_critical_95", "percentile", "mean_ci95", "describe", "Describe"]
