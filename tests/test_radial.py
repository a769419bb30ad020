"""Radii CDF tests against chi2(d) and the exact Beta law of Mahalanobis radii."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from conftest import size_band
from gausstest import MonteCarlo, radii
from gausstest.radial import edf_statistics
from gausstest.sample import whiten_batch


def _pit_logs(u):
    return np.log(u), np.log1p(-u)


class TestEdfStatistics:
    def test_against_scipy(self, rng):
        r = rng.chisquare(4, size=150) * 1.1
        u = stats.chi2.cdf(r, 4)
        edf = edf_statistics(*_pit_logs(u))
        assert edf["ks"] == pytest.approx(stats.kstest(r, "chi2", args=(4,)).statistic, rel=1e-12)
        assert edf["cvm"] == pytest.approx(stats.cramervonmises(r, "chi2", args=(4,)).statistic, rel=1e-10)
        gof = stats.goodness_of_fit(stats.chi2, r, known_params={"df": 4, "loc": 0, "scale": 1},
                                    statistic="ad", n_mc_samples=9)
        assert edf["ad"] == pytest.approx(gof.statistic, rel=1e-10)


class TestRadii:
    def test_standard_ks_exact_matches_scipy(self, rng):
        z = rng.standard_normal((120, 5)) * 1.1
        r = radii(z, statistic="ks")
        ref = stats.kstest((z ** 2).sum(1), "chi2", args=(5,))
        assert r.pvalue == pytest.approx(ref.pvalue, rel=1e-8)
        assert r.pvalue_method.method == "exact"  # the kstwo law

    def test_beta_law_of_mahalanobis_radii(self):
        # r_i/(n-1) ~ Beta(d/2, (n-d-1)/2) exactly (Gnanadesikan & Kettenring 1972): pool
        # one radius from each of many independent samples and compare by KS
        rng = np.random.default_rng(2)
        n, d = 12, 3
        y = whiten_batch(rng.standard_normal((4000, n, d)))
        r = (y[:, 0, :] ** 2).sum(-1) / (n - 1)
        assert stats.kstest(r, "beta", args=(d / 2, (n - d - 1) / 2)).pvalue > 1e-3

    def test_naive_ad_on_dependent_radii_is_not_exact(self):
        # the composite-null radii are dependent: the iid law of A^2 misstates the p-value,
        # so gausstest's Monte Carlo null must differ from the iid-uniform one
        from gausstest.radial import _radii_kernel
        rng = np.random.default_rng(4)
        n, d = 30, 5
        mc = _radii_kernel(whiten_batch(rng.standard_normal((3000, n, d))), null="gaussian")
        u = rng.random((3000, n))
        iid = edf_statistics(*_pit_logs(u))["ad"]
        assert stats.ks_2samp(mc, iid).pvalue < 1e-4

    def test_shell_detected_and_described(self, rng):
        z = rng.standard_normal((1000, 16))
        shell = z / np.linalg.norm(z, axis=1, keepdims=True) * 4.0
        r = radii(shell)
        assert r.pvalue <= 1 / 1000 and r.details["radius_spread_ratio"] < 0.2
        from gausstest.registry import REGISTRY
        assert "shell" in REGISTRY["radii"].finding(r)

    def test_scale_detected_under_standard_only(self, rng):
        z = 1.15 * rng.standard_normal((500, 8))
        assert radii(z, null="standard").pvalue <= 1 / 1000  # the smallest MC p-value, B = 999
        assert radii(z, null="gaussian").pvalue > 0.01

    def test_composite_power_heavy_tails(self, rng):
        z = rng.standard_t(4, size=(400, 5))
        assert radii(z, null="gaussian").pvalue < 0.01

    @pytest.mark.parametrize("null", ["standard", "gaussian"])
    def test_fast_size(self, null):
        rng = np.random.default_rng(8)
        reps = 300
        rej = sum(radii(rng.standard_normal((50, 3)), null=null, method=MonteCarlo(299)).pvalue <= 0.05
                  for _ in range(reps))
        assert abs(rej / reps - 0.05) <= size_band(0.05, reps)
