"""Shipped null tables (gausstest.calibration): they load, cover their grid, reproduce
cells by simulation, interpolate off the grid in agreement with fresh Monte Carlo, and
are what ``method="auto"`` uses by default."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from gausstest import calibration as cal
from gausstest import henze_zirkler, mardia_kurtosis, projections, radii
from gausstest.battery import DEFAULT_BATTERY
from gausstest.pvalues import MonteCarlo, _draw_statistics
from gausstest.registry import get_spec

sys.path.insert(0, str(Path(__file__).parent / "calibration"))
import make_tables  # noqa: E402


class TestTablesShipped:
    def test_every_simulated_default_test_has_a_table(self):
        for code in DEFAULT_BATTERY:
            spec = get_spec(code)
            for null in spec.nulls:
                if code in cal.SHIPPED_TESTS:
                    assert cal.table_for(code, null) is not None, (code, null)

    @pytest.mark.parametrize("code", cal.SHIPPED_TESTS)
    def test_cells_are_well_formed(self, code):
        for null in get_spec(code).nulls:
            t = cal.table_for(code, null)
            done = t.b > 0
            assert done.any()
            assert (t.b[done] >= 1000).all()
            assert np.isfinite(t.mean[done]).all() and (t.sd[done] > 0).all()
            for zc, b in zip(t.z[done].astype(float), t.b[done]):
                # quantiles rise as the survival level falls, resolved down to 3/B
                body = cal.LEVELS >= 3.0 / b
                assert np.isfinite(zc[body]).all()
                assert (np.diff(zc[body]) >= -1e-6).all()

    @pytest.mark.parametrize("code", cal.SHIPPED_TESTS)
    def test_focus_points_covered(self, code):
        """Every cell around the README example, the issue's cold-start points and the
        off-grid validation points is simulated (the rest of the grid resumes by script:
        ``python tests/calibration/make_tables.py status``)."""
        for null in get_spec(code).nulls:
            t = cal.table_for(code, null)
            for n, d in make_tables.focus_cells(code, null):
                i = list(t.n_grid).index(n)
                j = list(t.d_grid).index(d)
                assert t.b[i, j] > 0, (code, null, n, d)
            for n, d in make_tables.FOCUS:
                spec = get_spec(code)
                limit = spec.subsample_above(d) if spec.subsample_above is not None else None
                rows = min(n, limit) if limit else n
                on_d_grid = d in cal.D_GRID or d <= cal._D_INTERPOLATED_UP_TO.get(code, d)
                # near n = d these are Monte Carlo on purpose (cal._NEAR_D_LIMIT)
                near = cal._NEAR_D_LIMIT.get((code, null), 0.0)
                near_d = rows < near * min(g for g in cal.D_GRID if g >= d)
                if (rows >= spec.min_n(d, null) and (null == "standard" or rows > d + 2)
                        and on_d_grid and not near_d
                        and cal.sim_rows(spec, rows, d) >= cal._MIN_TABLED_ROWS.get(code, 0)):
                    assert cal.applies(spec, rows, d, null, cal.canonical_options(code, rows, d)), (
                        code, null, n, d)


def _small_cells():
    """The smallest simulated cell at d = 2 of every shipped (test, null): cheap to redo."""
    out = []
    for code in cal.SHIPPED_TESTS:
        for null in get_spec(code).nulls:
            d = 1 if (code, null) in make_tables.D_FREE else 2
            n = min(n for n, dd in make_tables.grid_cells(code, null) if dd == d)
            out.append((code, null, n, d))
    return out


class TestReproduction:
    """Cells re-simulated from their seed give the stored summary: the kernels have not
    drifted from the ones the table was made with (one small cell per test and null)."""

    @pytest.mark.parametrize("code,null,n,d", _small_cells())
    def test_cell_reproduces(self, code, null, n, d):
        spec = get_spec(code)
        t = cal.table_for(code, null)
        i, j = list(t.n_grid).index(n), list(t.d_grid).index(d)
        assert t.b[i, j] > 0
        stats_ = _draw_statistics(spec, cal.sim_rows(spec, n, d), d, null,
                                  cal.canonical_options(code, n, d), int(t.b[i, j]),
                                  cal.cell_seed(code, null, n, d))
        mean, sd, z = cal.summarize(stats_, spec.two_sided)
        # the projections tables were made when log Phi came from a linear table (error
        # < 5e-7, so A^2 within 2 n 5e-7 <= 4e-4 at the n <= 400 it simulates); the kernel
        # now computes it exactly, which moves the cell below that and no more
        rel = 2e-4 if code == "projections" else 1e-9
        assert mean == pytest.approx(t.mean[i, j], rel=rel, abs=1e-12)
        assert sd == pytest.approx(t.sd[i, j], rel=rel)
        np.testing.assert_allclose(z[np.isfinite(z)], t.z[i, j][np.isfinite(z)],
                                   rtol=max(rel, 1e-5), atol=1e-5)


class TestSurvival:
    def test_survival_of_exact_quantiles_is_the_law(self):
        q = stats.chi2.isf(cal.LEVELS, 5)
        for t in [1.0, 4.35, 9.2, 15.1, 20.5, 25.0]:
            p, extra = cal.survival(t, q)
            assert p == pytest.approx(stats.chi2.sf(t, 5), rel=0.02)
            assert not extra

    def test_tail_extrapolation_is_exponential_and_floored(self):
        q = stats.expon.isf(cal.LEVELS)
        q[cal.LEVELS < 1e-3] = np.nan  # a table that resolves its tail to 1e-3 only
        p, extra = cal.survival(float(stats.expon.isf(1e-5)), q)
        assert extra and p == pytest.approx(1e-5, rel=0.05)
        assert cal.survival(1e3, q)[0] == cal.P_FLOOR

    def test_atoms_of_a_discrete_statistic_are_not_skipped(self):
        """A discrete statistic (coverage counts) has runs of equal quantiles, stored as
        float32 standardized values: at an atom t the p-value lies between P(T > t) and
        P(T >= t) up to one level's spacing, never below P(T > t) (a strict comparison
        against the rounded quantile skipped the whole atom)."""
        t_all = np.random.default_rng(3).poisson(30.0, 20000).astype(float)
        mean, sd, z = cal.summarize(t_all)
        q = mean + sd * z.astype(np.float32).astype(float)
        for t in np.unique(t_all):
            above, at_or_above = np.mean(t_all > t), np.mean(t_all >= t)
            if not 0.01 <= at_or_above <= 0.5:
                continue
            p, _ = cal.survival(t, q, discrete=True)
            k = int(np.searchsorted(-cal.LEVELS, -at_or_above))  # first level below
            gap = cal.LEVELS[max(k - 1, 0)] / cal.LEVELS[min(k + 1, cal.LEVELS.size - 1)]
            assert above / gap <= p <= at_or_above * gap, (t, p, above, at_or_above)

    def test_continuous_value_at_a_stored_quantile_is_interpolated(self):
        """A continuous statistic that lands within float32 rounding of a stored quantile
        gets that quantile's level, not the atom rule's midpoint of two levels (the radii's
        table at (35, 2) read 0.249 for a statistic whose p-value was 0.232)."""
        q = stats.chi2.isf(cal.LEVELS, 5)
        tol = 1e-6 * (q[-1] - q[0])
        for k in (10, 40, 57, 80):
            for off in (-0.5 * tol, 0.0, 0.5 * tol):
                p, _ = cal.survival(float(q[k] + off), q)
                assert p == pytest.approx(cal.LEVELS[k], rel=1e-3), (k, off, p)
            # the same value read as an atom of a discrete statistic lies a level above
            p_atom, _ = cal.survival(float(q[k]), q, discrete=True)
            assert p_atom == pytest.approx(math.sqrt(cal.LEVELS[k] * cal.LEVELS[k - 1]))

    def test_left_of_the_table_is_the_top_level(self):
        q = stats.norm.isf(cal.LEVELS)
        assert cal.survival(-10.0, q)[0] == cal.LEVELS[0]


class TestInterpolationInD:
    def test_skewness_median_between_d_grid_nodes(self):
        """Mardia's n b1 / 6 has mean f = d(d+1)(d+2)/6 (composite null): its law at d = 40,
        interpolated from d = 32 and 48, keeps the chi2(f) median within 0.05 sd (a raw
        geometric interpolation of the mean was 0.17 sd off)."""
        f = 40 * 41 * 42 / 6
        q, _, cells = cal.table_for("mardia_skewness", "gaussian").quantiles(200, 40)
        assert {d for _, d in cells} == {32, 48}
        median = np.interp(0.5, cal.LEVELS[::-1], q[::-1])
        assert abs(median - stats.chi2.median(f)) < 0.05 * np.sqrt(2 * f)

    def test_energy_median_between_d_grid_nodes(self):
        """The composite-null energy law is narrow (sd 0.3% of its mean): interpolated in d
        relative to sqrt(2) E chi_d, its median at d = 40 is within 0.05 sd of a seeded
        simulation (the raw interpolation was 0.09 sd off here)."""
        from gausstest.pvalues import _draw_statistics

        s = _draw_statistics(get_spec("energy"), 100, 40, "gaussian", {}, 2000, 5)
        q, _, _ = cal.table_for("energy", "gaussian").quantiles(100, 40)
        median = np.interp(0.5, cal.LEVELS[::-1], q[::-1])
        assert abs(median - np.median(s)) < 0.05 * s.std()

    def test_henze_zirkler_reference_is_the_standard_null_law(self):
        """The exact standard-null mean and sd of T - 1 that Henze-Zirkler's table is
        divided by before interpolation (E = -a^{-d/2}; the variance from the U-statistic
        split) match a seeded simulation at (50, 8) and (150, 16)."""
        from gausstest.pvalues import _draw_statistics

        for n, d in [(50, 8), (150, 16)]:
            s = _draw_statistics(get_spec("henze_zirkler"), n, d, "standard",
                                 cal.canonical_options("henze_zirkler", n, d), 4000, 11)
            mean, sd = cal._hz_reference("standard")(n, d)
            assert abs(s.mean() - mean) < 4 * sd / math.sqrt(s.size)
            assert s.std() == pytest.approx(sd, rel=0.08)

    def test_henze_zirkler_composite_mean_is_exact(self):
        """The exact composite-null mean of T - 1 (whitened rows: D_jk = 2n B, D_j = (n - 1) B
        in law, B ~ Beta(d/2, (n - 1 - d)/2)) matches a seeded simulation at (60, 30) and
        (120, 100), where the law is light-tailed enough for a 4-se check; near n = d the
        leverage scale is the sd itself (the pair term is negligible)."""
        from scipy import integrate, stats
        from scipy.special import hyp1f1

        from gausstest.pvalues import _draw_statistics

        for n, d in [(60, 30), (120, 100)]:
            s = _draw_statistics(get_spec("henze_zirkler"), n, d, "gaussian",
                                 cal.canonical_options("henze_zirkler", n, d), 4000, 11)
            mean, scale = cal.hz_composite_moments(n, d)
            assert abs(s.mean() - mean) < 4 * s.std() / math.sqrt(s.size), (n, d)
            if d == 100:  # near n = d
                assert s.std() == pytest.approx(scale, rel=0.1)
        # Kummer's function as the Laplace transform of the Beta law, by quadrature
        a, b, t = 64.0, 235.5, 300.0
        ref = integrate.quad(lambda x: stats.beta.pdf(x, a, b) * math.exp(-t * x), 0, 1,
                             points=[(a - 1) / (a + b - 2)], epsrel=1e-12, limit=200)[0]
        assert hyp1f1(a, a + b, -t) == pytest.approx(ref, rel=1e-9)

    def test_henze_zirkler_interpolates_in_d_where_validated(self):
        """Henze-Zirkler's law interpolates in d up to d = 32, and up to 256 where the two
        tabled d around it (the grid and the extra d its rows hold: 40, 56, 80, 100, 144,
        160, 200, 224) are within 30% of each other (20% beyond d = 128, 15% beyond 200);
        under the composite null beyond d = 20 only where n >= 2d.
        Its median, interpolated at (300, 28) from d = 24 and 32 and at (450, 60) from d =
        56 and 64, is close to a seeded simulation's under both nulls."""
        from gausstest.pvalues import _draw_statistics

        std, gau = (cal.table_for("henze_zirkler", nl) for nl in ("standard", "gaussian"))
        assert std.covers(777, 21) and gau.covers(777, 21) and std.covers(1000, 28)
        assert std.covers(50, 30) and not gau.covers(50, 30)  # n < 2d: whitening
        assert std.covers(700, 40) and gau.covers(600, 50) and gau.covers(250, 44)
        assert gau.covers(130, 40) and gau.covers(175, 40) and gau.covers(70, 30)
        assert std.covers(1000, 48) and gau.covers(1000, 48)  # grid d
        assert std.covers(700, 100) and gau.covers(500, 200)  # extra grid d, grid n
        assert std.covers(700, 90) and gau.covers(1000, 90) and gau.covers(500, 110)
        assert std.covers(300, 160) and gau.covers(400, 175)  # extra d 160; 160 to 192
        assert std.covers(500, 150) and gau.covers(600, 150) and gau.covers(300, 136)  # 144
        assert not gau.covers(250, 150)  # n < 2d
        assert std.covers(500, 230) and gau.covers(700, 212)  # extra d 224, 200 to 256
        assert std.covers(700, 300) and gau.covers(800, 300)  # beyond 256: see below
        # at the 1000-row cap (n >= 1000): more extra grid d, so more of d is tabled
        assert std.covers(1000, 70) and gau.covers(1000, 44) and std.covers(1000, 112)
        assert gau.covers(1000, 300) and gau.covers(1000, 120) and gau.covers(1000, 175)
        for (n, d), dd, tol in [((300, 28), {24, 32}, 0.05), ((450, 60), {56, 64}, 0.1)]:
            for null, t in [("standard", std), ("gaussian", gau)]:
                s = _draw_statistics(get_spec("henze_zirkler"), n, d, null,
                                     cal.canonical_options("henze_zirkler", n, d), 2000, 5)
                q, _, cells = t.quantiles(n, d)
                assert {c[1] for c in cells} == dd
                median = np.interp(0.5, cal.LEVELS[::-1], q[::-1])
                assert abs(median - np.median(s)) < tol * s.std(), (n, d, null)

    def test_henze_zirkler_between_grid_n_at_high_d(self):
        """Beyond d = 20 Henze-Zirkler's cells are put on one scale by the law's exact mean
        (:func:`hz_composite_moments`; the standard null's own) and a known scale, and their
        central 80% spread is interpolated: the median and the 95% quantile at (250, 128)
        under the composite null (from n = 200 and 300) and at (350, 192) under the standard
        one (from 300 and 400) match a seeded simulation's. (Divided by their simulated sd,
        which the rare close pairs make noisy, the standard-null table rejected 0.9% of
        N(0, I) samples at alpha = 0.05 at (350, 192).)"""
        from gausstest.pvalues import _draw_statistics

        for n, d, null, lo in [(250, 128, "gaussian", 200), (350, 192, "standard", 300)]:
            t = cal.table_for("henze_zirkler", null)
            q, _, cells = t.quantiles(n, d)
            assert {c[0] for c in cells} == {lo, cal.N_GRID[cal.N_GRID.index(lo) + 1]}
            s = _draw_statistics(get_spec("henze_zirkler"), n, d, null,
                                 cal.canonical_options("henze_zirkler", n, d), 1500, 7)
            spread = np.quantile(s, 0.9) - np.quantile(s, 0.1)
            for level, tol in [(0.5, 0.08), (0.05, 0.15)]:
                table = np.interp(level, cal.LEVELS[::-1], q[::-1])
                assert abs(table - np.quantile(s, 1 - level)) < tol * spread, (n, d, null, level)

    @pytest.mark.parametrize("null,tol", [("standard", 0.2), ("gaussian", 0.2)])
    def test_henze_zirkler_beyond_256_reproduces_a_held_out_cell(self, null, tol):
        """Beyond d = 256 Henze-Zirkler's cells are interpolated in units of the constant
        term c0 = n (1 + 2 beta^2)^{-d/2} (hz_high_d_terms): (T - 1) / c0 under the standard
        null, log(1 - (T - 1) / c0) about its leverage mean under the composite one. The
        cell (1000, 300), held out, is reproduced from d = 256 and 384: the p-value at its
        own 0.5, 0.05 and 0.01 quantiles is within 20% of the level. (In the exact mean and
        sd, as up to d = 256, it was 0.004 / 0.0034 at 0.05 / 0.01 under the standard null,
        0.025 / 0.002 under the composite one.)"""
        from dataclasses import replace

        t = cal.table_for("henze_zirkler", null)
        i, j = list(t.n_grid).index(1000), list(t.d_grid).index(300)
        held = t.mean[i, j] + t.sd[i, j] * t.z[i, j].astype(float)
        b = t.b.copy()
        b[i, j] = 0
        q, _, cells = replace(t, b=b).quantiles(1000, 300)
        assert {cd for _, cd in cells} == {256, 384}
        for level in (0.5, 0.05, 0.01):
            at = float(np.interp(level, cal.LEVELS[::-1], held[::-1]))
            p, _ = cal.survival(at, q)
            assert abs(p - level) <= tol * level, (null, level, p)

    def test_henze_zirkler_beyond_256_matches_simulation(self):
        """The median and 95% quantile of the table at (700, 450), from d = 384 and 512
        (rows 600-850), match a seeded simulation's under both nulls; the composite null
        is interpolated at the same n / d (rows n d' / d at d' = 384 and 512)."""
        from gausstest.pvalues import _draw_statistics

        for null in ("standard", "gaussian"):
            t = cal.table_for("henze_zirkler", null)
            q, _, cells = t.quantiles(700, 450)
            assert {cd for _, cd in cells} == {384, 512}
            if null == "gaussian":
                assert {cn for cn, cd in cells if cd == 384} == {500, 600}
                assert {cn for cn, cd in cells if cd == 512} == {700, 850}
            s = _draw_statistics(get_spec("henze_zirkler"), 700, 450, null,
                                 cal.canonical_options("henze_zirkler", 700, 450), 600, 11)
            spread = np.quantile(s, 0.9) - np.quantile(s, 0.1)
            for level, tol in [(0.5, 0.1), (0.05, 0.2)]:
                table = np.interp(level, cal.LEVELS[::-1], q[::-1])
                assert abs(table - np.quantile(s, 1 - level)) < tol * spread, (null, level)

    def test_reference_leaves_grid_cells_unchanged(self):
        t = cal.table_for("mardia_skewness", "standard")
        i, j = list(t.n_grid).index(200), list(t.d_grid).index(32)
        q, _, _ = t.quantiles(200, 32)
        np.testing.assert_allclose(q, t.mean[i, j] + t.sd[i, j] * t.z[i, j].astype(float),
                                   rtol=1e-12)


class TestAuto:
    def test_default_method_uses_the_table(self, rng):
        r = mardia_kurtosis(rng.standard_normal((120, 5)), null="gaussian")
        assert r.pvalue_method.method == "table"
        assert r.pvalue_method.cache == "shipped"
        assert "interpolated" in r.pvalue_method.description
        assert 0 < r.pvalue <= 1

    def test_grid_point_says_so(self, rng):
        r = radii(rng.standard_normal((200, 4)))
        assert r.pvalue_method.method == "table" and "at the grid point" in r.pvalue_method.description

    def test_non_default_options_fall_back_to_monte_carlo(self, rng):
        z = rng.standard_normal((60, 3))
        assert radii(z, statistic="cvm").pvalue_method.method == "monte_carlo"
        assert henze_zirkler(z, beta=0.7).pvalue_method.method == "monte_carlo"
        assert projections(z, rng=5).pvalue_method.method == "monte_carlo"

    def test_explicit_monte_carlo_is_honoured(self, rng):
        r = mardia_kurtosis(rng.standard_normal((60, 3)), method=MonteCarlo(n_resamples=199))
        assert r.pvalue_method.method == "monte_carlo"

    def test_asymptotic_never_nan(self, rng):
        z = rng.standard_normal((300, 64))
        r = henze_zirkler(z, method="asymptotic")
        assert math.isfinite(r.pvalue) and 0 < r.pvalue <= 1
        assert "not defined" in r.pvalue_method.description

    def test_table_method_by_name(self, rng):
        r = radii(rng.standard_normal((300, 3)), method="table")
        assert r.pvalue_method.method == "table"
        with pytest.raises(ValueError, match="no shipped null table"):
            radii(rng.standard_normal((300, 3)), statistic="ks", method="table")


class TestAgreementWithFreshMonteCarlo:
    """Off the grid, the interpolated table and a fresh simulation agree."""

    @pytest.mark.parametrize("code,null,n,d", [
        ("mardia_kurtosis", "gaussian", 120, 5),
        ("radii", "gaussian", 600, 11),
        ("projections", "standard", 35, 2),
    ])
    def test_pvalues_agree(self, code, null, n, d, rng):
        spec = get_spec(code)
        b = 4999
        sims = _draw_statistics(spec, cal.sim_rows(spec, n, d), d, null, {}, b, 777)
        sims = np.abs(sims) if spec.two_sided else sims
        q, _, _ = cal.table_for(code, null).quantiles(cal.key_rows(spec, n, d), d)
        for level in [0.5, 0.2, 0.1, 0.05, 0.02]:
            t = float(np.quantile(sims, 1 - level))
            p_table, _ = cal.survival(t, q)
            p_mc = (1 + np.count_nonzero(sims >= t)) / (b + 1)
            # Monte Carlo sd of p_mc at B = 4999 plus the table's own error
            tol = 3 * math.sqrt(p_mc * (1 - p_mc) / b) + 0.006
            assert abs(p_table - p_mc) <= tol, (level, p_table, p_mc)


def test_coverage_shipped_pilot_matches_computed(tmp_path, monkeypatch):
    """The shipped pilot moments of coverage are the ones the seeded pilot computes."""
    import importlib

    cov = importlib.import_module("gausstest.coverage")

    t = cal.table_for("coverage", "standard")
    i, j = list(t.n_grid).index(1000), list(t.d_grid).index(2)
    shipped = cal.coverage_moments(1000, 1000, 2, 5, 0)
    assert shipped is not None
    np.testing.assert_allclose(shipped, t.extra["moments"][i, j])
    monkeypatch.setattr(cal, "coverage_moments", lambda *a: None)
    monkeypatch.setenv("GAUSSTEST_CACHE_DIR", str(tmp_path))
    np.testing.assert_allclose(cov._null_moments(1000, 1000, 2, 5, 0), shipped, rtol=1e-12)


def test_coverage_atoms_give_the_monte_carlo_p_value_on_the_grid():
    """At a grid cell, a coverage statistic that is one of the cell's atoms gets P(T >= t)
    counted in the cell's draws: fresh draws agree to Monte Carlo error. (From the quantile
    levels alone, 0.04 apart near p = 0.3, p-values at an atom were up to 0.037 off.)"""
    from gausstest.registry import run_test

    spec = get_spec("coverage")
    t = cal.table_for("coverage", "standard")
    i, j = list(t.n_grid).index(100), list(t.d_grid).index(5)
    atom_t, atom_s = t.extra["atom_t"][i, j], t.extra["atom_s"][i, j]
    ok = np.isfinite(atom_t)
    assert ok.sum() >= 50 and np.all(np.diff(atom_t[ok]) > 0) and np.all(np.diff(atom_s[ok]) < 0)
    b = 4000
    fresh = _draw_statistics(spec, 100, 5, "standard", cal.canonical_options("coverage", 100, 5),
                             b, 12345)
    for k in np.flatnonzero(ok & (atom_s > 0.05) & (atom_s < 0.6))[::4]:
        share = np.mean(fresh >= atom_t[k])
        assert abs(share - atom_s[k]) <= 4 * math.sqrt(share * (1 - share) / b) + 1e-3
    # a report's p-value at an atom is that count
    z = np.random.default_rng(7).standard_normal((100, 5))
    r = run_test("coverage", z, null="standard")
    assert r.pvalue_method.method == "table"
    assert "atoms" in r.pvalue_method.description
    assert r.pvalue == pytest.approx(cal.atom_survival(r.statistic, atom_t, atom_s))


def test_calibrate_command_fills_the_cache(tmp_path, monkeypatch, capsys):
    from gausstest.cli import main

    monkeypatch.setenv("GAUSSTEST_CACHE_DIR", str(tmp_path))
    # n = 8 lies below the table's grid: simulated and cached, then found in the cache
    args = ["calibrate", "--n", "8", "--d", "2", "--tests", "radii", "--null", "standard"]
    assert main(args) == 0
    assert "radii              standard  built" in capsys.readouterr().out
    assert main(args) == 0
    assert "standard  cached" in capsys.readouterr().out
    assert any(tmp_path.glob("radii-standard-n8-d2-*.npy"))
    assert main(["calibrate", "--n", "500", "--d", "4", "--tests", "radii"]) == 0
    assert "radii              standard  table" in capsys.readouterr().out
    assert main(["calibrate", "--n", "1", "--d", "2"]) == 2


def test_table_is_package_data():
    """`pip install .` (not editable) must ship the table: pyproject's package-data
    patterns cover gausstest/data/calibration.npz."""
    import fnmatch

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    root = Path(__file__).resolve().parent.parent
    conf = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = conf["tool"]["setuptools"]["package-data"]["gausstest"]
    assert any(fnmatch.fnmatch(f"data/{cal.TABLE_FILE}", p) for p in patterns)
    assert (root / "gausstest" / "data" / cal.TABLE_FILE).exists()


def test_henze_zirkler_not_interpolated_in_n_near_d():
    """Between grid n beyond d = 20 Henze-Zirkler's table needs the lower grid n >= 1.2 d
    (size 0.031 at (250, 192) from n = 200, 0.040 at (450, 384) from 400); under the
    composite null beyond d = 200 rows at most 25% apart (0.039 at (600, 256) from 500 and
    700), which only its extra rows at d = 256 and beyond are."""
    std, gau = (cal.table_for("henze_zirkler", nl) for nl in ("standard", "gaussian"))
    assert not std.covers(420, 384) and std.covers(650, 384)
    assert gau.covers(650, 192) and gau.covers(850, 128) and gau.covers(450, 100)
    assert not gau.covers(250, 192) and gau.covers(350, 192) and gau.covers(110, 64)
    assert std.covers(550, 256) and gau.covers(1000, 256)
    # extra rows at d = 256: interpolated between them; at 384 and 512 exact cells only
    for n, rows in [(525, {500, 600}), (650, {600, 700}), (800, {700, 850}), (400, {400})]:
        assert {c[0] for c in gau.quantiles(n, 256)[2]} == rows
    assert gau.covers(600, 384) and gau.covers(850, 512) and gau.covers(700, 384)
    # beyond d = 256 in units of n (1 + 2 beta^2)^{-d/2} (hz_high_d_terms): rows at most
    # 25% apart, the lower at least 1.2 d
    assert gau.covers(650, 384) and gau.covers(925, 512) and std.covers(813, 512)
    assert not gau.covers(480, 384) and not std.covers(650, 512)


def test_capped_rows_off_the_d_grid_hold_the_next_grid_d():
    """A capped composite null near n = d keeps >= 1.25 d rows, rounded up to a grid row
    that also holds a cell at the next grid d: at d = 385-400 that is 700 rows (500 cannot
    whiten a sample in 512 dimensions), so the table interpolates between d = 384 and 512
    there instead of leaving it to Monte Carlo; elsewhere the rows are unchanged."""
    spec = get_spec("projections")
    assert spec.sim_rows(3000, 395) == 700 and spec.sim_rows(3000, 400) == 700
    assert spec.sim_rows(3000, 384) == 500 and spec.sim_rows(3000, 380) == 500
    assert spec.sim_rows(3000, 300) == 400 and spec.sim_rows(3000, 450) == 700
    assert cal.applies(spec, 3000, 395, "gaussian", {})
    _, _, cells = cal.table_for("projections", "gaussian").quantiles(700, 395)
    assert {cd for _, cd in cells} == {384, 512}


@pytest.mark.parametrize("code", ["mardia_skewness", "energy"])
def test_no_interpolation_from_rows_near_d_where_it_fails(code):
    """Under the composite null Mardia's skewness and the energy statistic move fast as n
    nears d: an interpolation leaning on a cell with n < 1.2 d had size 0.11-0.16 at
    (450, 384), (240, 192) and (420, 300) (cal._NEAR_D_LIMIT); those are Monte Carlo now,
    farther from n = d the table still answers, and the other tests keep their table."""
    spec = get_spec(code)
    for n, d in [(450, 384), (240, 192), (420, 300), (25, 16), (150, 110)]:
        assert not cal.applies(spec, n, d, "gaussian", {}), (n, d)
        assert cal.applies(spec, n, d, "standard", {}), (n, d)
    # the common latent sizes d = 100 and 200 have cells near n = 1.5 d (cal.EXTRA_D)
    for n, d in [(800, 384), (333, 48), (175, 40), (700, 450), (150, 100), (180, 100),
                 (300, 200), (350, 200)]:
        assert cal.applies(spec, n, d, "gaussian", {}), (n, d)
    for other in ("mardia_kurtosis", "radii"):
        assert cal.applies(get_spec(other), 450, 384, "gaussian", {})
        assert cal.applies(get_spec(other), 240, 192, "gaussian", {})


def test_henze_zirkler_between_d_200_and_256_at_500_to_1000_rows_is_tabled():
    """Under the composite null the grid rows 500, 700 and 1000 are too far apart beyond
    d = 200 (cal._N_INTERPOLATION_MAX_GAP): d = 200 and 224 got the rows 600 and 850 that
    d = 256 has (cal.EXTRA_N / EXTRA_D), and d between them uses the rows both hold. A first
    report at (600, 240) had been a minute of Monte Carlo; validated by
    ``validate.py interp`` (tests/size/high_d_interp.md)."""
    spec = get_spec("henze_zirkler")
    for n, d in [(600, 240), (560, 212), (780, 230), (900, 250), (650, 205), (527, 240)]:
        for null in ("standard", "gaussian"):
            opts = cal.canonical_options("henze_zirkler", n, d)
            assert cal.applies(spec, n, d, null, opts), (n, d, null)
    _, _, cells = cal.table_for("henze_zirkler", "gaussian").quantiles(600, 240)
    assert {cn for cn, _ in cells} == {600} and {cd for _, cd in cells} == {224, 256}
    # below d = 200 the extra rows do not enter (no cells there)
    assert 600 not in {cn for cn, _ in cal.table_for("henze_zirkler", "gaussian")
                       .quantiles(600, 190)[2]}


def test_beyond_the_last_d_kurtosis_is_normal_and_radii_read_at_512():
    """Beyond d = 512 from n = 1.35 d: Mardia's kurtosis by its normal law, the composite
    radii from the d = 512 column (sizes in tests/size/high_d_interp.md); nearer n = d,
    Monte Carlo as before."""
    from gausstest.registry import run_test

    radii, kurt = get_spec("radii"), get_spec("mardia_kurtosis")
    assert cal.applies(radii, 2000, 768, "gaussian", {})
    assert cal.table_for("radii", "gaussian").quantiles(2000, 768)[2] == [(2000, 512)]
    assert not cal.applies(radii, 800, 700, "gaussian", {})
    assert kurt.asymptotic_valid(2000, 768, "gaussian", {}) and not kurt.asymptotic_valid(800, 700, "gaussian", {})
    z = np.random.default_rng(0).standard_normal((1100, 600))
    r = run_test("radii", z, null="gaussian")
    assert r.pvalue_method.method == "table" and "read in the last tabled d = 512" in r.pvalue_method.description
    k = run_test("mardia_kurtosis", z, null="gaussian")
    assert k.pvalue_method.method == "asymptotic"


def _level(table, n, d, s):
    q = table.quantiles(n, d)[0]
    return float(np.interp(np.log(s), np.log(cal.LEVELS[::-1]), q[::-1]))


def test_beyond_the_last_d_rules_rescale_the_512_column():
    """Each rule of cal._BEYOND, checked against the column it reads: the energy and
    skewness locations and scales follow their references, the projections maximum its
    number of directions (sizes with fresh draws in tests/size/high_d_interp.md)."""
    last = cal.D_GRID[-1]
    # energy, standard null: in units of sqrt(2) E chi_d, the column's law at the same n
    t = cal.table_for("energy", "standard")
    ratio = cal._energy_reference(300, 1024)[0] / cal._energy_reference(300, last)[0]
    assert _level(t, 300, 1024, 0.5) == pytest.approx(_level(t, 300, last, 0.5) * ratio, rel=0.01)
    assert _level(t, 300, 1024, 0.05) - _level(t, 300, 1024, 0.5) == pytest.approx(
        _level(t, 300, last, 0.05) - _level(t, 300, last, 0.5), rel=1e-6)
    # skewness, composite null: mean d(d+1)(d+2)/6 exactly, spread from the same n / d
    t = cal.table_for("mardia_skewness", "gaussian")
    f = 768 * 769 * 770 / 6.0
    med = _level(t, 1500, 768, 0.5)
    assert abs(med - f) < 0.05 * math.sqrt(2 * f)
    spread = (_level(t, 1500, 768, 0.05) - med) / math.sqrt(2 * f)
    assert spread == pytest.approx((_level(t, 1000, last, 0.05) - _level(t, 1000, last, 0.5))
                                   / math.sqrt(2 * last * (last + 1) * (last + 2) / 6.0), rel=1e-6)
    # energy, composite null: d times the sd from the same n / d
    t = cal.table_for("energy", "gaussian")
    w768 = _level(t, 1000, 700, 0.05) - _level(t, 1000, 700, 0.5)
    assert t.covers(1000, 700)
    lo = _level(t, 700, last, 0.05) - _level(t, 700, last, 0.5)
    hi = _level(t, 1000, last, 0.05) - _level(t, 1000, last, 0.5)
    # (the rows 700 and 1000 around 1000 * 512 / 700 = 731, their spread times 512 / 700)
    assert min(lo, hi) * last / 700 * 0.999 <= w768 <= max(lo, hi) * last / 700 * 1.001
    # the spread at n / d = 1.58 from d = 256, whose row 400 (1.56 d) is nearer than the
    # 512 column's rows 700 and 1000 (its sd had been 5% low there, the size 0.070)
    assert (400, 256) in t.quantiles(950, 600)[2]
    # ... and near n = d (below 1.3 d there, or a row under 1.3 * 512) it does not apply
    assert not t.covers(900, 768) and not t.covers(700, 600)
    # projections: the maximum over K = d + 500 directions
    t = cal.table_for("projections", "standard")
    k = (768 + 500) / (last + 500)
    x = _level(t, 400, 768, 0.05)
    s512 = cal.survival(x, t.quantiles(400, last)[0])[0]
    assert 1.0 - (1.0 - s512) ** k == pytest.approx(0.05, rel=0.02)
    assert _level(t, 400, 768, 0.05) > _level(t, 400, last, 0.05)
    # every rule reads only its own column
    for (code, null), rule in cal._BEYOND.items():  # (projections: n / d-free, any n > d + 1)
        assert rule.min_ratio >= (1.25 if null == "gaussian" and code != "projections"
                                  else 0.0), (code, null)


def test_skewness_standard_law_resolves_a_narrow_conditional_step():
    """At d = 768, n = 1500 the radii's diagonal is 15 sd of the rest: the conditional
    survival is a step 0.07 sd wide in the radii's law. The quadrature refines there; a
    uniform grid of 20,001 nodes is the reference (the 40 Gauss-Hermite nodes it replaced
    were 0.008 off at p = 0.98 and gave size-test KS gaps of 0.07)."""
    from gausstest import moments

    n, d = 1500, 768
    rng = np.random.default_rng(3)
    stats = [n * moments._b1(rng.standard_normal((n, d))) / 6.0 for _ in range(3)]
    got = [moments._skew_standard_sf(s, n, d) for s in stats]
    base = moments._RADII_GRID
    try:
        moments._RADII_GRID = np.linspace(-9.0, 9.0, 20001)
        ref = [moments._skew_standard_sf(s, n, d) for s in stats]
    finally:
        moments._RADII_GRID = base
    assert np.allclose(got, ref, atol=2e-4), (got, ref)


def test_projections_table_only_for_its_default_directions():
    """The table holds the maximum over the default directions; another number of them
    had read it too (n_directions = 2000 at (200, 8): size 0.19 at 0.05; review 9)."""
    from gausstest.projections import default_n_directions

    z = np.random.default_rng(0).standard_normal((200, 8))
    assert projections(z, n_directions=2000).pvalue_method.method == "monte_carlo"
    assert projections(z, n_directions=default_n_directions(8)).pvalue_method.method == "table"
    assert projections(z).pvalue_method.method == "table"
