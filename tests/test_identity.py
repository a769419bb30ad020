"""Identity tests against N(0, I): the mean test (exact chi2) and the Chen-Zhang-Zhong covariance test."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from conftest import size_band
from gausstest import MonteCarlo
from gausstest.identity import (
    _cov_kernel, _mean_kernel, covariance_test, czz_trace_estimates, mean_test,
)
from gausstest.registry import REGISTRY
from gausstest.simulation import rejection_rate


class TestMeanTest:
    def test_pvalue_is_scipy_chi2(self, rng):
        z = rng.standard_normal((40, 7)) + 0.1
        r = mean_test(z)
        stat = 40 * np.sum(z.mean(0) ** 2)
        assert r.statistic == pytest.approx(stat, rel=1e-12)
        assert r.pvalue == pytest.approx(stats.chi2.sf(stat, 7), rel=1e-10)
        assert r.pvalue_method.method == "exact"

    def test_exact_law_by_simulation(self):
        # n ||mean||^2 ~ chi2(d) at every n, also d > n: direct simulation vs scipy's chi2
        rng = np.random.default_rng(5)
        t = _mean_kernel(rng.standard_normal((3000, 5, 40)), null="standard")
        assert stats.kstest(t, "chi2", args=(40,)).pvalue > 1e-3

    def test_monte_carlo_agrees_with_exact(self, rng):
        z = rng.standard_normal((30, 4)) + 0.25
        exact = mean_test(z).pvalue
        mc = mean_test(z, method=MonteCarlo(20000)).pvalue
        assert abs(mc - exact) <= 4 * np.sqrt(exact * (1 - exact) / 20000) + 1 / 20001

    def test_effect_unbiased(self):
        rng = np.random.default_rng(6)
        mu = np.zeros(50)
        mu[:5] = 0.2  # ||mu||^2 = 0.2
        effs = [mean_test(rng.standard_normal((30, 50)) + mu).effect for _ in range(2000)]
        se = np.std(effs) / np.sqrt(len(effs))
        assert abs(np.mean(effs) - 0.2) < 4 * se

    def test_power_and_finding(self, rng):
        z = rng.standard_normal((500, 32))
        z[:, 5] += 0.3
        r = mean_test(z)
        assert r.pvalue < 1e-3 and r.details["shifted_dimensions"] == [5]
        assert "dimensions 5 (" in REGISTRY["mean_zero"].finding(r)
        assert r.detectable_n == pytest.approx(stats.chi2.isf(0.05, 32) / r.effect)

    def test_diffuse_shift_finding(self, rng):
        z = rng.standard_normal((400, 200)) + 0.05  # ||mu||^2 = 0.5, no dimension alone significant
        r = mean_test(z)
        assert r.pvalue < 1e-3 and "spread over many dimensions" in REGISTRY["mean_zero"].finding(r)

    @pytest.mark.parametrize("n, d", [(50, 2), (20, 64)])
    def test_fast_size(self, n, d):
        res = rejection_rate("mean_zero", "standard", n, d, reps=300, seed=3)
        assert res["within_band"], res

    @pytest.mark.slow
    @pytest.mark.parametrize("n, d", [(50, 2), (200, 5), (1000, 20), (2000, 64), (100, 256)])
    def test_slow_size(self, n, d):
        res = rejection_rate("mean_zero", "standard", n, d, reps=2000, seed=4)
        assert res["within_band"], res


def _czz_brute(x):
    """T_{2,n} = Y1 - 2 Y2 + Y3 and T_{1,n} straight from Chen, Zhang & Zhong (2010) eq. 2.1-2.3."""
    n = len(x)
    g = x @ x.T
    pm = lambda k: np.prod(np.arange(n, n - k, -1.0))  # noqa: E731
    y1 = sum(g[i, j] ** 2 for i, j in itertools.permutations(range(n), 2)) / pm(2)
    y2 = sum(g[i, j] * g[j, k] for i, j, k in itertools.permutations(range(n), 3)) / pm(3)
    y3 = sum(g[i, j] * g[k, l] for i, j, k, l in itertools.permutations(range(n), 4)) / pm(4)
    t1 = np.trace(g) / n - sum(g[i, j] for i, j in itertools.permutations(range(n), 2)) / pm(2)
    return y1 - 2 * y2 + y3, t1


class TestCovarianceTest:
    @pytest.mark.parametrize("n, d", [(7, 3), (6, 9)])
    def test_closed_form_equals_czz_u_statistics(self, rng, n, d):
        x = rng.standard_normal((n, d)) @ rng.standard_normal((d, d)) + 1.5
        t2, t1 = czz_trace_estimates(x)
        b2, b1 = _czz_brute(x)
        assert t2 == pytest.approx(b2, rel=1e-9) and t1 == pytest.approx(b1, rel=1e-12)

    def test_unbiased_on_known_sigma(self):
        # E V_n = ||Sigma - I||_F^2 / d exactly, even at n = 8 < d and with a nonzero mean
        rng = np.random.default_rng(11)
        d, n, reps = 12, 8, 20000
        a = rng.standard_normal((d, d)) / np.sqrt(d)
        sigma = a @ a.T + 0.3 * np.eye(d)
        target = np.sum((sigma - np.eye(d)) ** 2) / d
        x = rng.standard_normal((reps, n, d)) @ np.linalg.cholesky(sigma).T + 2.0
        v = 2 * _cov_kernel(x, null="standard") / n
        assert abs(v.mean() - target) < 4 * v.std() / np.sqrt(reps)
        t2, _ = czz_trace_estimates(x)
        assert abs(t2.mean() - np.trace(sigma @ sigma)) < 4 * t2.std() / np.sqrt(reps)

    def test_shift_invariant(self, rng):
        z = rng.standard_normal((60, 10))
        a, b = covariance_test(z), covariance_test(z + 3.0)
        assert b.statistic == pytest.approx(a.statistic, rel=1e-9) and b.pvalue == a.pvalue

    def test_fixed_d_limit_law(self):
        # n V_n / 2 -> (chi2(q) - q) / d, q = d(d+1)/2, for fixed d
        rng = np.random.default_rng(12)
        n, d = 2000, 3
        t = _cov_kernel(rng.standard_normal((3000, n, d)), null="standard")
        q = d * (d + 1) / 2
        assert stats.kstest(q + d * t, "chi2", args=(q,)).pvalue > 1e-3

    def test_monte_carlo_agrees_with_asymptotic(self, rng):
        z = rng.standard_normal((400, 20)) * 1.08
        a = covariance_test(z, method="asymptotic").pvalue
        mc = covariance_test(z, method=MonteCarlo(4999)).pvalue
        assert 0.005 < a < 0.5 and abs(mc - a) <= 4 * np.sqrt(a * (1 - a) / 4999) + 0.01

    def test_default_method_switch(self, rng):
        assert covariance_test(rng.standard_normal((100, 5))).pvalue_method.method == "monte_carlo"
        assert covariance_test(rng.standard_normal((300, 5))).pvalue_method.method == "asymptotic"

    @pytest.mark.parametrize("kind", ["correlated", "rescaled", "collapsed"])
    def test_power(self, rng, kind):
        n, d = 150, 64
        z = rng.standard_normal((n, d))
        if kind == "correlated":
            z[:, 1::2] = 0.6 * z[:, 0::2] + 0.8 * z[:, 1::2]
        elif kind == "rescaled":
            z *= 1.2
        else:
            z[:, :6] *= 0.05
        r = covariance_test(z)
        assert r.pvalue < 0.001, r
        text = REGISTRY["covariance_identity"].finding(r)
        assert text.startswith("covariance differs from I")
        if kind == "collapsed":
            assert r.details["collapsed_dimensions"] == list(range(6)) and "collapsed" in text

    def test_no_power_on_mean_shift(self):
        # mean-shifted but unit covariance: rejections stay at the nominal rate
        rng = np.random.default_rng(13)
        reps = 300
        rej = sum(covariance_test(rng.standard_normal((300, 8)) + 1.0).pvalue <= 0.05
                  for _ in range(reps))
        assert abs(rej / reps - 0.05) <= size_band(0.05, reps)

    def test_d_above_n_power(self, rng):
        z = rng.standard_normal((200, 256))
        z[:, :64] *= 0.05
        r = covariance_test(z)
        assert r.pvalue < 1e-3 and abs(r.effect - 64 * 0.9975 ** 2 / 256) < 0.05

    @pytest.mark.parametrize("n, d", [(50, 2), (300, 5)])
    def test_fast_size(self, n, d):
        res = rejection_rate("covariance_identity", "standard", n, d, reps=300, seed=1)
        assert res["within_band"], res

    @pytest.mark.slow
    @pytest.mark.parametrize("n, d", [(50, 2), (200, 5), (1000, 20), (2000, 64), (100, 256),
                                      (200, 1), (20, 256)])
    def test_slow_size(self, n, d):
        res = rejection_rate("covariance_identity", "standard", n, d, reps=2000, seed=6)
        assert res["within_band"], res
