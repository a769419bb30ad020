"""Identity tests against the prior N(0, I) that stay valid when d is comparable to n.

* :func:`mean_test` -- H0: E z = 0 with the covariance known to be I:
  n ||mean||^2 ~ chi2(d) exactly, for every n and d.
* :func:`covariance_test` -- H0: Cov z = I (mean estimated), with the unbiased
  U-statistic estimator of tr(Sigma - I)^2 / d of Chen, Zhang & Zhong (2010),
  asymptotically normal as n, d -> infinity; Monte Carlo where that limit is off.

The likelihood-ratio test of :mod:`gausstest.prior` needs n > d + 1; these two
need only n >= 1 (mean) and n >= 4 (covariance), and d may exceed n.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._lazy import lazy_module
from .errors import ExtremeValueError
from .prior import collapsed_dimensions
from .registry import Observation, TestSpec, register, run_test
from .results import TestResult
from .sample import Sample, extreme_cells

stats = lazy_module("scipy.stats")  # imported on first use (fast CLI start)

__all__ = ["mean_test", "covariance_test", "czz_trace_estimates"]


# ---------------------------------------------------------------- mean

def _mean_kernel(x: np.ndarray, *, null: str) -> np.ndarray:
    n = x.shape[-2]
    m = x.mean(axis=-2)
    return n * (m * m).sum(axis=-1)


def _mean_simulate(n, d, null, b, rng, opts):
    """n ||mean||^2 is exactly chi2(d) under N(0, I): draw it directly."""
    return rng.chisquare(d, size=b)


def _mean_observe(sample: Sample, null: str, opts: dict) -> Observation:
    n, d = sample.n, sample.d
    mean = sample.mean
    mm = float(mean @ mean)
    zscores = np.sqrt(n) * mean
    # per-dimension z-scores are iid N(0, 1) under H0: Bonferroni at 5% names the shifted ones
    cut = float(stats.norm.isf(0.025 / d))
    order = np.argsort(-np.abs(zscores))
    shifted = [int(j) for j in order if abs(zscores[j]) > cut]
    effect = mm - d / n  # unbiased for ||E z||^2 when Cov z = I
    details = {
        "mean": mean, "zscores": zscores, "mean_norm": float(np.sqrt(mm)),
        "mean_norm_unbiased": float(np.sqrt(max(effect, 0.0))),
        "shifted_dimensions": shifted, "bonferroni_cut": cut,
        "worst_dimension": int(order[0]),
        "critical_value": float(stats.chi2.isf(0.05, d)),
    }
    return Observation(statistic=n * mm, effect=effect, details=details,
                       rate=effect if effect > 0 else None)


def _mean_asymptotic(stat, n, d, null, opts):
    return float(stats.chi2.sf(stat, d)), f"exact chi2({d}) law of n ||mean||^2 under N(0, I)"


def _mean_finding(r: TestResult) -> str:
    det = r.details
    mean, zs = np.asarray(det["mean"]), np.asarray(det["zscores"])
    shifted = det["shifted_dimensions"]
    excess = float((zs * zs).sum()) - zs.size  # n ||mean||^2 - d, the signal beyond noise
    named = float(sum(zs[j] ** 2 - 1 for j in shifted))
    if shifted and named >= 0.5 * excess:
        words = ", ".join(f"{j} ({mean[j]:+.3g}, z = {zs[j]:+.1f})" for j in shifted[:5])
        more = f" and {len(shifted) - 5} more" if len(shifted) > 5 else ""
        return (f"mean shifted: dimensions {words}{more} have nonzero mean "
                f"(|mean| = {det['mean_norm']:.3g}; the prior's mean is 0)")
    return (f"mean shifted overall (|mean| = {det['mean_norm']:.3g}, about "
            f"{det['mean_norm_unbiased']:.3g} after removing the noise d/n), spread over many "
            f"dimensions, most too small to name alone; the largest is dimension "
            f"{det['worst_dimension']} ({mean[det['worst_dimension']]:+.3g})")


MEAN_ZERO = register(TestSpec(
    code="mean_zero", family="prior", title="Mean zero (known covariance I)",
    nulls=("standard",), kernel=_mean_kernel, observe=_mean_observe,
    effect_name="||E z||^2, unbiased estimate ||mean||^2 - d/n",
    asymptotic=_mean_asymptotic, asymptotic_valid=lambda n, d, null, opts: True,
    simulate=_mean_simulate, mc_max_n=None, min_n=lambda d, null: 1,
    finding=_mean_finding,
))


def mean_test(
    z: Any, *, method: Any = "auto", nan_policy: str = "raise", rng: Any = None,
) -> TestResult:
    r"""Test that the latent mean is zero when the covariance is the prior's, I.

    H0 (``null="standard"`` only): z_i ~ N(0, I_d) iid. The statistic targets the
    mean; a wrong variance also moves it (it is a test of the whole null, with
    power aimed at location), so read it beside :func:`covariance_test`.

    Parameters
    ----------
    z : array_like, shape (n, d), any n >= 1 and d (d may exceed n)
    method : "auto" (the exact chi2 law), "asymptotic" (the same), "monte_carlo"
        or a PValueMethod
    nan_policy : {"raise", "omit"}
    rng : None, int or numpy Generator (only used by Monte Carlo)

    Returns
    -------
    TestResult
        ``statistic`` = n ||mean||^2. ``effect`` = ||mean||^2 - d/n, unbiased for
        ||E z||^2 when Cov z = I (n-free; about 0 under H0, may be slightly
        negative). ``details``: mean, zscores (sqrt(n) mean_j, iid N(0, 1) under
        H0), mean_norm, mean_norm_unbiased (sqrt of the clipped effect),
        shifted_dimensions (|z_j| above the Bonferroni 5% cut, largest first),
        worst_dimension, critical_value (chi2(d) 95% quantile).

    Notes
    -----
    Under H0, sqrt(n) mean ~ N(0, I_d), so n ||mean||^2 ~ chi2(d) exactly, at
    every (n, d): the default p-value is exact. Checked against
    ``scipy.stats.chi2`` and by simulation (size 0.05 within the binomial band at
    (50, 2), (100, 256), (2000, 64)). Under a shift mu the statistic is noncentral
    chi2(d, n ||mu||^2), so detectable_n ~ chi2_{0.95}(d) / ||mu||^2.

    References
    ----------
    Anderson, T. W. (2003). An Introduction to Multivariate Statistical Analysis,
    3rd ed., Wiley, section 5.2 (the test of a mean with known covariance).

    Examples
    --------
    >>> import numpy as np
    >>> from gausstest.identity import mean_test
    >>> z = np.random.default_rng(0).standard_normal((500, 32))
    >>> z[:, 5] += 0.3
    >>> r = mean_test(z)
    >>> r.pvalue < 1e-3, r.details["shifted_dimensions"]
    (True, [5])

    Dimension 5 is centred at 0.3 instead of 0: the prior would sample it off-centre.
    """
    return run_test("mean_zero", z, null="standard", method=method, nan_policy=nan_policy,
                    rng=rng)


# ---------------------------------------------------------------- covariance

def czz_trace_estimates(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unbiased estimates of tr(Sigma^2) and tr(Sigma) from a batch ``(..., n, d)``, n >= 4.

    tr(Sigma^2): the U-statistic T_{2,n} = Y_1 - 2 Y_2 + Y_3 of Chen, Zhang & Zhong
    (2010), in the O(n d min(n, d)) closed form of Himeno & Yamada (2014):
    (n-1) / (n (n-2) (n-3)) [(n-1)(n-2) tr S^2 + (tr S)^2 - n Q], with S the
    unbiased covariance and Q = sum_i ||z_i - mean||^4 / (n - 1). Both estimates are
    invariant to a shift of the data (the mean is estimated).
    """
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape[-2:]
    c = x - x.mean(axis=-2, keepdims=True)
    if d <= n:
        g = np.matmul(np.swapaxes(c, -1, -2), c)  # (.., d, d)
    else:
        g = np.matmul(c, np.swapaxes(c, -1, -2))  # (.., n, n): same nonzero spectrum
    trs2 = (g * g).sum(axis=(-2, -1)) / (n - 1) ** 2
    trs = np.einsum("...ii->...", g) / (n - 1)
    r2 = np.einsum("...ij,...ij->...i", c, c)
    q = (r2 * r2).sum(axis=-1) / (n - 1)
    t2 = (n - 1) / (n * (n - 2) * (n - 3)) * ((n - 1) * (n - 2) * trs2 + trs * trs - n * q)
    return t2, trs


#: from n = _CS_MIN_N rows, an estimate of tr(Sigma^2) below _CS_SLACK x (tr Sigma)^2 / d
#: (a bound every covariance meets) is refused. Under N(0, I) the ratio's minimum over
#: 5000 samples was 0.18-0.26 at n = 8 and 0.27-0.49 at n = 12 (d = 1-100), and it
#: reaches 0.001 at n = 4, so small n are never refused; one cell of 1000 in a
#: 200 x 4 N(0, 1) sample gives 0.0014
_CS_SLACK = 0.05
_CS_MIN_N = 10


def _cov_effect(x: np.ndarray) -> np.ndarray:
    """Unbiased estimate of tr(Sigma - I)^2 / d (CZZ's V_n)."""
    d = x.shape[-1]
    t2, t1 = czz_trace_estimates(x)
    return t2 / d - 2.0 * t1 / d + 1.0


def _cov_kernel(x: np.ndarray, *, null: str) -> np.ndarray:
    """n V_n / 2, asymptotically N(0, 1) under Sigma = I as n, d -> infinity."""
    return x.shape[-2] * _cov_effect(x) / 2.0


#: the chi2 law is used from this n on (its size was validated by simulation, see covariance_test)
COV_ASYMPTOTIC_MIN_N = 200


def _cov_valid(n, d, null, opts):
    return n >= COV_ASYMPTOTIC_MIN_N


def _cov_asymptotic(stat, n, d, null, opts):
    q = d * (d + 1) / 2.0
    return (float(stats.chi2.sf(q + d * stat, q)),
            f"asymptotic law of n V_n / 2 (Chen, Zhang & Zhong 2010): (chi2({q:g}) - {q:g}) / {d}, "
            "its fixed-d limit, which tends to N(0, 1) as d grows")


def _cov_critical(d: int) -> float:
    """Null 95% quantile of n V_n / 2 under its asymptotic law (chi2(q) - q) / d, q = d(d+1)/2."""
    q = d * (d + 1) / 2.0
    return float((stats.chi2.isf(0.05, q) - q) / d)


def _cov_observe(sample: Sample, null: str, opts: dict) -> Observation:
    n, d = sample.n, sample.d
    x = sample.data
    sample.require_finite_squares("covariance_identity", 1e70)  # it sums ||z_i||^4
    t2, t1 = (float(t) for t in czz_trace_estimates(x))
    if n >= _CS_MIN_N and not t2 >= t1 * t1 / d * _CS_SLACK:  # NaN included
        # tr(Sigma^2) >= (tr Sigma)^2 / d for every covariance; an estimate this far below
        # it comes from cells the U-statistic cannot weigh (one cell of 1000 in N(0, 1)
        # data gives a statistic of -2.8e4 and p = 1): refuse instead of passing them
        cells = extreme_cells(x)
        where = (cells.describe(sample.source_rows) if len(cells)
                 else "its values are very heavy-tailed")
        raise ExtremeValueError(
            f"covariance_identity: its estimate of tr(Sigma^2) ({t2:.3g}) is far below "
            f"(tr Sigma)^2 / d ({t1 * t1 / d:.3g}), which no covariance allows: {where}. "
            "The Chen-Zhang-Zhong statistic is not valid with such values; use prior_moments "
            "(which tests the covariance against I with any values) or remove the outliers.")
    v = float(_cov_effect(x))
    stat = n * v / 2.0
    c = sample.centered
    if d <= n:
        w = np.linalg.eigvalsh(c.T @ c / (n - 1))
    else:  # the d - n + 1 zero eigenvalues of S are not shown
        w = np.linalg.eigvalsh(c @ c.T / (n - 1))[1:]
    ratio = d / (n - 1)
    var = c.var(axis=0, ddof=1)
    details = {
        "frobenius_sq_per_dim": v, "variance": var,
        "largest_eigenvalue": float(w[-1]), "smallest_eigenvalue": float(w[0]),
        "eigenvalues_shown": "all" if d <= n else f"the {len(w)} nonzero ones",
        # Marchenko-Pastur edges of the sample eigenvalues under Sigma = I (d/n fixed)
        "null_eigenvalue_range": [float(max(1 - np.sqrt(ratio), 0.0) ** 2),
                                  float((1 + np.sqrt(ratio)) ** 2)],
        "collapsed_dimensions": collapsed_dimensions(var).tolist(),
        "critical_value": _cov_critical(d),
    }
    return Observation(statistic=stat, effect=v, details=details,
                       rate=v / 2.0 if v > 0 else None)


def _cov_finding(r: TestResult) -> str:
    det = r.details
    lo, hi = det["null_eigenvalue_range"]
    big, small = det["largest_eigenvalue"], det["smallest_eigenvalue"]
    words = [f"covariance differs from I (||Sigma - I||_F^2 / d ~ {r.effect:.3g}): "
             f"largest eigenvalue {big:.3g}, smallest {small:.3g} "
             f"(about [{lo:.2f}, {hi:.2f}] expected at this n, d)"]
    collapsed = det["collapsed_dimensions"]
    if collapsed:
        words.append(f"collapsed dimensions {collapsed[:10]}" + (" ..." if len(collapsed) > 10 else ""))
    elif small < 0.1 * max(lo, 1e-12) or (lo == 0 and small < 0.01):
        words.append("collapsed directions (some combinations of dimensions carry almost no variance)")
    if big > 1.5 * hi:
        words.append("inflated or correlated directions")
    return "; ".join(words)


COVARIANCE_IDENTITY = register(TestSpec(
    code="covariance_identity", family="prior", title="Covariance identity (Chen-Zhang-Zhong)",
    nulls=("standard",), kernel=_cov_kernel, observe=_cov_observe,
    effect_name="||Cov z - I||_F^2 / d, unbiased U-statistic estimate",
    asymptotic=_cov_asymptotic, asymptotic_valid=_cov_valid, mc_max_n=2000,
    min_n=lambda d, null: 4, finding=_cov_finding,
))


def covariance_test(
    z: Any, *, method: Any = "auto", nan_policy: str = "raise", rng: Any = None,
) -> TestResult:
    r"""Test that the latent covariance is the prior's, I, valid for d comparable to or above n.

    H0 (``null="standard"`` only): z_i ~ N(0, I_d) iid. The mean is estimated, so the
    statistic is exactly invariant to a shift of z and measures the covariance
    alone (pair it with :func:`mean_test` for location).

    Parameters
    ----------
    z : array_like, shape (n, d), n >= 4; d may exceed n
    method : "auto", "asymptotic", "monte_carlo" or a PValueMethod
    nan_policy : {"raise", "omit"}
    rng : None, int or numpy Generator (for Monte Carlo)

    Returns
    -------
    TestResult
        ``statistic`` = n V_n / 2. ``effect`` = V_n, the unbiased estimate of
        ||Sigma - I||_F^2 / d (n-free; 0 on average under H0).
        ``details``: frobenius_sq_per_dim (= effect), variance per dimension,
        largest_eigenvalue / smallest_eigenvalue of the unbiased sample covariance,
        null_eigenvalue_range (Marchenko-Pastur edges (1 -+ sqrt(d/(n-1)))^2, where
        sample eigenvalues fall under H0 when n and d are large),
        collapsed_dimensions (variance below 0.1 times min(1, the median variance)),
        critical_value (null 95% quantile under the asymptotic law, for detectable_n).

    Notes
    -----
    V_n = T_{2,n}/d - 2 T_{1,n}/d + 1, where T_{2,n} and T_{1,n} are unbiased
    U-statistic estimators of tr(Sigma^2) and tr(Sigma) (Chen, Zhang & Zhong 2010,
    eq. 2.1-2.3; computed in O(n d min(n, d)) with the identity of Himeno & Yamada
    2014, see :func:`czz_trace_estimates`). Under H0, n V_n / 2 -> N(0, 1) as
    n, d -> infinity (CZZ Theorem 2); no relation between n and d is needed.

    For fixed d, n V_n / 2 -> (chi2(q) - q) / d with q = d(d+1)/2 (n ||S - I||_F^2
    -> 2 chi2(q)), a law that itself tends to N(0, 1) as d grows; gausstest uses it
    as the asymptotic law, so small and large d are both covered. Its size, by
    simulation (R = 4000 per cell, nominal 5%, band +-0.010; normal limit in
    brackets): (50, 2) 0.045 [0.092], (200, 5) 0.055 [0.085], (1000, 20) 0.049
    [0.059], (2000, 64) 0.055 [0.058], (100, 256) 0.060 [0.062], (20, 256) 0.080
    [0.080]. The finite-n inflation of the variance when d >> n is not in either
    limit, so "auto" uses the chi2 law for n >= 200 and Monte Carlo below (B = 4999
    N(0, I) samples of the same (n, d); a draw costs O(n d min(n, d))). Monte Carlo
    at n > 2000 simulates 2000 rows: the fixed-d limit makes the law n-stable.

    References
    ----------
    Chen, S. X., Zhang, L.-X. & Zhong, P.-S. (2010). Tests for high-dimensional
    covariance matrices. JASA 105(490), 810-819. doi:10.1198/jasa.2010.tm09560
    Himeno, T. & Yamada, T. (2014). Estimations for some functions of covariance
    matrix in high dimension under non-normality and its applications. J.
    Multivariate Anal. 130, 27-44. doi:10.1016/j.jmva.2014.04.020
    Ledoit, O. & Wolf, M. (2002). Some hypothesis tests for the covariance matrix
    when the dimension is large compared to the sample size. Ann. Statist. 30(4),
    1081-1102. doi:10.1214/aos/1031689018

    Examples
    --------
    >>> import numpy as np
    >>> from gausstest.identity import covariance_test
    >>> z = np.random.default_rng(0).standard_normal((200, 256))
    >>> z[:, :64] *= 0.05  # a quarter of the dimensions collapsed, with n < d
    >>> r = covariance_test(z)
    >>> r.pvalue < 1e-3, round(r.effect, 2)
    (True, 0.25)

    64 of 256 dimensions carry 0.25% of the prior's variance, so
    ||Sigma - I||_F^2 / d = 64 * (1 - 0.0025)^2 / 256 = 0.249, estimated without bias
    even though n < d.
    """
    return run_test("covariance_identity", z, null="standard", method=method,
                    nan_policy=nan_policy, rng=rng)
