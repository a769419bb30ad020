"""Effects are n-free: the same non-Gaussian law at n = 2,000 and n = 20,000 gives effects
within sampling error of each other (issue: the full battery)."""

from __future__ import annotations

import numpy as np
import pytest

import gausstest as gt

FAST = gt.MonteCarlo(n_resamples=19)  # the p-value is irrelevant here; keep the null cheap

TESTS = {
    "prior_moments": lambda z: gt.prior_moments(z),
    "mardia_kurtosis": lambda z: gt.mardia_kurtosis(z, method=FAST),
    "mardia_skewness": lambda z: gt.mardia_skewness(z, method=FAST),
    "radii": lambda z: gt.radii(z, method=FAST),
    "marginals": lambda z: gt.marginals(z),
    "projections": lambda z: gt.projections(z, method=FAST),
    "energy": lambda z: gt.energy(z, method=FAST),
    "henze_zirkler": lambda z: gt.henze_zirkler(z, method=FAST),
    "mmd": lambda z: gt.mmd(z, method=FAST),
}


def _law(n, rng):
    """A fixed non-Gaussian law: standardized t(6) coordinates, one of them skewed."""
    z = rng.standard_t(6, size=(n, 3)) / np.sqrt(1.5)
    z[:, 2] = (rng.gamma(4.0, size=n) - 4.0) / 2.0
    return z


@pytest.mark.parametrize("code", list(TESTS))
def test_effect_stable_across_n(code):
    rng = np.random.default_rng(31)
    small = np.array([TESTS[code](_law(2000, rng)).effect for _ in range(6)])
    big = TESTS[code](_law(20000, rng)).effect
    sd = small.std(ddof=1)
    # the n = 2000 effects scatter with sd; the n = 20000 one sits within 4 such sd of their mean
    # (bias of order 1/sqrt(n) is part of what this bounds); a floor keeps sd = 0 honest
    assert abs(big - small.mean()) <= 4 * max(sd, 1e-3 * abs(small.mean()), 1e-12), (small, big)
    assert small.mean() > 0 if code != "mardia_kurtosis" else small.mean() != 0
