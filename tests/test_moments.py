"""Mardia's skewness and kurtosis."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import load_iris

from conftest import size_band
from gausstest import MonteCarlo, mardia_kurtosis, mardia_skewness
from gausstest.moments import _b1, _chi2_power_moment, _kurt_moments, _skew_standard_sf


@pytest.fixture(scope="module")
def setosa():
    return load_iris().data[:50]


def _brute_b1_b2(z):
    """Direct O(n^2) definitions with an explicit inverse of the MLE covariance."""
    c = z - z.mean(0)
    sinv = np.linalg.inv(np.cov(z.T, bias=True))
    g = c @ sinv @ c.T
    return (g ** 3).mean(), (np.diag(g) ** 2).mean()


class TestMardiaSkewness:
    def test_setosa_published(self, setosa):
        # Korkmaz, Goksuluk & Zararsiz (2014), R Journal 6(2), MVN example on iris setosa:
        # g1p = 3.079, chi.skew = 25.66, p.value.skew = 0.1772
        r = mardia_skewness(setosa, method="asymptotic")
        assert r.details["b1"] == pytest.approx(3.0797, abs=5e-4)
        assert r.statistic == pytest.approx(25.664, abs=5e-3)
        assert r.pvalue == pytest.approx(0.1772, abs=5e-4)

    def test_matches_brute_force(self, rng):
        z = rng.standard_t(4, size=(80, 3)) @ rng.standard_normal((3, 3))
        b1, _ = _brute_b1_b2(z)
        assert mardia_skewness(z).details["b1"] == pytest.approx(b1, rel=1e-10)

    @pytest.mark.parametrize("n, d", [(300, 5), (30, 8)])
    def test_tensor_and_gram_routes_agree(self, rng, n, d):
        x = rng.standard_normal((n, d))
        g = x @ x.T
        assert _b1(x) == pytest.approx((g ** 3).sum() / n ** 2, rel=1e-10)

    def test_small_sample_correction(self, setosa):
        n, d = setosa.shape
        k = (d + 1) * (n + 1) * (n + 3) / (n * ((n + 1) * (d + 1) - 6))
        plain = mardia_skewness(setosa, method="asymptotic")
        corr = mardia_skewness(setosa, correction=True, method="asymptotic")
        assert corr.statistic == pytest.approx(k * plain.statistic, rel=1e-12)
        assert corr.pvalue < plain.pvalue

    @pytest.mark.parametrize("n, d", [(6000, 1), (3000, 2), (2500, 64)])
    def test_standard_law_has_the_exact_mean_and_variance(self, n, d):
        # E[n b1 / 6] = m6 / 6 and Var = (n - 1)/n 5 m6 / 6 + (m12 - m6^2) / (36 n), with
        # m_k = E chi2_d^(k/2) (the off-diagonal U-statistic and the diagonal are
        # uncorrelated); the law's own moments, from its survival function, must match.
        # The former limit chi2(f) + (d+2)/2 chi2(d) had 5d + 8 where 5d + 20 belongs.
        m6, m12 = _chi2_power_moment(d, 3), _chi2_power_moment(d, 6)
        mean = m6 / 6
        var = (n - 1) / n * 5 * m6 / 6 + (m12 - m6 ** 2) / (36 * n)
        t0 = max(0.0, mean - 12 * np.sqrt(var))  # the law is 1 - 1e-9 or more below
        # d = 1, 2: exponential tails (a closed form, cheap); d = 64: nearly normal
        t = np.linspace(t0, mean + (16 if d > 2 else 60) * np.sqrt(var), 300 if d > 2 else 3000)
        sf = np.array([_skew_standard_sf(v, n, d) for v in t])
        assert sf[0] > 1 - 1e-6 and sf[-1] < 1e-6 and np.all(np.diff(sf) <= 1e-12)
        m1 = np.trapezoid(sf, t)  # E[T - t0]
        m2 = np.trapezoid(2 * (t - t0) * sf, t)  # E[(T - t0)^2]
        assert t0 + m1 == pytest.approx(mean, rel=2e-3 if d < 3 else 1e-4)
        assert m2 - m1 ** 2 == pytest.approx(var, rel=0.01)

    @pytest.mark.parametrize("n, d, reps", [(2500, 24, 400)])
    def test_standard_law_size_beyond_the_simulated_rows(self, n, d, reps):
        # statistics drawn at the full n (above the 5000 / 2000 rows the null table is
        # simulated at) get their p-value from the law given the radii: size in band
        rng = np.random.default_rng([7, n, d])
        sims = np.array([n * _b1(rng.standard_normal((n, d))) / 6 for _ in range(reps)])
        p = np.array([_skew_standard_sf(s, n, d) for s in sims])
        for a in (0.1, 0.05):
            assert abs((p <= a).mean() - a) <= size_band(a, reps)
        r = mardia_skewness(rng.standard_normal((n, d)), null="standard")
        assert r.pvalue_method.method == "asymptotic" and "given the radii" in r.pvalue_method.description

    def test_power_skewed(self, rng):
        z = rng.exponential(size=(100, 3))
        assert mardia_skewness(z).pvalue < 0.01

    def test_standard_null_sees_location(self, rng):
        z = rng.standard_normal((200, 2)) + 0.5
        assert mardia_skewness(z, null="standard").pvalue < 0.01
        assert mardia_skewness(z, null="gaussian").pvalue > 0.01


class TestMardiaKurtosis:
    def test_setosa_published(self, setosa):
        # Korkmaz et al. (2014): g2p = 26.54, z.kurtosis = 1.295 (asymptotic moments)
        r = mardia_kurtosis(setosa)
        assert r.details["b2"] == pytest.approx(26.5377, abs=5e-4)
        n, d = setosa.shape
        assert (r.details["b2"] - d * (d + 2)) / np.sqrt(8 * d * (d + 2) / n) == pytest.approx(1.295, abs=1e-3)

    def test_matches_brute_force(self, rng):
        z = rng.standard_normal((70, 4)) * [1, 2, 3, 4]
        _, b2 = _brute_b1_b2(z)
        assert mardia_kurtosis(z).details["b2"] == pytest.approx(b2, rel=1e-10)

    @pytest.mark.parametrize("null", ["standard", "gaussian"])
    def test_exact_moments_by_simulation(self, null):
        rng = np.random.default_rng(7)
        n, d, reps = 30, 3, 4000
        x = rng.standard_normal((reps, n, d))
        if null == "gaussian":
            from gausstest.sample import whiten_batch
            x = whiten_batch(x)
        b2 = (np.einsum("bij,bij->bi", x, x) ** 2).mean(1)
        mean, var = _kurt_moments(n, d, null)
        assert abs(b2.mean() - mean) < 4 * np.sqrt(var / reps)
        # variance: relative sampling error of a variance is about sqrt(2/reps) * kurtosis factor
        assert b2.var() == pytest.approx(var, rel=0.15)

    def test_heavy_tails(self, rng):
        r = mardia_kurtosis(rng.standard_t(3, size=(500, 4)))
        assert r.pvalue < 0.01 and r.effect > 0 and r.statistic > 0

    def test_light_tails(self, rng):
        r = mardia_kurtosis(rng.uniform(-1, 1, size=(500, 4)))
        assert r.pvalue < 0.01 and r.effect < 0

    def test_mc_and_asymptotic_agree_at_large_n(self, rng):
        z = rng.standard_normal((4000, 3))
        z[:, 0] = rng.standard_t(12, size=4000)
        a = mardia_kurtosis(z, method="asymptotic").pvalue
        m = mardia_kurtosis(z, method=MonteCarlo(n_resamples=999)).pvalue
        assert abs(a - m) < 3 * np.sqrt(a * (1 - a) / 999) + 0.01

    def test_conservative_asymptotic_is_not_the_default_at_small_n(self):
        # the known trap: N(0,1) law of the kurtosis z is conservative at n = 20;
        # the default (Monte Carlo) must hold its level there
        rng = np.random.default_rng(3)
        reps = 300
        rej = sum(mardia_kurtosis(rng.standard_normal((20, 2))).pvalue <= 0.05 for _ in range(reps))
        assert abs(rej / reps - 0.05) <= size_band(0.05, reps)
