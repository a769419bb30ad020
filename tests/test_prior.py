"""Prior match: KL, W2, the exact simulation of the LR statistic, collapsed dimensions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg, stats

from conftest import size_band
from gausstest import prior_match
from gausstest.prior import (_lr_kernel, _lr_simulate, _null_kl_mean, gaussian_kl, gaussian_w2,
                             null_reference)


def test_kl_closed_form_by_monte_carlo(rng):
    m = np.array([0.5, -0.2, 0.1])
    a = rng.standard_normal((3, 3))
    s = a @ a.T / 3 + 0.5 * np.eye(3)
    x = rng.multivariate_normal(m, s, size=400_000)
    q = stats.multivariate_normal(m, s)
    p = stats.multivariate_normal(np.zeros(3), np.eye(3))
    mc = (q.logpdf(x) - p.logpdf(x)).mean()
    se = (q.logpdf(x) - p.logpdf(x)).std() / np.sqrt(len(x))
    assert abs(gaussian_kl(m, s) - mc) < 4 * se


def test_w2_closed_form(rng):
    m = np.array([1.0, 0.0])
    s = np.array([[2.0, 0.3], [0.3, 0.5]])
    # Dowson & Landau / Olkin & Pukelsheim form with the identity as second covariance
    ref = np.sqrt(m @ m + np.trace(s + np.eye(2) - 2 * linalg.sqrtm(s).real))
    assert gaussian_w2(m, s) == pytest.approx(ref, rel=1e-10)
    # 1-D check: W2 between N(mu, s^2) and N(0, 1) is sqrt(mu^2 + (s - 1)^2)
    assert gaussian_w2(np.array([0.3]), np.array([[4.0]])) == pytest.approx(np.sqrt(0.09 + 1.0))


@pytest.mark.parametrize("n, d", [(12, 5), (300, 32)])
def test_bartlett_simulation_matches_direct(n, d):
    rng = np.random.default_rng(n + d)
    fast = _lr_simulate(n, d, "standard", 3000, rng, {})
    direct = np.concatenate([_lr_kernel(rng.standard_normal((100, n, d)), null="standard")
                             for _ in range(30)])
    assert stats.ks_2samp(fast, direct).pvalue > 1e-3


def test_null_kl_mean_by_simulation():
    rng = np.random.default_rng(3)
    n, d = 40, 6
    kl = _lr_simulate(n, d, "standard", 20000, rng, {}) / (2 * n)
    assert abs(kl.mean() - _null_kl_mean(n, d)) < 4 * kl.std() / np.sqrt(kl.size)



@pytest.mark.parametrize("n, d", [(30, 2), (100, 8), (200, 32), (60, 40), (700, 120)])
def test_null_reference_by_simulation(n, d):
    """The report's [N(0, I) at this n, d] values against N(0, I) samples: W2 (its
    Marchenko-Pastur approximation) within 3%, |mean| and the average variance within
    their Monte Carlo error, the 95% point of max |corr| covering 90-99% of samples."""
    rng = np.random.default_rng([n, d, 5])
    ref = null_reference(n, d)
    w2, mean_sq, avg_var, max_corr = [], [], [], []
    for _ in range(300):
        z = rng.standard_normal((n, d))
        m = z.mean(0)
        s = np.cov(z, rowvar=False, bias=True)
        w2.append(gaussian_w2(m, s) ** 2)
        mean_sq.append(m @ m)
        avg_var.append(np.trace(s) / d)
        r = np.corrcoef(z, rowvar=False)
        np.fill_diagonal(r, 0.0)
        max_corr.append(np.abs(r).max())
    assert np.sqrt(np.mean(w2)) == pytest.approx(ref["w2"], rel=0.03)
    assert abs(np.mean(mean_sq) - ref["mean_norm"] ** 2) < 4 * np.std(mean_sq) / np.sqrt(300)
    assert abs(np.mean(avg_var) - ref["average_variance"]) < 4 * ref["average_variance_sd"] / np.sqrt(300)
    assert np.std(avg_var) == pytest.approx(ref["average_variance_sd"], rel=0.15)
    assert 0.90 <= np.mean(np.array(max_corr) < ref["max_abs_correlation_95"]) <= 0.99
    assert ref["kl"] == _null_kl_mean(n, d)


def test_null_reference_singular_and_one_dimension():
    assert null_reference(10, 9) is None
    ref = null_reference(50, 1)
    assert "max_abs_correlation_95" not in ref and ref["mean_norm"] == pytest.approx(np.sqrt(1 / 50))

def test_chi2_limit_would_be_liberal_at_n300_d32():
    # the known trap: the chi2 law of the LR statistic is far off at n = 300, d = 32
    rng = np.random.default_rng(1)
    lr = _lr_simulate(300, 32, "standard", 4000, rng, {})
    naive = (stats.chi2.sf(lr, 32 + 32 * 33 / 2) < 0.05).mean()
    assert naive > 0.1


def test_collapsed_dimension_named(rng):
    z = rng.standard_normal((2000, 8))
    z[:, 3] *= 0.05
    r = prior_match(z)
    assert r.pvalue < 1e-3 and r.details["collapsed_dimensions"] == [3]
    from gausstest.registry import REGISTRY
    assert "dimension 3 has variance" in REGISTRY["prior_moments"].finding(r)


def test_mean_shift_and_correlation_named(rng):
    z = rng.standard_normal((1000, 4))
    z[:, 2] += 0.4
    z[:, 1] = 0.6 * z[:, 0] + 0.8 * z[:, 1]
    from gausstest.registry import REGISTRY
    text = REGISTRY["prior_moments"].finding(prior_match(z))
    assert "dimension 2 has mean" in text and "dimensions 0 and 1 are correlated" in text


def test_effect_is_n_free():
    rng = np.random.default_rng(9)
    effs = [prior_match(1.2 * rng.standard_normal((n, 4))).effect for n in (2000, 50000)]
    true = gaussian_kl(np.zeros(4), 1.44 * np.eye(4))
    assert effs[0] == pytest.approx(true, abs=0.03) and effs[1] == pytest.approx(true, abs=0.006)


def test_fast_size():
    rng = np.random.default_rng(12)
    reps = 300
    rej = sum(prior_match(rng.standard_normal((50, 2))).pvalue <= 0.05 for _ in range(reps))
    assert abs(rej / reps - 0.05) <= size_band(0.05, reps)
