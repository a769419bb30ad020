"""Henze-Zirkler: pingouin agreement, high-d precision, calibration."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris

from conftest import size_band
from gausstest import MonteCarlo, henze_zirkler
from gausstest.charfun import bhep_excess, hz_beta

pingouin = pytest.importorskip("pingouin")


def _datasets():
    rng = np.random.default_rng(11)
    iris = load_iris().data
    return {
        "setosa": iris[:50],
        "versicolor": iris[50:100],
        "iris_all": iris,
        "t5_100x3": rng.standard_t(5, size=(100, 3)),
        "normal_200x5": rng.standard_normal((200, 5)) @ rng.standard_normal((5, 5)),
        "lognormal_60x2": np.exp(rng.standard_normal((60, 2))),
        "uniform_150x6": rng.uniform(size=(150, 6)),
    }


class TestHenzeZirkler:
    @pytest.mark.parametrize("name", list(_datasets()))
    def test_matches_pingouin(self, name):
        x = _datasets()[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = pingouin.multivariate_normality(x, alpha=0.05)
        r = henze_zirkler(x, method="asymptotic")
        assert r.statistic == pytest.approx(ref.hz, rel=1e-6)
        assert r.pvalue == pytest.approx(ref.pval, rel=1e-6, abs=1e-300)

    def test_brute_force_formula(self, rng):
        x = rng.standard_normal((40, 3)) * [1, 3, 0.5]
        n, d = x.shape
        y = (x - x.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(x.T, bias=True))).T
        b = hz_beta(n, d)
        D = ((y[:, None] - y[None]) ** 2).sum(-1)
        Dj = (y ** 2).sum(1)
        t = (np.exp(-b * b * D / 2).sum() / n
             - 2 * (1 + b * b) ** (-d / 2) * np.exp(-b * b * Dj / (2 * (1 + b * b))).sum()
             + n * (1 + 2 * b * b) ** (-d / 2))
        assert henze_zirkler(x).statistic == pytest.approx(t, rel=1e-10)

    def test_high_d_excess_keeps_precision(self, rng):
        # at d = 64 with the usual beta, T is 1 to ~1e-20: the excess must still be resolved
        x = rng.standard_normal((300, 64))
        y = x.copy()
        y[:, 0] = rng.standard_t(2, size=300)
        ex, ey = bhep_excess(x, hz_beta(300, 64)), bhep_excess(y, hz_beta(300, 64))
        assert ex != 0 and ey != 0 and ex != ey
        naive_terms = np.exp(-hz_beta(300, 64) ** 2 * 128 / 2)
        assert naive_terms < 1e-15  # the naive T would round these away

    def test_high_d_uses_a_simulated_null(self, rng):
        # the lognormal law is not valid at d = 64: the shipped table or Monte Carlo
        r = henze_zirkler(rng.standard_normal((200, 64)))
        assert r.pvalue_method.method in ("table", "monte_carlo")

    def test_standard_null_uses_monte_carlo_and_sees_scale(self, rng):
        z = 1.3 * rng.standard_normal((200, 3))
        r = henze_zirkler(z, null="standard")
        assert r.pvalue_method.method in ("table", "monte_carlo") and r.pvalue < 0.01
        assert henze_zirkler(z, null="gaussian").pvalue > 0.01

    def test_lognormal_agrees_with_monte_carlo(self, rng):
        x = rng.standard_normal((200, 3))
        x[:, 0] += 0.6 * rng.standard_t(3, size=200)
        a = henze_zirkler(x, method="asymptotic").pvalue
        m = henze_zirkler(x, method=MonteCarlo(n_resamples=999)).pvalue
        assert abs(a - m) < 3 * np.sqrt(max(a, 0.01) / 999) + 0.02

    def test_power(self, rng):
        x = rng.standard_normal((200, 3))
        x[:, 1] = rng.exponential(size=200)
        assert henze_zirkler(x).pvalue < 0.001
        m = rng.standard_normal((300, 3))
        m[:150, 0] += 3  # an equal two-component mixture: a weaker alternative for HZ
        assert henze_zirkler(m).pvalue < 0.05

    def test_fast_size_high_d(self):
        """Monte Carlo calibration at d = 20 under the composite null, fast subset."""
        rng = np.random.default_rng(5)
        reps = 150
        rej = sum(henze_zirkler(rng.standard_normal((60, 20)), method=MonteCarlo(199)).pvalue <= 0.05
                  for _ in range(reps))
        assert abs(rej / reps - 0.05) <= size_band(0.05, reps)

    def test_custom_beta(self, rng):
        x = rng.standard_normal((100, 2))
        r = henze_zirkler(x, beta=0.5, method=MonteCarlo(199))
        assert r.details["beta"] == 0.5
        assert 0 < r.pvalue <= 1


def test_henze_zirkler_and_energy_share_one_pass(monkeypatch):
    """From SHARED_PASS_MIN_N rows on, both statistics come from one pass over the pairs
    kept on the sample; they equal the separate passes to rounding."""
    import gausstest as gt
    import gausstest.charfun as cf
    import gausstest.distances as dist
    from gausstest.registry import run_test
    from gausstest.sample import as_sample

    x = np.random.default_rng(3).standard_normal((2100, 4))
    x[:, 0] = x[:, 0] ** 3 / 3
    mc = gt.MonteCarlo(n_resamples=9)
    for null in ("standard", "gaussian"):
        s = as_sample(x)
        shared = [run_test(c, s, null=null, method=mc) for c in ("henze_zirkler", "energy")]
        assert null in s.__dict__["_shared_pair_sums"]
        monkeypatch.setattr(cf, "SHARED_PASS_MIN_N", 10**9)
        monkeypatch.setattr(dist, "SHARED_PASS_MIN_N", 10**9)
        alone = [run_test(c, as_sample(x), null=null, method=mc)
                 for c in ("henze_zirkler", "energy")]
        monkeypatch.undo()
        for a, b in zip(shared, alone):
            assert a.statistic == pytest.approx(b.statistic, rel=1e-11)
            assert a.effect == pytest.approx(b.effect, rel=1e-10)
