"""A^2 and KS of sorted values against N(0, 1), one normal-CDF call per value."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats
from statsmodels.stats.diagnostic import normal_ad

from gausstest.normal_edf import ad_fitted_pvalue, sorted_edf, standardized


def _reference(xs):
    n = xs.shape[-1]
    i = np.arange(1, n + 1)
    lu, l1 = special.log_ndtr(xs), special.log_ndtr(-xs)
    ad = -n - ((2 * i - 1) * (lu + l1[..., ::-1])).sum(axis=-1) / n
    u = special.ndtr(xs)
    return ad, np.maximum((i / n - u).max(axis=-1), (u - (i - 1) / n).max(axis=-1))


@pytest.mark.parametrize("shape", [(7,), (3, 400), (2, 70_001)])
def test_matches_two_log_ndtr_calls(rng, shape):
    xs = np.sort(1.07 * rng.standard_normal(shape) + 0.03, axis=-1)
    ad, d = sorted_edf(xs)
    ref_ad, ref_d = _reference(xs)
    np.testing.assert_allclose(ad, ref_ad, rtol=1e-10)
    np.testing.assert_allclose(d, ref_d, rtol=1e-12)


def test_against_scipy_goodness_of_fit(rng):
    v = np.sort(rng.standard_normal(250) * 1.2)
    ref = stats.goodness_of_fit(stats.norm, v, known_params={"loc": 0, "scale": 1},
                                statistic="ad", n_mc_samples=9).statistic
    ad, d = sorted_edf(v)
    assert ad == pytest.approx(ref, rel=1e-10)
    assert d == pytest.approx(stats.kstest(v, "norm").statistic, rel=1e-12)


def test_no_bias_at_a_million_rows(rng):
    # a linear table of log Phi biased A^2 by about +0.3 here; the exact route must not
    xs = np.sort(rng.standard_normal(1_000_000))
    assert sorted_edf(xs, ks=False)[0] == pytest.approx(_reference(xs)[0], rel=1e-9, abs=1e-9)


def test_far_tails_stay_finite():
    # Phi(-40) underflows in float64: log_ndtr takes over, so A^2 is finite and huge
    ad, d = sorted_edf(np.array([-40.0, -1.0, 0.0, 1.0, 45.0]))
    assert np.isfinite(ad) and ad > 100
    assert d == pytest.approx(0.4 - special.ndtr(-1.0), rel=1e-12)


def test_fitted_pvalue_matches_statsmodels(rng):
    x = rng.standard_normal((6000, 4))
    x[:, 1] = np.exp(0.1 * x[:, 1])  # mildly skewed
    x[:, 2] = x[:, 2] + 0.05 * x[:, 2] ** 2
    a2_ref, p_ref = normal_ad(x, axis=0)
    a2, _ = sorted_edf(np.sort(standardized(x), axis=0).T)
    np.testing.assert_allclose(a2, a2_ref, rtol=1e-9)
    np.testing.assert_allclose(ad_fitted_pvalue(a2, 6000), p_ref, rtol=1e-9)
    # each branch of Stephens' formula, and beyond A^2* = 13
    a = np.array([0.1, 0.25, 0.4, 2.0, 14.0])
    p = ad_fitted_pvalue(a, 10**6)
    assert np.all(np.diff(p) < 0) and p[-1] == 1e-300
