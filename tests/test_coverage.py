"""k-NN coverage / precision / density against a seeded N(0, I) reference sample."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from conftest import size_band
from gausstest import MonteCarlo
from gausstest.coverage import (
    _reference, coverage, coverage_statistics, expected_null_coverage, knn_sq_radii,
)
from gausstest.registry import REGISTRY
from gausstest.simulation import rejection_rate


def _brute(y, x, k):
    """Naeem et al. (2020) definitions straight from full distance matrices (small n only)."""
    dxx = cdist(x, x)
    np.fill_diagonal(dxx, np.inf)
    r = np.sort(dxx, axis=1)[:, k - 1]
    inball = cdist(y, x) <= r[None, :]
    return inball.any(0).mean(), inball.any(1).mean(), inball.sum() / (k * len(y)), r


class TestReference:
    @pytest.mark.parametrize("block", [7, 2048])
    def test_against_cdist(self, rng, block):
        x = rng.standard_normal((60, 4))
        y = 1.3 * rng.standard_normal((45, 4)) + 0.2
        cov, prec, dens, r = _brute(y, x, 5)
        r2 = knn_sq_radii(x, 5, block=block)
        assert np.sqrt(r2) == pytest.approx(r, rel=1e-10)
        got = coverage_statistics(y, x, r2, 5, block=block)
        assert got == pytest.approx((cov, prec, dens), rel=1e-12)

    def test_null_means_closed_form(self):
        # unconditionally (fresh reference each draw), E coverage = 1 - prod (m-1-j)/(m-1+n-j)
        # and E density = 1 (Naeem et al. 2020), at any d
        rng = np.random.default_rng(3)
        n, m, d, k, reps = 40, 30, 3, 5, 3000
        vals = np.array([coverage_statistics(rng.standard_normal((n, d)), x := rng.standard_normal((m, d)),
                                             knn_sq_radii(x, k), k) for _ in range(reps)])
        se = vals.std(axis=0) / np.sqrt(reps)
        assert abs(vals[:, 0].mean() - expected_null_coverage(n, m, k)) < 4 * se[0]
        assert abs(vals[:, 2].mean() - 1.0) < 4 * se[2]

    def test_pilot_means_near_closed_form(self, rng):
        r = coverage(rng.standard_normal((300, 3)))
        det = r.details
        assert abs(det["coverage_null_mean"] - det["coverage_null_mean_exact"]) < 0.02
        assert abs(det["density_null_mean"] - 1.0) < 0.1


class TestCoverage:
    def test_row_order_invariant_with_subsample(self, rng):
        z = rng.standard_normal((300, 3))
        perm = rng.permutation(300)
        a = coverage(z, max_n=100, method=MonteCarlo(99))
        b = coverage(z[perm], max_n=100, method=MonteCarlo(99))
        assert a.details["subsampled"] and a.statistic == b.statistic and a.pvalue == b.pvalue

    def test_deterministic_and_cache_hit(self, rng):
        z = rng.standard_normal((80, 4))
        a = coverage(z, rng=3, method=MonteCarlo())
        b = coverage(z, rng=3, method=MonteCarlo())
        assert (a.statistic, a.pvalue) == (b.statistic, b.pvalue)
        assert b.pvalue_method.cache == "hit"
        c, e = coverage(z, rng=3), coverage(z, rng=3)  # the shipped table where it covers
        assert (c.statistic, c.pvalue) == (e.statistic, e.pvalue)

    def test_statistic_equals_kernel(self, rng):
        z = rng.standard_normal((70, 3)) * 1.2
        r = coverage(z)
        kern = REGISTRY["coverage"].kernel(z[None], null="standard", k=5, n_reference=None,
                                           max_n=1000, reference_seed=0)
        assert kern[0] == pytest.approx(r.statistic, rel=1e-12)

    def test_other_reference_seed(self, rng):
        z = rng.standard_normal((80, 3))
        a, b = coverage(z), coverage(z, reference_seed=1)
        assert a.statistic != b.statistic and 0 < b.pvalue <= 1

    def test_hole(self):
        rng = np.random.default_rng(4)
        z = rng.standard_normal((3000, 2))
        z = z[np.linalg.norm(z - [1.0, 0.0], axis=1) > 0.8][:500]
        r = coverage(z)
        assert r.pvalue <= 0.002 and r.details["coverage_z"] > 5
        assert "holes: only" in REGISTRY["coverage"].finding(r)

    @pytest.mark.parametrize("d", [2, 64])
    def test_mixture(self, d):
        rng = np.random.default_rng(5)
        n = 400
        centres = rng.standard_normal((10, d))
        z = centres[rng.integers(0, 10, n)] + 0.3 * rng.standard_normal((n, d))
        r = coverage(z)
        assert r.pvalue <= 0.002 and r.details["coverage_z"] > 5

    @pytest.mark.parametrize("d", [8, 64])
    def test_low_rank(self, d):
        rng = np.random.default_rng(6)
        z = rng.standard_normal((400, d))
        z[:, d // 2:] = 0.0
        r = coverage(z)
        assert r.pvalue <= 0.002
        if d == 64:  # coverage and precision saturate at d = 64; the density excess catches it
            assert r.details["density_z"] > 5 and "crowded" in REGISTRY["coverage"].finding(r)

    def test_off_prior_mass(self):
        rng = np.random.default_rng(7)
        z = rng.standard_normal((400, 4))
        z[:120, 0] += 4.0
        r = coverage(z)
        assert r.pvalue <= 0.002 and r.details["precision_z"] > 5
        assert "off-prior mass" in REGISTRY["coverage"].finding(r)

    def test_hole_invisible_at_d64(self):
        # the known loss of kNN sensitivity with d: a cap of 20% prior mass removed
        rng = np.random.default_rng(8)
        z = rng.standard_normal((700, 64))
        z = z[z[:, 0] < 0.8416][:400]
        r = coverage(z)
        assert r.details["coverage_z"] < 3

    def test_fast_size(self):
        reps = 200
        res = rejection_rate("coverage", "standard", 50, 2, reps=reps, seed=1, method=MonteCarlo(199))
        assert abs(res["rate"] - 0.05) <= size_band(0.05, reps), res

    @pytest.mark.slow
    @pytest.mark.parametrize("n, d", [(50, 2), (200, 5), (1000, 20), (300, 64)])
    def test_slow_size(self, n, d):
        res = rejection_rate("coverage", "standard", n, d, reps=2000, seed=2)
        assert res["within_band"], res

    @pytest.mark.slow
    def test_size_with_subsample(self):
        # n > max_n: the subsample of a null sample is a null sample, calibration stays exact
        res = rejection_rate("coverage", "standard", 400, 4, reps=1000, seed=3,
                             options={"k": 5, "n_reference": None, "max_n": 150,
                                      "reference_seed": 0})
        assert res["within_band"], res
