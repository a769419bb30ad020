"""Generators of alternatives (gausstest.alternatives) and the atlas harness (gausstest.atlas).

Every defining property is checked by simulation with a tolerance of K standard
errors (K = 5 for a single quantity, so a correct generator fails with probability
below 1e-6; a Bonferroni-sized K where many quantities are checked at once). The
standard errors come from the population moments where they are known in closed
form, else from the sample itself.
"""

from __future__ import annotations

import csv
import math
from itertools import combinations_with_replacement

import numpy as np
import pytest
from scipy import special, stats

from gausstest import atlas
from gausstest.alternatives import (
    ALTERNATIVES, GAUSSIAN_MEMBERS, GH_PROBS, GH_VALUES, gh_marginals, hole_geometry,
    mardia_matched, sample,
)

K = 5.0  # standard errors allowed for one checked quantity


def _within(estimate, target, se, k=K):
    assert abs(estimate - target) <= k * se, (
        f"estimate {estimate:.5g} vs target {target:.5g}: |diff| = {abs(estimate - target):.3g} "
        f"> {k} se = {k * se:.3g}")


def _mean_check(values, target, k=K):
    """Sample mean of ``values`` within k standard errors (sample sd / sqrt(n)) of target."""
    v = np.asarray(values, dtype=float)
    _within(v.mean(), target, v.std(ddof=1) / math.sqrt(v.size), k)


def _normal_moment(k: int) -> float:
    return 0.0 if k % 2 else float(special.factorial2(k - 1)) if k > 0 else 1.0


# -- the contract of every generator ---------------------------------------------------

@pytest.mark.parametrize("name", list(ALTERNATIVES))
class TestContract:
    @pytest.mark.parametrize("n, d", [(7, 1), (40, 3)])
    def test_shape_dtype_finite(self, name, n, d):
        z = sample(name, n, d, rng=11)
        assert z.shape == (n, d)
        assert z.dtype == np.float64
        assert np.isfinite(z).all()

    def test_reproducible(self, name):
        a = sample(name, 30, 4, rng=5)
        b = sample(name, 30, 4, rng=5)
        c = sample(name, 30, 4, rng=6)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)

    def test_generator_state_is_used(self, name):
        g = np.random.default_rng(3)
        a = sample(name, 20, 2, rng=g)
        b = sample(name, 20, 2, rng=g)  # the generator moved on
        assert not np.array_equal(a, b)


def test_unknown_name_and_override():
    with pytest.raises(ValueError, match="unknown alternative"):
        sample("no_such_thing", 5, 2)
    z = sample("scale_iso", 4000, 2, rng=0, scale=3.0)
    _within(z.std(), 3.0, 3.0 / math.sqrt(2 * z.size))


def test_gaussian_members_are_registered():
    assert GAUSSIAN_MEMBERS <= set(ALTERNATIVES)


# -- defining properties ---------------------------------------------------------------

class TestMomentMatchedMarginals:
    def test_gauss_hermite_law_exact_moments(self):
        # the three-point law matches N(0, 1) exactly in moments 1-5 and differs at 6
        for k in range(1, 6):
            assert np.dot(GH_PROBS, GH_VALUES ** k) == pytest.approx(_normal_moment(k), abs=1e-12)
        assert np.dot(GH_PROBS, GH_VALUES ** 6) == pytest.approx(9.0)

    @staticmethod
    def _population_moment(k: int, s: float) -> float:
        # x = c T + s e: E x^k = sum_j C(k, j) c^j E T^j s^(k-j) E e^(k-j)
        c = math.sqrt(1 - s * s)
        return sum(math.comb(k, j) * c ** j * float(np.dot(GH_PROBS, GH_VALUES ** j))
                   * s ** (k - j) * _normal_moment(k - j) for j in range(k + 1))

    @pytest.mark.parametrize("smooth", [0.0, 0.3, 0.6])
    def test_moments_one_to_four_gaussian_six_not(self, smooth):
        x = gh_marginals(100_000, 2, rng=1, smooth=smooth).ravel()
        n = x.size
        for k in (1, 2, 3, 4):
            target = _normal_moment(k)
            assert self._population_moment(k, smooth) == pytest.approx(target, abs=1e-12)
            # SE of the k-th sample moment from the population moments: Var x^k = m_2k - m_k^2
            se = math.sqrt((self._population_moment(2 * k, smooth) - target ** 2) / n)
            _within(np.mean(x ** k), target, se, k=5.5)  # four checks: 4 * P(|Z|>5.5) < 2e-7
        m6 = self._population_moment(6, smooth)
        assert m6 == pytest.approx(15 - 6 * (1 - smooth ** 2) ** 3)
        se6 = math.sqrt((self._population_moment(12, smooth) - m6 ** 2) / n)
        _within(np.mean(x ** 6), m6, se6)
        assert 15 - m6 > 10 * se6  # the sixth moment really is not Gaussian at this n

    def test_not_gaussian_by_ks(self):
        x = gh_marginals(3000, 1, rng=2, smooth=0.3).ravel()
        assert stats.kstest(x, "norm").pvalue < 1e-6


class TestMardiaMatched:
    @pytest.mark.parametrize("radial", ["lognormal", "two_shell"])
    def test_population_skewness_zero_and_kurtosis_d_d_plus_2(self, radial):
        n, d = 40_000, 5
        z = mardia_matched(n, d, rng=3, radial=radial)
        idx = list(combinations_with_replacement(range(d), 3))
        # every third moment E z_i z_j z_k is 0 (so Mardia's beta_1 = 0): t-statistics,
        # Bonferroni over the 35 entries (P(any |t| > 5) < 35 * 5.7e-7)
        for i, j, k in idx:
            _mean_check(z[:, i] * z[:, j] * z[:, k], 0.0)
        # covariance I
        for i, j in combinations_with_replacement(range(d), 2):
            _mean_check(z[:, i] * z[:, j], float(i == j))
        # Mardia's beta_2 = E ||z||^4 = d (d + 2)
        _mean_check(np.sum(z * z, axis=1) ** 2, d * (d + 2))

    def test_sample_mardia_statistics_and_a_test_that_sees_it(self):
        from gausstest import radii

        n, d = 20_000, 4
        z = mardia_matched(n, d, rng=4)
        y = z - z.mean(0)
        s_inv = np.linalg.inv(y.T @ y / n)
        m2 = np.einsum("ij,jk,ik->i", y, s_inv, y)
        b2 = np.mean(m2 ** 2)
        # sd of ||z||^4 from the lognormal law of R^2: E R^8 = exp(4 mu + 8 s^2)
        s2 = math.log1p(2 / d)
        mu = math.log(d) - s2 / 2
        var_r4 = math.exp(4 * mu + 8 * s2) - (d * (d + 2)) ** 2
        _within(b2, d * (d + 2), math.sqrt(var_r4 / n))
        # b1 on a subsample (O(n^2)): under N(0, I), n b1 / 6 ~ chi2(d(d+1)(d+2)/6) so
        # b1 ~ d(d+1)(d+2)/n; a population beta_1 > 0 would give b1 -> beta_1 instead
        m = 2000
        g = y[:m] @ s_inv @ y[:m].T
        b1 = np.mean(g ** 3)
        dof = d * (d + 1) * (d + 2) / 6
        assert m * b1 / 6 < stats.chi2.ppf(1 - 1e-4, dof) * 3  # same order as a Gaussian's
        # yet the radii test rejects: R^2 is lognormal, not chi2(d)
        assert radii(z[:2000], null="standard").pvalue < 1e-3


class TestGeometry:
    def test_shell_radius_spread(self):
        n, d, w = 20_000, 8, 0.05
        r = np.linalg.norm(sample("shell", n, d, rng=5, width=w), axis=1)
        lo, hi = math.sqrt(d) * (1 - w), math.sqrt(d) * (1 + w)
        assert r.min() >= lo - 1e-12 and r.max() <= hi + 1e-12
        # the radius is uniform on [lo, hi]: sd = (hi - lo) / sqrt(12); SE of a sample sd ~
        # sd * sqrt((kurt - 1) / (4 n)) with kurt = 1.8 for the uniform law
        sd = (hi - lo) / math.sqrt(12)
        _within(r.std(ddof=1), sd, sd * math.sqrt(0.8 / (4 * n)))
        assert sd < 0.2 * math.sqrt(0.5)  # far tighter than N(0, I)'s radius sd ~ 1/sqrt(2)

    @pytest.mark.parametrize("d", [2, 10])
    def test_hole_is_empty_and_has_the_stated_mass(self, d):
        mass = 0.1
        centre, radius = hole_geometry(d, mass=mass, offset=1.0)
        z = sample("hole", 20_000, d, rng=6)
        dist = np.linalg.norm(z - centre, axis=1)
        assert dist.min() > radius  # really empty
        # the ball holds N(0, I)-mass `mass`: check on fresh normals (binomial SE)
        x = np.random.default_rng(7).standard_normal((40_000, d))
        inside = np.mean(np.linalg.norm(x - centre, axis=1) <= radius)
        _within(inside, mass, math.sqrt(mass * (1 - mass) / x.shape[0]))
        # and the hole is where the mass was: the nearest 1% of points to the centre sit at
        # the rim, whereas N(0, I) puts them well inside
        assert np.quantile(dist, 0.01) >= radius

    def test_uniform_ball_and_cube_have_unit_covariance(self):
        for name in ("uniform_ball", "uniform_cube", "eh_pearson_ii"):
            z = sample(name, 30_000, 3, rng=8)
            for i, j in combinations_with_replacement(range(3), 2):
                _mean_check(z[:, i] * z[:, j], float(i == j))
        r = np.linalg.norm(sample("uniform_ball", 5000, 3, rng=9), axis=1)
        assert r.max() <= math.sqrt(5) + 1e-12
        assert np.abs(sample("uniform_cube", 5000, 3, rng=9)).max() <= math.sqrt(3)


class TestGaussianMembers:
    def test_collapsed_variance(self):
        n = 20_000
        z = sample("collapsed", n, 4, rng=10)
        v = z[:, 0].var(ddof=1)
        _within(v, 1e-3, 1e-3 * math.sqrt(2 / (n - 1)))  # Var of s^2 = 2 sigma^4/(n-1)
        for j in range(1, 4):
            _within(z[:, j].var(ddof=1), 1.0, math.sqrt(2 / (n - 1)))

    def test_collapsed_constant_is_exactly_constant(self):
        z = sample("collapsed_constant", 100, 3, rng=1, value=0.25)
        assert np.all(z[:, 0] == 0.25) and z[:, 1].std() > 0.5

    def test_equicorrelation(self):
        z = sample("equicorrelated", 30_000, 3, rng=12, rho=0.4)
        for i, j in combinations_with_replacement(range(3), 2):
            _mean_check(z[:, i] * z[:, j], 1.0 if i == j else 0.4)

    def test_mean_shift_and_low_rank(self):
        z = sample("mean_shift", 20_000, 4, rng=13, delta=0.6)
        _within(np.linalg.norm(z.mean(0)), 0.6, 5 * 2 / math.sqrt(20_000))
        y = sample("low_rank", 5000, 10, rng=14, rank=2, noise=0.05)
        ev = np.linalg.eigvalsh(np.cov(y.T))[::-1]
        assert ev[1] > 3 and ev[2] < 0.05 ** 2 * 1.5  # two big directions, the rest is noise
        _mean_check(np.sum(y * y, axis=1), 10 * (1 + 0.05 ** 2))


class TestShapeFamilies:
    @pytest.mark.parametrize("nu", [5.0, 10.0, 30.0])
    def test_t_unit_covariance(self, nu):
        n = 40_000
        z = sample(f"t{int(nu)}", n, 2, rng=15).ravel()
        if nu > 4:  # Var(z^2) = E z^4 - 1, E z^4 = 3 (nu - 2) / (nu - 4) for the rescaled t
            _within(np.mean(z ** 2), 1.0, math.sqrt((3 * (nu - 2) / (nu - 4) - 1) / z.size))

    def test_t_raw_scale_has_covariance_nu_over_nu_minus_2(self):
        z = sample("t5_raw", 40_000, 2, rng=15, nu=10.0).ravel()
        # nu = 10, scale I: E z^2 = 10/8, E z^4 = 3 nu^2 / ((nu - 2)(nu - 4)) = 300/48
        _within(np.mean(z ** 2), 1.25, math.sqrt((300 / 48 - 1.25 ** 2) / z.size))

    def test_skew_normal_standardized_with_azzalini_skewness(self):
        a = 5.0
        z = sample("skew_normal", 50_000, 2, rng=16, alpha=a).ravel()
        delta = a / math.sqrt(1 + a * a)
        m = delta * math.sqrt(2 / math.pi)
        gamma = (4 - math.pi) / 2 * m ** 3 / (1 - m * m) ** 1.5
        _mean_check(z, 0.0)
        _mean_check(z ** 2, 1.0)
        _mean_check(z ** 3, gamma)

    @pytest.mark.parametrize("name", ["hz_chi2_marginals", "hz_lognormal_marginals",
                                      "eh_laplace_marginals", "eh_beta_marginals"])
    def test_marginal_families_standardized(self, name):
        z = sample(name, 40_000, 2, rng=17).ravel()
        _mean_check(z, 0.0)
        _mean_check(z ** 2, 1.0)

    def test_mixture_standardize_and_separation(self):
        z = sample("mixture2_sep4", 20_000, 3, rng=18)
        # first coordinate: +-2 plus N(0, 1): E z_0^2 = 1 + 4
        _mean_check(z[:, 0] ** 2, 5.0)
        w = sample("mixture10_sep3", 20_000, 3, rng=18, standardize=True)
        for i, j in combinations_with_replacement(range(3), 2):
            _mean_check(w[:, i] * w[:, j], float(i == j))

    def test_location_mixture_weight(self):
        z = sample("sr_location_mixture", 20_000, 2, rng=19)
        # mean of each coordinate is (1 - p) * shift = 0.3
        _mean_check(z[:, 0], 0.3)


# -- the atlas harness -------------------------------------------------------------------

def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


class TestAtlasHarness:
    TESTS = ["mardia_skewness", "ext_scipy_bonferroni"]
    ALTS = ["normal", "t5"]

    def _run(self, out, **kw):
        kw.setdefault("workers", 1)
        return atlas.run_atlas({"n": (50,), "d": (2,)}, tests=self.TESTS, alternatives=self.ALTS,
                               reps=20, out_dir=out, progress=False, **kw)

    def test_output_format(self, tmp_path):
        path = self._run(tmp_path)
        with open(path, newline="") as fh:
            assert next(csv.reader(fh)) == atlas.COLUMNS
        rows = _rows(path)
        assert len(rows) == 2 * 2 * 2  # tests x nulls x alternatives
        for r in rows:
            assert r["status"] == "ok" and int(r["reps"]) == 20
            rate = int(r["rejections"]) / 20
            assert float(r["rate"]) == pytest.approx(rate, abs=1e-4)
            assert float(r["mc_se"]) == pytest.approx(math.sqrt(rate * (1 - rate) / 20), abs=1e-4)
            assert r["kind"] == ("size" if r["alternative"] == "normal" else "power")
            if r["kind"] == "size":
                assert r["outside_band"] in ("True", "False")

    def test_resume_skips_done_rows_and_reproduces_missing_ones(self, tmp_path):
        path = self._run(tmp_path)
        before = _rows(path)
        self._run(tmp_path)  # nothing to do
        assert _rows(path) == before
        # drop one row: the rerun recomputes exactly it, with the same value (seeded per cell)
        with open(path, newline="") as fh:
            lines = fh.readlines()
        dropped = lines.pop(3)
        with open(path, "w", newline="") as fh:
            fh.writelines(lines)
        self._run(tmp_path)
        after = _rows(path)
        assert len(after) == len(before)
        key = lambda r: (r["test"], r["null"], r["alternative"])  # noqa: E731
        strip = lambda r: {k: v for k, v in r.items() if k != "seconds"}  # noqa: E731
        assert sorted(map(strip, after), key=key) == sorted(map(strip, before), key=key)
        assert dropped  # a real row was removed

    def test_skips_are_recorded(self, tmp_path):
        path = atlas.run_atlas({"n": (4,), "d": (3,)}, tests=["ext_scipy_bonferroni"],
                               alternatives=["normal"], reps=5, out_dir=tmp_path, workers=1,
                               progress=False)
        rows = {r["null"]: r for r in _rows(path)}
        assert rows["gaussian"]["status"] == "skipped" and "d + 1" in rows["gaussian"]["note"]
        assert rows["standard"]["status"] == "ok"

    def test_cost_budget_skips_quadratic_tests(self, tmp_path):
        path = atlas.run_atlas({"n": (50,), "d": (2,)}, tests=["henze_zirkler"],
                               alternatives=["normal"], reps=5, out_dir=tmp_path, workers=1,
                               progress=False, cost_budget=10.0)
        rows = _rows(path)
        assert rows and all(r["status"] == "skipped" and "budget" in r["note"] for r in rows)

    def test_two_processes_give_the_same_rates(self, tmp_path):
        one = self._run(tmp_path / "one")
        two = self._run(tmp_path / "two", workers=2)
        pick = lambda p: sorted((r["test"], r["null"], r["alternative"], r["rejections"])  # noqa: E731
                                for r in _rows(p))
        assert pick(one) == pick(two)

    def test_render(self, tmp_path):
        path = self._run(tmp_path)
        paths = atlas.render(path, tmp_path)
        md = (tmp_path / "atlas.md").read_text()
        assert "## Size" in md and "## Power" in md and "mardia_skewness" in md
        assert "n = 50, d = 2" in md
        pytest.importorskip("matplotlib")
        assert any(p.suffix == ".png" and p.stat().st_size > 0 for p in paths)

    def test_render_flags_size_outside_band(self):
        row = dict(test="x", null="standard", alternative="normal", kind="size", n="50", d="2",
                   reps="100", rejections="20", rate="0.2000", mc_se="0.04", alpha="0.05",
                   band="0.0654", outside_band="True", status="ok", note="", seconds="0", seed="0")
        md = atlas.render_markdown([row])
        assert "0.20 **!**" in md and "1 size cell(s) outside the band" in md

    def test_pvalues_file_matches_the_rates(self, tmp_path):
        path = self._run(tmp_path)
        pv = atlas.read_pvalues(tmp_path / atlas.PVALUES_FILE)
        rows = _rows(path)
        assert len(pv) == len(rows)
        for r in rows:
            p = pv[(r["test"], r["null"], r["alternative"], int(r["n"]), int(r["d"]))]
            assert p.shape == (20,) and np.all((p >= 0) & (p <= 1))
            assert int(r["rejections"]) == int(np.sum(p <= 0.05))

    def test_derived_verdict_is_what_assess_decides(self):
        # the atlas derives the verdict from the members' p-values on each replicate;
        # assess, run on the same sample, must give the same verdict p-value
        from gausstest.alternatives import sample as draw
        from gausstest.battery import assess, select_tests, verdict_weights
        from gausstest.report import closed_verdict
        g = np.random.default_rng(8)
        zs = [draw(a, 50, 2, rng=g)
              for a in ("normal", "t5", "mixture2_sep4", "hole", "scale_iso", "uniform_cube")]
        pv = {(code, nl, "mix", 50, 2): np.array([atlas._pvalue(code, z, nl, 0.05) for z in zs])
              for code, nl in select_tests(None, "both")}
        rows = {r["null"]: r for r in atlas.derive_verdict_rows(pv)}
        assert set(rows) == {"standard", "gaussian", "both"}
        for null in ("standard", "gaussian", "both"):
            members = select_tests(None, null)
            w = verdict_weights(members)
            fails = 0
            for i, z in enumerate(zs):
                mine = np.nanmin(closed_verdict([nl for _, nl in members],
                                                [pv[(c, nl, "mix", 50, 2)][i] for c, nl in members],
                                                w))
                theirs = assess(z, null=null).verdict_pvalue
                assert mine == pytest.approx(theirs, rel=1e-12)
                fails += theirs <= 0.05
            assert int(rows[null]["rejections"]) == fails
            assert 0 < fails < len(zs)  # the check can fail both ways

    def test_verdict_margin_table(self):
        row = lambda t, rate: dict(test=t, null="standard", alternative="t5", kind="power",  # noqa: E731
                                   n="50", d="2", reps="100", rejections=str(int(rate * 100)),
                                   rate=f"{rate:.4f}", mc_se="0.01", alpha="0.05", band="0.06",
                                   outside_band="", status="ok", note="", seconds="0", seed="0")
        m = atlas.verdict_margin([row("verdict", 0.5), row("radii", 0.8), row("energy", 0.6)])
        assert m == [dict(null="standard", alternative="t5", n=50, d=2, verdict=0.5, best=0.8,
                          best_test="radii", reps=100, gap=pytest.approx(0.3))]

    def test_cli_list(self, capsys):
        assert atlas.main(["list"]) == 0
        out = capsys.readouterr().out
        assert "mardia_matched" in out and "ext_pingouin_hz" in out
