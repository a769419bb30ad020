"""Random-projection test: reference values, fixed directions, size, power, worst direction."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

from conftest import size_band
from gausstest import MonteCarlo
from gausstest.projections import (MC_MAX_N, _per_direction, default_n_directions,
                                   projection_directions, projections)
from gausstest.registry import REGISTRY
from gausstest.sample import as_sample


class TestPerDirectionStatistics:
    def test_against_scipy(self, rng):
        x = 1.1 * rng.standard_normal((90, 3)) + 0.1
        u = projection_directions(3, 20)
        ad, ks = _per_direction(x, u)
        for k in (0, 5, 22):
            v = x @ u[:, k]
            ref = stats.goodness_of_fit(stats.norm, v, known_params={"loc": 0, "scale": 1},
                                        statistic="ad", n_mc_samples=9).statistic
            assert ad[k] == pytest.approx(ref, rel=1e-10)
            assert ks[k] / np.sqrt(90) == pytest.approx(stats.kstest(v, "norm").statistic,
                                                        rel=1e-12)

    def test_directions(self):
        u = projection_directions(6, seed=3)
        assert u.shape == (6, 6 + default_n_directions(6))
        np.testing.assert_allclose(np.linalg.norm(u, axis=0), 1.0)
        np.testing.assert_array_equal(u[:, :6], np.eye(6))
        np.testing.assert_array_equal(u, projection_directions(6, seed=3))
        assert not np.allclose(u[:, 6:], projection_directions(6, seed=4)[:, 6:])
        assert default_n_directions(2) == 50 and default_n_directions(64) == 256
        assert default_n_directions(1000) == 500


class TestProjections:
    @pytest.mark.parametrize("null", ["standard", "gaussian"])
    def test_fast_size(self, null):
        rng = np.random.default_rng(21)
        reps = 250
        rej = sum(projections(rng.standard_normal((50, 2)), null=null,
                              method=MonteCarlo(199)).pvalue <= 0.05 for _ in range(reps))
        assert abs(rej / reps - 0.05) <= size_band(0.05, reps)

    def test_fast_size_beyond_simulated_n(self):
        # n = 1500 > mc_max_n = 400: the null is simulated at 400 rows
        rng = np.random.default_rng(22)
        reps, n = 200, 1500
        assert n > MC_MAX_N
        rej = sum(projections(rng.standard_normal((n, 3)), method=MonteCarlo(199)).pvalue <= 0.05
                  for _ in range(reps))
        assert abs(rej / reps - 0.05) <= size_band(0.05, reps)

    def test_composite_null_near_n_equals_d_is_simulated_at_enough_rows(self):
        # d = 450 > MC_MAX_N: 400 rows could not be whitened in 450 dimensions (this call
        # raised "simulated null produced non-finite values"); the cap rises to the grid
        # row at or above 1.25 d (700)
        rng = np.random.default_rng(25)
        n, d = 800, 450
        r = projections(rng.standard_normal((n, d)), null="gaussian", method=MonteCarlo(9))
        assert 1.25 * d <= r.pvalue_method.n_simulated == 700 < n
        assert 0.0 < r.pvalue <= 1.0

    def test_composite_size_with_correlated_covariance(self):
        # not affine invariant, but the whitened residuals' law is free of mu, Sigma
        rng = np.random.default_rng(23)
        a = np.array([[2.0, 0.0, 0.0], [1.9, 0.3, 0.0], [0.5, -1.0, 0.2]])
        reps = 200
        rej = sum(projections(rng.standard_normal((60, 3)) @ a.T - 2.0, null="gaussian",
                              method=MonteCarlo(199)).pvalue <= 0.05 for _ in range(reps))
        assert abs(rej / reps - 0.05) <= size_band(0.05, reps)

    def test_power_mixture_along_axis(self):
        # 2-component mixture, centres 3 apart along z[0], n = 200, d = 5, composite null
        rng = np.random.default_rng(24)
        reps = 60
        hits = 0
        for _ in range(reps):
            z = rng.standard_normal((200, 5))
            z[:, 0] += 1.5 * rng.choice([-1.0, 1.0], size=200)
            hits += projections(z, null="gaussian", method=MonteCarlo(199)).pvalue <= 0.05
        assert hits / reps > 0.8

    def test_worst_direction_and_finding(self, rng):
        z = rng.standard_normal((600, 5))
        z[:, 2] += 1.5 * rng.choice([-1.0, 1.0], size=600)
        r = projections(z, null="gaussian", method=MonteCarlo(199))
        assert r.details["worst_direction_index"] == 2 and r.details["worst_direction_is_axis"]
        assert r.details["worst_along"]["excess_kurtosis"] < -0.5
        text = REGISTRY["projections"].finding(r)
        assert "bimodal" in text and "z[2]" in text

    def test_shift_and_heavy_tails_findings(self, rng):
        u = np.array([0.6, 0.8, 0.0, 0.0])
        z = rng.standard_normal((500, 4)) + 0.4 * u
        r = projections(z, method=MonteCarlo(199))
        assert r.pvalue <= 0.01 and "shifted" in REGISTRY["projections"].finding(r)
        t = rng.standard_t(3, size=(500, 4))
        r = projections(t, null="gaussian", method=MonteCarlo(199))
        assert r.pvalue <= 0.01 and "heavy tails" in REGISTRY["projections"].finding(r)

    @pytest.mark.parametrize("statistic,reduce", [("ad", "max"), ("ad", "mean"), ("ks", "max")])
    def test_row_order_invariance_and_determinism(self, rng, statistic, reduce):
        z = rng.standard_normal((100, 4))
        kw = dict(statistic=statistic, reduce=reduce, method=MonteCarlo(99), rng=5)
        r1 = projections(z, **kw)
        r2 = projections(z[rng.permutation(100)], **kw)
        assert r1.statistic == pytest.approx(r2.statistic, rel=1e-10)
        assert r1.pvalue == r2.pvalue
        assert r1.details["direction_seed"] == r2.details["direction_seed"]
        assert projections(z, **{**kw, "rng": 6}).details["direction_seed"] != r1.details["direction_seed"]

    def test_statistic_equals_kernel(self, rng):
        z = rng.standard_normal((70, 3))
        r = projections(z, null="gaussian", reduce="mean", method=MonteCarlo(99), rng=9)
        k = REGISTRY["projections"].kernel(as_sample(z).whitened[None], null="gaussian",
                                           reduce="mean", direction_seed=r.details["direction_seed"])
        assert r.statistic == pytest.approx(float(k[0]), rel=1e-12)

    def test_bad_options(self, rng):
        z = rng.standard_normal((30, 2))
        with pytest.raises(ValueError, match="reduce"):
            projections(z, reduce="median")
        with pytest.raises(ValueError, match="statistic"):
            projections(z, statistic="cvm")


@pytest.mark.slow
@pytest.mark.parametrize("n,d", [(50, 2), (200, 5), (1000, 20)])
@pytest.mark.parametrize("null", ["standard", "gaussian"])
def test_slow_size(n, d, null):
    rng = np.random.default_rng(2000 + n + d)
    reps = 2000
    rej = sum(projections(rng.standard_normal((n, d)), null=null,
                          method=MonteCarlo(999)).pvalue <= 0.05 for _ in range(reps))
    assert abs(rej / reps - 0.05) <= size_band(0.05, reps)


def test_assess_seed_moves_the_directions_like_the_function():
    # assess(rng=s) and projections(rng=s) use the same directions; seed 0 keeps the defaults
    import gausstest as gt
    z = np.random.default_rng(4).standard_normal((120, 3))
    for seed in (0, 7):
        direct = gt.projections(z, rng=seed)
        via = gt.assess(z, tests=["projections"], null="standard", rng=seed).results[0]
        assert via.details["direction_seed"] == direct.details["direction_seed"]
        assert via.statistic == direct.statistic
    assert gt.projections(z, rng=7).details["direction_seed"] != 0
    assert gt.projections(z, rng=0).details["direction_seed"] == 0
