"""p-value methods and the on-disk cache of simulated null distributions."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from gausstest import Asymptotic, Auto, MonteCarlo, henze_zirkler, mardia_kurtosis, radii
from gausstest.pvalues import cache_dir, resolve_method, simulate_null, stream_seed
from gausstest.registry import REGISTRY


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GAUSSTEST_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_cache_dir_env(fresh_cache):
    assert cache_dir() == fresh_cache


def test_smallest_mc_pvalue_is_one_over_b_plus_one(rng):
    z = rng.standard_normal((200, 3)) * 3
    r = radii(z, method=MonteCarlo(n_resamples=99))
    assert r.pvalue == pytest.approx(1 / 100)
    assert r.pvalue_method.n_resamples == 99 and "99 N(0, I) samples" in r.pvalue_method.description


def test_cache_hit_identical(fresh_cache, rng):
    z = rng.standard_normal((60, 3))
    mc = MonteCarlo()  # the default method answers from the shipped table here
    a = mardia_kurtosis(z, null="gaussian", method=mc)
    b = mardia_kurtosis(z, null="gaussian", method=mc)
    assert a.pvalue_method.cache == "built" and b.pvalue_method.cache == "hit"
    assert a.pvalue == b.pvalue
    assert len(list(fresh_cache.glob("mardia_kurtosis-gaussian-*.npy"))) == 1


def test_corrupt_cache_is_rebuilt_not_trusted(fresh_cache, rng):
    z = rng.standard_normal((60, 3))
    mc = MonteCarlo()
    a = mardia_kurtosis(z, null="gaussian", method=mc)
    (path,) = fresh_cache.glob("mardia_kurtosis-gaussian-*.npy")
    path.write_bytes(b"\x93NUMPY garbage")
    b = mardia_kurtosis(z, null="gaussian", method=mc)
    assert b.pvalue_method.cache == "built" and b.pvalue == a.pvalue
    # a well-formed file of the wrong length or with NaN is not trusted either
    np.save(path, np.full(999, np.nan))
    c = mardia_kurtosis(z, null="gaussian", method=mc)
    assert c.pvalue_method.cache == "built" and c.pvalue == a.pvalue
    np.save(path, np.zeros(10))
    assert mardia_kurtosis(z, null="gaussian", method=mc).pvalue == a.pvalue


def test_unwritable_cache_still_works(tmp_path, monkeypatch, rng):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("GAUSSTEST_CACHE_DIR", str(blocker / "sub"))
    r = mardia_kurtosis(rng.standard_normal((40, 2)), null="gaussian", method=MonteCarlo())
    assert r.pvalue_method.cache == "off" and 0 < r.pvalue <= 1


def test_cache_key_separates_settings(fresh_cache, rng):
    spec = REGISTRY["mardia_kurtosis"]
    a, _ = simulate_null(spec, 30, 2, "gaussian", {}, 50, 1)
    b, _ = simulate_null(spec, 31, 2, "gaussian", {}, 50, 1)
    c, _ = simulate_null(spec, 30, 2, "gaussian", {}, 50, 2)
    assert not np.array_equal(a, b) and not np.array_equal(a, c)
    assert len(list(fresh_cache.iterdir())) == 3


def test_seed_changes_mc_pvalue_and_is_reproducible(rng):
    z = rng.standard_normal((80, 2))
    z[:, 0] = rng.standard_t(6, size=80)
    mc = MonteCarlo()
    a = mardia_kurtosis(z, null="gaussian", rng=1, method=mc).pvalue
    assert mardia_kurtosis(z, null="gaussian", rng=1, method=mc).pvalue == a
    assert mardia_kurtosis(z, null="gaussian", rng=2, method=mc).pvalue_method.seed != \
        mardia_kurtosis(z, null="gaussian", rng=1, method=mc).pvalue_method.seed


def test_test_streams_are_independent():
    assert stream_seed(0, "radii:standard") != stream_seed(0, "radii:gaussian")
    assert stream_seed(0, "radii:standard") == stream_seed(0, "radii:standard")


def test_auto_chooses_by_validity(rng):
    z = rng.standard_normal((300, 3))
    assert henze_zirkler(z).pvalue_method.method == "asymptotic"
    # beyond the lognormal's validated range: the shipped table, else Monte Carlo
    assert henze_zirkler(rng.standard_normal((300, 12))).pvalue_method.method in ("table",
                                                                                 "monte_carlo")
    assert henze_zirkler(rng.standard_normal((300, 3)), beta=0.9).pvalue_method.method == (
        "monte_carlo")


def test_asymptotic_outside_validated_range_says_so(rng):
    r = mardia_kurtosis(rng.standard_normal((30, 2)), method="asymptotic")
    assert "outside the (n, d) range" in r.pvalue_method.description


def test_resolve_method():
    assert isinstance(resolve_method("auto"), Auto)
    assert isinstance(resolve_method("asymptotic"), Asymptotic)
    assert isinstance(resolve_method("monte_carlo"), MonteCarlo)
    m = MonteCarlo(n_resamples=10)
    assert resolve_method(m) is m
    with pytest.raises(ValueError, match="method must be"):
        resolve_method("bootstrap")


def test_mc_simulated_below_n_is_stated(rng):
    r = henze_zirkler(rng.standard_normal((1500, 2)), method=MonteCarlo(99))
    assert r.pvalue_method.n_simulated == 1000
    assert "n-stable" in r.pvalue_method.description


def test_monte_carlo_tie_tolerance_is_relative_to_the_statistics_scale():
    # statistics that live at 1e-39 (Henze-Zirkler's excess at d = 256) must still be
    # ranked: an absolute tolerance made every p-value 1
    from gausstest.pvalues import MonteCarlo
    from gausstest.registry import TestSpec
    from gausstest import registry

    def simulate(n, d, null, b, rng, opts):
        return 1e-39 * rng.standard_normal(b)

    spec = TestSpec(code="tiny_scale_probe", family="x", title="x", nulls=("standard",),
                    kernel=None, observe=None, effect_name="x", simulate=simulate,
                    mc_max_n=None, default_resamples=999)
    p_hi, _ = MonteCarlo(cache=False).compute(spec, 3e-39, 10, 2, "standard", {}, 1)
    p_lo, _ = MonteCarlo(cache=False).compute(spec, -3e-39, 10, 2, "standard", {}, 1)
    assert p_hi < 0.01 and p_lo > 0.99
    assert "tiny_scale_probe" not in registry.REGISTRY


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_capped_null_is_simulated_at_enough_rows_to_whiten(code):
    # a capped Monte Carlo null stands for the law at n rows; near n = d it must keep at
    # least 1.25 d rows (and always the test's own minimum, which whitening needs)
    from gausstest.registry import MIN_SIM_ROWS_PER_D

    spec = REGISTRY[code]
    for null in spec.nulls:
        for d in (1, 2, 20, 64, 256, 300, 384, 398, 450, 512, 700, 1100):
            least = spec.min_n(d, null)
            for n in (least, 2 * d + 10, 10 * d, 50_000):
                if n < least:
                    continue
                rows = spec.sim_rows(n, d)
                assert least <= rows <= n, (null, n, d, rows)
                # (a subsampling test simulates at exactly the rows its statistic uses)
                uses_all = spec.sim_rows_rule is None and not (
                    spec.subsample_above and spec.subsample_above(d))
                if uses_all and rows < n:
                    assert rows >= MIN_SIM_ROWS_PER_D * d, (null, n, d, rows)


# ---------------------------------------------------------------- whitened Gram matrices

_GRAM_TESTS = ("mardia_skewness", "henze_zirkler", "energy")


@pytest.mark.parametrize("code", _GRAM_TESTS)
@pytest.mark.parametrize("n, d", [(12, 8), (60, 40), (300, 250)])
def test_gram_kernel_equals_kernel_on_the_same_sample(code, n, d):
    from gausstest.sample import whiten_batch

    spec = REGISTRY[code]
    x = whiten_batch(np.random.default_rng([n, d]).standard_normal((3, n, d)), any_rotation=True)
    direct = spec.kernel(x, null="gaussian")
    via_gram = [spec.gram_kernel(xi @ xi.T, d, null="gaussian") for xi in x]
    np.testing.assert_allclose(via_gram, direct, rtol=1e-10)


def test_whitened_gram_is_n_times_a_projection_off_the_ones_vector():
    from gausstest.pvalues import whitened_gram

    n, d = 40, 30
    g = whitened_gram(n, d, np.random.default_rng(1))
    p = g / n
    np.testing.assert_allclose(p @ p, p, atol=1e-12)        # a projection ...
    assert np.trace(p) == pytest.approx(d)                   # ... of rank d ...
    np.testing.assert_allclose(p @ np.ones(n), 0, atol=1e-12)  # ... orthogonal to 1
    # n = d + 1: the whole complement of 1, the same matrix whitening gives
    x = np.random.default_rng(2).standard_normal((9, 8))
    c = x - x.mean(0)
    y = c @ np.linalg.inv(np.linalg.cholesky(c.T @ c / 9)).T
    np.testing.assert_allclose(whitened_gram(9, 8, np.random.default_rng(3)), y @ y.T, atol=1e-10)


@pytest.mark.parametrize("n, d", [(30, 25), (60, 40)])
def test_whitened_gram_law_matches_whitened_samples(n, d):
    """Drawn Gram matrices against whitened N(0, I) samples: Mardia's skewness has the
    exact null mean df and Henze-Zirkler the exact composite-null mean of
    :func:`hz_composite_moments`; both routes agree in law (KS)."""
    from scipy import stats

    from gausstest.calibration import hz_composite_moments
    from gausstest.moments import _skew_df
    from gausstest.pvalues import whitened_gram
    from gausstest.sample import whiten_batch

    b = 4000
    rng = np.random.default_rng([n, d, 1])
    grams = [whitened_gram(n, d, rng) for _ in range(b)]
    x = whiten_batch(np.random.default_rng([n, d, 2]).standard_normal((b, n, d)), any_rotation=True)
    sk, hz = REGISTRY["mardia_skewness"], REGISTRY["henze_zirkler"]
    s_gram = np.array([sk.gram_kernel(g, d, null="gaussian") for g in grams])
    h_gram = np.array([hz.gram_kernel(g, d, null="gaussian") for g in grams])
    assert abs(s_gram.mean() - _skew_df(d)) < 4 * s_gram.std() / np.sqrt(b)
    assert abs(h_gram.mean() - hz_composite_moments(n, d)[0]) < 4 * h_gram.std() / np.sqrt(b)
    assert stats.ks_2samp(s_gram, sk.kernel(x, null="gaussian")).pvalue > 1e-3
    assert stats.ks_2samp(h_gram, hz.kernel(x, null="gaussian")).pvalue > 1e-3


def test_monte_carlo_takes_the_gram_route_near_n_equals_d(monkeypatch):
    """The composite null near n = d is drawn as Gram matrices (and not far from it)."""
    from gausstest import pvalues

    calls = []
    real = pvalues.whitened_gram
    monkeypatch.setattr(pvalues, "whitened_gram", lambda *a: calls.append(a) or real(*a))
    spec = REGISTRY["mardia_skewness"]
    pvalues._draw_statistics(spec, 40, 30, "gaussian", {}, 5, 1)
    assert len(calls) == 5
    pvalues._draw_statistics(spec, 100, 30, "gaussian", {}, 5, 1)
    pvalues._draw_statistics(spec, 40, 30, "standard", {}, 5, 1)
    assert len(calls) == 5


@pytest.mark.parametrize("n, d", [(12, 8), (60, 40), (300, 250)])
def test_radial_kernels_equal_kernels_on_the_same_sample(n, d):
    from gausstest.moments import KURTOSIS_MC
    from gausstest.radial import _RADII_PLAIN
    from gausstest.sample import whiten_batch

    x = whiten_batch(np.random.default_rng([n, d]).standard_normal((3, n, d)), any_rotation=True)
    r2 = np.einsum("bij,bij->bi", x, x)
    for spec in (KURTOSIS_MC, _RADII_PLAIN):
        np.testing.assert_allclose(spec.radial_kernel(r2, d, null="gaussian"),
                                   spec.kernel(x, null="gaussian"), rtol=1e-10, atol=1e-12)


def test_whitened_radii_law():
    """Drawn radii sum to n d exactly; Mardia's kurtosis from them has its exact null mean 0
    and sd 1; the radii test's statistic agrees in law with whitened samples (KS)."""
    from scipy import stats

    from gausstest.moments import KURTOSIS_MC
    from gausstest.pvalues import whitened_radii
    from gausstest.radial import _RADII_PLAIN
    from gausstest.sample import whiten_batch

    n, d, b = 60, 40, 4000
    r2 = whitened_radii(n, d, b, np.random.default_rng(2))
    np.testing.assert_allclose(r2.sum(axis=1), n * d)
    k = KURTOSIS_MC.radial_kernel(r2, d, null="gaussian")
    assert abs(k.mean()) < 4 / np.sqrt(b) and abs(k.std() - 1) < 0.05
    x = whiten_batch(np.random.default_rng(3).standard_normal((b, n, d)), any_rotation=True)
    assert stats.ks_2samp(_RADII_PLAIN.radial_kernel(r2, d, null="gaussian"),
                          _RADII_PLAIN.kernel(x, null="gaussian")).pvalue > 1e-3
