"""Memory bounds of the O(n^2) statistics (tracemalloc peaks; no wall-clock assertions)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from gausstest import MonteCarlo, henze_zirkler

MB = 1024 ** 2


def _peak(fn) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / MB


def test_henze_zirkler_10000_by_64_under_300_mb():
    z = np.random.default_rng(0).standard_normal((10_000, 64))
    # pingouin would build two 10,000 x 10,000 float64 matrices (1.6 GB); gausstest's blocked
    # engine keeps O(block^2). The Monte Carlo null (at n = 1000) is part of the call.
    peak = _peak(lambda: henze_zirkler(z, method=MonteCarlo(n_resamples=49)))
    print(f"henze_zirkler n=10000 d=64 peak {peak:.0f} MB beyond the 5 MB input")
    assert peak < 300


@pytest.mark.benchmark
def test_memory_grows_sublinearly_in_n_squared():
    peaks = {}
    for n in (4_000, 16_000):
        z = np.random.default_rng(1).standard_normal((n, 8))
        peaks[n] = _peak(lambda: henze_zirkler(z, method=MonteCarlo(n_resamples=9)))
    # a dense n x n matrix would grow 16x; blocks keep it roughly flat
    assert peaks[16_000] < 4 * peaks[4_000] + 50
