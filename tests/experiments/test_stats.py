"""The statistics helpers against known values and numpy."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from tfcache_nb.experiments.stats import describe, mean_ci95, percentile, t_critical_95


@pytest.mark.parametrize("df, expected", [(1, 12.706), (4, 2.776), (10, 2.228), (30, 2.042),
                                          (40, 2.021), (60, 2.000), (120, 1.980), (10_000, 1.960)])
def test_t_critical_values_match_published_tables(df, expected):
    assert t_critical_95(df) == pytest.approx(expected, abs=1.5e-3)


def test_t_critical_needs_a_degree_of_freedom():
    with pytest.raises(ValueError):
        t_critical_95(0)


@pytest.mark.parametrize("q", [0, 5, 25, 50, 95, 100])
def test_percentile_matches_numpy_linear(q):
    xs = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.5]
    assert percentile(xs, q) == pytest.approx(float(np.percentile(xs, q)))


def test_mean_ci_uses_student_t():
    xs = [1.0, 2.0, 3.0, 4.0, 10.0]
    mean, low, high = mean_ci95(xs)
    half = 2.776 * statistics.stdev(xs) / math.sqrt(5)
    assert mean == pytest.approx(4.0)
    assert (low, high) == pytest.approx((4.0 - half, 4.0 + half), rel=1e-3)


def test_single_sample_has_no_interval_and_empty_is_nan():
    d = describe([2.5])
    assert (d.n, d.median, d.p5, d.p95, d.mean) == (1, 2.5, 2.5, 2.5, 2.5)
    assert math.isnan(d.ci_low) and math.isnan(d.ci_high)
    assert math.isnan(describe([]).median)
