"""Pairwise-distance CDF test: reference values, the dependent-pairs trap, size, power."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from conftest import size_band
from gausstest import MonteCarlo
from gausstest.pairdist import (MC_MAX_N, _grid, null_cdf_sf, pair_counts, pair_edf_statistics,
                                pairwise_distances)
from gausstest.radial import edf_statistics
from gausstest.registry import REGISTRY
from gausstest.sample import as_sample, whiten_batch


def _brute_pairs(x):
    i, j = np.triu_indices(x.shape[0], 1)
    return np.sqrt(((x[i] - x[j]) ** 2).sum(1) / 2.0)


class TestBinnedStatistics:
    @pytest.mark.parametrize("null", ["standard", "gaussian"])
    def test_against_brute_force_all_pairs(self, rng, null):
        # reference: every pair built explicitly, PIT through the null CDF, the classical
        # KS / CvM / AD of those N values (scipy for KS and CvM, radial.edf_statistics for AD)
        n, d = 200, 4
        z = 1.05 * rng.standard_normal((n, d))
        x = as_sample(z).prepared(null)
        grid = _grid(n, d, null, 8192)
        counts = pair_counts(x, grid)
        edf = pair_edf_statistics(counts, grid)
        s = _brute_pairs(x)
        n_pairs = s.size
        assert counts.sum() == n_pairs
        cdf, sf = null_cdf_sf(s, n, d, null)
        law = stats.chi2(d) if null == "standard" else stats.beta(d / 2, (n - d - 1) / 2)
        s2 = s ** 2 if null == "standard" else s ** 2 / n
        ks = stats.kstest(s2, law.cdf).statistic
        # the grid sup misses at most one t-gap between edges
        assert abs(edf["ks"] - ks) <= grid.max_gap
        # W^2 = N int (F_N - t)^2 dt + 1/(12N); trapezoid error <= 4 KS gap (see pair_edf_statistics)
        w2 = stats.cramervonmises(s2, law.cdf).statistic - 1 / (12 * n_pairs)
        assert abs(n_pairs * edf["cvm"] - w2) <= 4 * ks * grid.max_gap * n_pairs
        a2 = float(edf_statistics(np.log(cdf)[None], np.log(sf)[None])["ad"][0])
        # AD: trapezoid with relative error of the order of the t-gap (5e-4) per bin
        assert n_pairs * edf["ad"] == pytest.approx(a2, rel=10 * grid.max_gap, abs=1.0 * grid.max_gap)

    def test_counts_do_not_depend_on_block_size(self, rng):
        x = rng.standard_normal((300, 3))
        grid = _grid(300, 3, "standard", 8192)
        np.testing.assert_array_equal(pair_counts(x, grid, block=64), pair_counts(x, grid, block=1024))

    def test_composite_beta_law_of_pair_distance(self):
        # ||y_1 - y_2||^2 / (2n) ~ Beta(d/2, (n-d-1)/2) exactly: one pair from each of many samples
        rng = np.random.default_rng(3)
        n, d = 15, 4
        y = whiten_batch(rng.standard_normal((4000, n, d)))
        r = ((y[:, 0] - y[:, 1]) ** 2).sum(-1) / (2 * n)
        assert stats.kstest(r, "beta", args=(d / 2, (n - d - 1) / 2)).pvalue > 1e-3


class TestPairwiseDistances:
    def test_naive_independent_pairs_ks_is_badly_liberal(self):
        # the known trap: KS on all n(n-1)/2 pairs as if iid rejects far above 5%
        rng = np.random.default_rng(5)
        reps, n, d = 200, 50, 2
        rej = 0
        for _ in range(reps):
            s2 = _brute_pairs(rng.standard_normal((n, d))) ** 2
            rej += stats.kstest(s2, "chi2", args=(d,)).pvalue <= 0.05
        assert rej / reps > 0.05 + size_band(0.05, reps) + 0.3

    @pytest.mark.parametrize("null", ["standard", "gaussian"])
    def test_fast_size(self, null):
        rng = np.random.default_rng(11)
        reps = 250
        rej = sum(pairwise_distances(rng.standard_normal((50, 2)), null=null,
                                     method=MonteCarlo(199)).pvalue <= 0.05 for _ in range(reps))
        assert abs(rej / reps - 0.05) <= size_band(0.05, reps)

    def test_fast_size_beyond_simulated_n(self):
        # n = 1200 > mc_max_n = 500: the null is simulated at 500 rows; n-stability check
        rng = np.random.default_rng(12)
        reps, n = 150, 1200
        assert n > MC_MAX_N
        rej = sum(pairwise_distances(rng.standard_normal((n, 3)), method=MonteCarlo(199)).pvalue
                  <= 0.05 for _ in range(reps))
        assert abs(rej / reps - 0.05) <= size_band(0.05, reps)

    def test_composite_size_with_correlated_covariance(self):
        # the Monte Carlo is exact for any mu, Sigma: check with a strongly correlated one
        rng = np.random.default_rng(13)
        a = np.array([[2.0, 0.0], [1.9, 0.3]])
        reps = 200
        rej = sum(pairwise_distances(rng.standard_normal((60, 2)) @ a.T + 5.0, null="gaussian",
                                     method=MonteCarlo(199)).pvalue <= 0.05 for _ in range(reps))
        assert abs(rej / reps - 0.05) <= size_band(0.05, reps)

    def test_power_shell(self, rng):
        z = rng.standard_normal((300, 8))
        shell = z / np.linalg.norm(z, axis=1, keepdims=True) * np.sqrt(8)
        r = pairwise_distances(shell, method=MonteCarlo(199))
        assert r.pvalue <= 1 / 200
        assert r.details["distance_spread_ratio"] < 0.85
        assert "shell" in REGISTRY["pairwise_distances"].finding(r)

    def test_power_cluster_mixture(self, rng):
        z = rng.standard_normal((300, 4)) + 3.0 * rng.choice([-1.0, 1.0], size=(300, 1))
        r = pairwise_distances(z, method=MonteCarlo(199))
        assert r.pvalue <= 1 / 200
        assert r.details["distance_modes"] >= 2
        assert "clusters" in REGISTRY["pairwise_distances"].finding(r)

    def test_power_cluster_mixture_composite(self, rng):
        # centres 4 sd apart along one axis of d = 3: after whitening the distance law is
        # not clearly bimodal, but its shape departs from the Beta law (a milder 3 sd
        # separation is detected only about half the time at this n: use projections)
        z = rng.standard_normal((400, 3))
        z[:, 0] += 2.0 * rng.choice([-1.0, 1.0], size=400)
        r = pairwise_distances(z, null="gaussian", method=MonteCarlo(199))
        assert r.pvalue <= 0.01

    def test_power_collapse(self, rng):
        z = 0.7 * rng.standard_normal((200, 5))
        r = pairwise_distances(z, method=MonteCarlo(199))
        assert r.pvalue <= 1 / 200 and r.details["median_distance_ratio"] < 0.95
        assert "too small" in REGISTRY["pairwise_distances"].finding(r)

    @pytest.mark.parametrize("statistic", ["ad", "ks", "cvm"])
    def test_row_order_invariance_and_determinism(self, rng, statistic):
        z = rng.standard_normal((120, 3))
        r1 = pairwise_distances(z, statistic=statistic, method=MonteCarlo(99), rng=7)
        r2 = pairwise_distances(z[rng.permutation(120)], statistic=statistic,
                                method=MonteCarlo(99), rng=7)
        assert r1.statistic == pytest.approx(r2.statistic, rel=1e-12)
        assert r1.pvalue == r2.pvalue
        assert r1.effect == pytest.approx(r2.effect, rel=1e-12)

    def test_statistic_equals_kernel(self, rng):
        z = rng.standard_normal((80, 3))
        r = pairwise_distances(z, null="gaussian", statistic="ks", method=MonteCarlo(99))
        k = REGISTRY["pairwise_distances"].kernel(as_sample(z).whitened[None], null="gaussian",
                                                  statistic="ks")
        assert r.statistic == pytest.approx(float(k[0]), rel=1e-12)
        assert r.effect == pytest.approx(r.statistic / np.sqrt(80), rel=1e-12)

    def test_max_pairs_subsample(self, rng):
        z = rng.standard_normal((700, 2))
        r = pairwise_distances(z, max_pairs=600 * 599 // 2, method=MonteCarlo(99))
        assert r.details["subsampled"] and r.details["rows_used"] == 600
        with pytest.raises(ValueError, match="max_pairs"):
            pairwise_distances(z, max_pairs=1000)

    def test_bad_statistic(self, rng):
        with pytest.raises(ValueError, match="statistic"):
            pairwise_distances(rng.standard_normal((30, 2)), statistic="sw")


@pytest.mark.slow
@pytest.mark.parametrize("n,d", [(50, 2), (200, 5), (1000, 20)])
@pytest.mark.parametrize("null", ["standard", "gaussian"])
def test_slow_size(n, d, null):
    rng = np.random.default_rng(1000 + n + d)
    reps = 2000
    rej = sum(pairwise_distances(rng.standard_normal((n, d)), null=null,
                                 method=MonteCarlo(999)).pvalue <= 0.05 for _ in range(reps))
    assert abs(rej / reps - 0.05) <= size_band(0.05, reps)
