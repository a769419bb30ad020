"""Per-coordinate normality tests with Holm / Benjamini-Hochberg control."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.diagnostic import normal_ad
from statsmodels.stats.multitest import multipletests

from conftest import size_band
from gausstest.marginals import (
    _combined,
    _coordinate_pvalues,
    ad_pvalue,
    holm_adjust,
    marginals,
)
from gausstest.radial import edf_statistics
from gausstest.registry import get_spec


def _finding(r):
    return get_spec("marginals").finding(r)


def _rate(p, alpha):
    return float((np.asarray(p) <= alpha).mean())


class TestAndersonDarlingStandard:
    def test_statistic_matches_scipy_goodness_of_fit(self, rng):
        # scipy.stats.goodness_of_fit with every parameter known is the case-0 A^2
        x = rng.standard_t(6, size=40)
        ref = stats.goodness_of_fit(stats.norm, x, known_params={"loc": 0, "scale": 1},
                                    statistic="ad", n_mc_samples=9999,
                                    rng=np.random.default_rng(0))
        r = marginals(x[:, None])
        u = stats.norm.cdf(np.sort(x))
        i = np.arange(1, 41)
        a2 = -40 - ((2 * i - 1) * (np.log(u) + np.log1p(-u[::-1]))).sum() / 40
        assert a2 == pytest.approx(ref.statistic, rel=1e-10)
        # the Marsaglia p-value agrees with scipy's Monte Carlo p (B = 9999) within its error
        p = r.details["pvalues"][0]
        assert abs(p - ref.pvalue) <= 3 * np.sqrt(p * (1 - p) / 9999) + 1e-3

    @pytest.mark.parametrize("n", [8, 20, 100])
    def test_pvalue_law_by_simulation_on_uniforms(self, n):
        # the A^2 p-value of n iid uniforms is uniform: rates at 10%, 5%, 1% in their bands
        rng = np.random.default_rng([3, n])
        reps = 20000
        u = rng.random((reps, n))
        p = ad_pvalue(edf_statistics(np.log(u), np.log1p(-u))["ad"], n)
        for alpha in (0.1, 0.05, 0.01):
            assert abs(_rate(p, alpha) - alpha) <= size_band(alpha, reps)

    def test_far_tail_is_monotone_and_positive(self):
        a2 = np.linspace(0.5, 40, 400)
        p = ad_pvalue(a2, 50)
        assert np.all(np.diff(p) <= 0) and p[-1] < 1e-12
        assert p[a2 > 10][0] > 0


class TestCompositeCoordinateTests:
    def test_shapiro_up_to_5000(self, rng):
        x = rng.standard_normal((300, 4))
        x[:, 2] = rng.exponential(size=300)
        p = _coordinate_pvalues(x, "gaussian")
        assert np.allclose(p, [stats.shapiro(x[:, j]).pvalue for j in range(4)], rtol=1e-12)

    def test_normal_ad_beyond_5000(self, rng):
        x = rng.standard_normal((6000, 3))
        r = marginals(x, null="gaussian")
        assert np.allclose(r.details["pvalues"], normal_ad(x)[1], rtol=1e-12)
        assert "normal_ad" in r.pvalue_method.description

    def test_normal_ad_holds_its_level(self):
        # the per-coordinate p-values used beyond n = 5000: 2000 null columns at n = 6000
        x = np.random.default_rng(4).standard_normal((6000, 2000))
        p = normal_ad(x)[1]
        for alpha in (0.1, 0.05, 0.01):
            assert abs(_rate(p, alpha) - alpha) <= size_band(alpha, 2000)


class TestCombination:
    def test_against_multipletests(self, rng):
        for _ in range(20):
            p = rng.random(7) ** 3
            p[2] = p[5]  # a tie
            holm = multipletests(p, method="holm")[1].min()
            bh = multipletests(p, method="fdr_bh")[1].min()
            assert min(1.0, _combined(p, "holm")) == pytest.approx(holm, rel=1e-12)
            assert min(1.0, _combined(p, "fdr_bh")) == pytest.approx(bh, rel=1e-12)
            ref = multipletests(p, method="holm")
            assert holm_adjust(p) == pytest.approx(ref[1], rel=1e-12)
            assert ((holm_adjust(p) <= 0.05) == ref[0]).all()

    def test_result_reports_min_adjusted_p(self, rng):
        z = rng.standard_normal((200, 6))
        z[:, 4] = rng.standard_t(3, size=200)
        for corr, key in (("holm", "min_holm_pvalue"), ("fdr_bh", "min_bh_qvalue")):
            r = marginals(z, correction=corr)
            assert r.pvalue == pytest.approx(r.details[key], rel=1e-10)
            assert r.statistic == pytest.approx(-np.log10(r.pvalue), rel=1e-10)
        assert "min Holm-adjusted p over 6 per-coordinate Anderson-Darling" in (
            marginals(z).pvalue_method.description)

    def test_bad_correction(self, rng):
        with pytest.raises(ValueError, match="correction"):
            marginals(rng.standard_normal((30, 2)), correction="bonferroni")

    def test_monte_carlo_available_and_close_to_sidak(self, rng):
        # under the standard null the coordinates are independent, so the exact (MC)
        # p-value of min p is Sidak's 1 - (1 - p_min)^d, slightly below Holm's d p_min
        z = rng.standard_normal((100, 4))
        z[:, 1] *= 1.25
        r = marginals(z, method="monte_carlo")
        pmin = min(r.details["pvalues"])
        sidak = 1 - (1 - pmin) ** 4
        assert r.pvalue_method.method == "monte_carlo"
        assert abs(r.pvalue - sidak) <= 3 * np.sqrt(sidak * (1 - sidak) / 4999) + 2e-4


class TestFindings:
    def test_collapsed_coordinate(self, rng):
        z = rng.standard_normal((500, 8))
        z[:, 3] *= 0.02
        r = marginals(z)
        assert r.pvalue < 1e-10 and r.details["worst"][0]["index"] == 3
        assert r.details["n_rejected_holm"] == 1
        assert re.fullmatch(r"dimension 3 has sd 0\.0[12]\d*: collapsed", _finding(r))

    def test_skewed_coordinate_both_nulls(self, rng):
        z = rng.standard_normal((400, 10))
        z[:, 7] = rng.exponential(size=400) - 1
        for null in ("standard", "gaussian"):
            r = marginals(z, null=null)
            assert r.pvalue < 1e-6 and r.details["worst"][0]["index"] == 7
            assert "dimension 7 is not normal (skew +" in _finding(r)

    def test_shifted_and_scaled(self, rng):
        z = rng.standard_normal((500, 5))
        z[:, 1] += 0.8
        z[:, 4] *= 2.0
        r = marginals(z)
        f = _finding(r)
        assert re.search(r"dimension 1 has mean \+0\.[789]\d* \(prior: 0\)", f)
        assert re.search(r"dimension 4 has sd (1\.9|2\.0)\d* \(prior: 1\)", f)
        assert r.details["n_rejected_holm"] == 2
        # the composite null does not see location or scale
        assert marginals(z, null="gaussian").pvalue > 0.01

    def test_effect_is_ks_distance(self, rng):
        z = rng.standard_normal((4000, 3))
        z[:, 0] *= 0.5
        r = marginals(z)
        assert r.effect == pytest.approx(stats.kstest(z[:, 0], "norm").statistic, rel=1e-10)
        # n-free: close to the population KS distance sup_x |Phi(2x) - Phi(x)|
        grid = np.linspace(0, 3, 30001)
        pop = (stats.norm.cdf(2 * grid) - stats.norm.cdf(grid)).max()
        assert abs(r.effect - pop) < 1.63 / np.sqrt(4000) + 0.01

    def test_row_order_invariant(self, rng):
        z = rng.standard_t(5, size=(120, 4))
        perm = rng.permutation(120)
        for null in ("standard", "gaussian"):
            a, b = marginals(z, null=null), marginals(z[perm], null=null)
            assert b.statistic == pytest.approx(a.statistic, rel=1e-10)
            assert b.details["pvalues"] == pytest.approx(a.details["pvalues"], rel=1e-10)


class TestSizeAndPower:
    @pytest.mark.parametrize("null", ["standard", "gaussian"])
    def test_size_fast(self, null):
        rng = np.random.default_rng(41)
        reps = 300
        p = [marginals(rng.standard_normal((50, 2)), null=null).pvalue for _ in range(reps)]
        assert abs(_rate(p, 0.05) - 0.05) <= size_band(0.05, reps)

    def test_size_fast_correlated_composite(self):
        # Holm is valid under any dependence: strongly correlated coordinates
        rng = np.random.default_rng(42)
        reps = 300
        a = np.array([[1.0, 0.95], [0.0, 0.3]]) * 4
        p = [marginals(rng.standard_normal((50, 2)) @ a, null="gaussian").pvalue
             for _ in range(reps)]
        assert _rate(p, 0.05) <= 0.05 + size_band(0.05, reps)

    @pytest.mark.slow
    @pytest.mark.parametrize("null", ["standard", "gaussian"])
    @pytest.mark.parametrize("n, d", [(50, 2), (200, 5), (1000, 20)])
    def test_size_slow(self, null, n, d):
        # vectorized: the statistic of R = 6000 null samples; the Holm bound as p-value
        rng = np.random.default_rng([43, n, d])
        reps = 6000
        p = np.concatenate([
            np.minimum(1.0, _combined(_coordinate_pvalues(rng.standard_normal((200, n, d)), null),
                                      "holm"))
            for _ in range(reps // 200)])
        assert abs(_rate(p, 0.05) - 0.05) <= size_band(0.05, reps)

    def test_power_heavy_tailed_coordinate(self):
        rng = np.random.default_rng(44)
        p = []
        for _ in range(50):
            z = rng.standard_normal((200, 5))
            z[:, 2] = rng.standard_t(3, size=200) / np.sqrt(3)  # unit variance, heavy tails
            p.append(marginals(z, null="gaussian").pvalue)
        assert _rate(p, 0.05) > 0.8


def test_composite_null_never_nan_on_a_far_tailed_column():
    """A squared-normal column at n = 20,000: statsmodels' normal_ad gives A^2 = inf and
    p = NaN; the column is far in the tail, so its p-value is 1e-300 and the test rejects."""
    import gausstest as gt

    z = np.random.default_rng(0).standard_normal((20000, 3))
    z[:, 0] = z[:, 0] ** 2
    r = gt.marginals(z, null="gaussian")
    assert np.isfinite(r.statistic) and 0 < r.pvalue < 1e-10
    assert r.details["worst"][0]["index"] == 0
