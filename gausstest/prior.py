"""Prior match: is z ~ N(0, I) in its first two moments?

Summarises the per-dimension means and variances, collapsed dimensions,
correlations, and the KL divergence and Wasserstein-2 distance between the fitted
Gaussian N(mean, S) and the prior N(0, I); tests them with the likelihood-ratio
statistic, calibrated exactly by simulating the sufficient statistics.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._lazy import lazy_module
from .registry import Observation, TestSpec, register, run_test
from .results import TestResult
from .sample import Sample

special = lazy_module("scipy.special")  # imported on first use (fast CLI start)
stats = lazy_module("scipy.stats")

__all__ = ["prior_moments", "prior_match", "gaussian_kl", "gaussian_w2", "COLLAPSE_VARIANCE",
           "collapsed_dimensions"]

#: a dimension whose variance is below this share of the prior's (or of the sample's
#: median variance, where that is smaller) is reported as collapsed (inactive): the
#: diagnosis's line (:data:`gausstest.diagnosis.COLLAPSED_RATIO` times its common scale,
#: at most 1). The summary had said "collapsed dims = none" under a diagnosis of a
#: dimension at variance 0.05 "collapsed (inactive)", and, at an absolute 0.1, every unit
#: of a sigmoid's output (variance 0.04 each) collapsed where the diagnosis says "scale"
COLLAPSE_VARIANCE = 0.1


def collapsed_dimensions(var: np.ndarray) -> np.ndarray:
    """Indices of the dimensions whose variance is below :data:`COLLAPSE_VARIANCE` times
    min(1, the median variance)."""
    var = np.asarray(var, dtype=float)
    if var.size == 0:
        return np.zeros(0, dtype=int)
    scale = min(1.0, float(np.median(var)))
    return np.flatnonzero(var < COLLAPSE_VARIANCE * scale)


def gaussian_kl(mean: np.ndarray, cov: np.ndarray) -> float:
    """KL(N(mean, cov) || N(0, I)) = (tr cov + |mean|^2 - d - log det cov) / 2."""
    if not (np.isfinite(cov).all() and np.isfinite(mean).all()):
        return float("inf")  # moments beyond float64 (|z| ~ 1e154 and up): infinitely far
    sign, logdet = np.linalg.slogdet(cov)
    if sign <= 0:
        return float("inf")
    return 0.5 * float(np.trace(cov) + mean @ mean - mean.size - logdet)


def gaussian_w2(mean: np.ndarray, cov: np.ndarray) -> float:
    """Wasserstein-2 distance between N(mean, cov) and N(0, I):
    W2^2 = |mean|^2 + tr(cov) + d - 2 tr(cov^{1/2})."""
    if not (np.isfinite(cov).all() and np.isfinite(mean).all()):
        return float("inf")
    w = np.clip(np.linalg.eigvalsh(cov), 0.0, None)
    return float(np.sqrt(max(mean @ mean + w.sum() + mean.size - 2 * np.sqrt(w).sum(), 0.0)))


def _lr_from(trace: np.ndarray, logdet: np.ndarray, mm: np.ndarray, n: int, d: int) -> np.ndarray:
    return n * (trace + mm - d - logdet)


def _null_kl_mean(n: int, d: int) -> float:
    """E KL(N(mean, S) || N(0, I)) under H0, S the MLE (n S ~ Wishart(n-1, I))."""
    e_trace = d * (n - 1) / n
    e_mm = d / n
    i = np.arange(1, d + 1)
    e_logdet = float(np.sum(special.digamma((n - i) / 2.0)) + d * np.log(2.0) - d * np.log(n))
    return 0.5 * (e_trace + e_mm - d - e_logdet)


def _mp_mean_sqrt(gamma: float) -> float:
    """E sqrt(lambda) under the Marchenko-Pastur law of ratio gamma < 1 (variance 1)."""
    from scipy import integrate

    a, b = (1 - math.sqrt(gamma)) ** 2, (1 + math.sqrt(gamma)) ** 2

    def density_times_sqrt(lam: float) -> float:
        return math.sqrt(max((b - lam) * (lam - a), 0.0)) / (2 * math.pi * gamma * math.sqrt(lam))

    return float(integrate.quad(density_times_sqrt, a, b, limit=200)[0])


def null_reference(n: int, d: int) -> dict[str, float] | None:
    """What the fitted Gaussian's summaries are for a sample of N(0, I) itself at (n, d):
    sampling noise alone, so that a KL of 20 at d = 240, n = 700 reads as no evidence.

    * kl: E KL under H0 (exact, :func:`_null_kl_mean`).
    * w2: sqrt(E W2^2), W2^2 = |mean|^2 + tr S + d - 2 tr S^(1/2): E |mean|^2 = d / n,
      E tr S = d (n - 1) / n exactly; E tr S^(1/2) from the Marchenko-Pastur law of ratio
      d / (n - 1) (Marchenko & Pastur 1967), plus d / (4n), its leading finite-d term
      (tr (S - I)^2 / 4 has mean d (d + 1) / 4n; the law gives d^2 / 4n). Within 2% of
      simulation from (30, 2) to (700, 240) (``tests/test_prior.py``).
    * mean_norm: sqrt(E |mean|^2) = sqrt(d / n).
    * average_variance and its sd: (n - 1) / n and sqrt(2 (n - 1) / d) / n (exact; MLE S).
    * max_abs_correlation_95: the 95% point of the largest |r| over the d (d - 1) / 2
      pairs, Sidak over pairs with Fisher's z (sd 1 / sqrt(n - 3)); 0.03-0.065 exceed it
      in simulation at seven (n, d).

    None where S is singular (n <= d + 1).
    """
    if n <= d + 1:
        return None
    c = (n - 1) / n
    e_sqrt = d * math.sqrt(c) * _mp_mean_sqrt(d / (n - 1))
    w2sq = d / n + d * c + d - 2 * e_sqrt + d / (4 * n)
    out = {
        "kl": _null_kl_mean(n, d),
        "w2": math.sqrt(max(w2sq, 0.0)),
        "mean_norm": math.sqrt(d / n),
        "average_variance": c,
        "average_variance_sd": math.sqrt(2 * (n - 1) / d) / n,
    }
    if d > 1 and n > 3:
        pairs = d * (d - 1) / 2
        level = -math.expm1(math.log(0.95) / pairs)
        out["max_abs_correlation_95"] = math.tanh(
            float(stats.norm.isf(level / 2)) / math.sqrt(n - 3))
    return out


def _lr_kernel(x: np.ndarray, *, null: str) -> np.ndarray:
    n, d = x.shape[-2:]
    m = x.mean(axis=-2)
    c = x - m[..., None, :]
    s = np.einsum("...ni,...nj->...ij", c, c) / n
    _, logdet = np.linalg.slogdet(s)
    return _lr_from(np.trace(s, axis1=-2, axis2=-1), logdet, (m * m).sum(-1), n, d)


def _lr_simulate(n, d, null, b, rng, opts):
    """Exact draws of the LR statistic from its sufficient statistics, O(d^2) each.

    n S ~ Wishart(n - 1, I) by Bartlett: n S = L L' with L_ii^2 ~ chi2(n - i),
    L_ij ~ N(0, 1) below the diagonal; independently sqrt(n) mean ~ N(0, I).
    """
    diag = rng.chisquare(np.arange(n - 1, n - 1 - d, -1.0), size=(b, d))
    below = rng.chisquare(d * (d - 1) / 2.0, size=b) if d > 1 else np.zeros(b)
    trace = (diag.sum(axis=1) + below) / n
    logdet = np.log(diag).sum(axis=1) - d * np.log(n)
    mm = rng.chisquare(d, size=b) / n
    return _lr_from(trace, logdet, mm, n, d)


def _observe(sample: Sample, null: str, opts: dict) -> Observation:
    n, d = sample.n, sample.d
    mean, cov = sample.mean, sample.cov
    var = np.diag(cov).copy()
    kl = gaussian_kl(mean, cov)
    w2 = gaussian_w2(mean, cov)
    sd = np.sqrt(np.clip(var, 1e-300, None))
    corr = cov / np.outer(sd, sd)
    if d > 1 and not np.all(var > 1e-250):
        # correlation is scale-free: where the variances underflow (a sample scaled by
        # 1e-200 had max |corr| = 0), from the columns scaled by powers of two
        x = sample.centered
        tops = np.max(np.abs(x), axis=0)
        xs = np.ldexp(x, np.where(tops > 0, -np.frexp(tops)[1], 0).astype(int))
        cs = xs.T @ xs
        ss = np.sqrt(np.clip(np.diag(cs), 1e-300, None))
        corr = cs / np.outer(ss, ss)
    np.fill_diagonal(corr, 0.0)
    k = int(np.argmax(np.abs(corr))) if d > 1 else 0
    ci, cj = divmod(k, d)
    collapsed = collapsed_dimensions(var)
    stat = n * 2 * kl if np.isfinite(kl) else float("inf")
    kl0 = _null_kl_mean(n, d)
    details = {
        "kl": kl, "kl_null_mean": kl0, "w2": w2, "null_reference": null_reference(n, d),
        "mean": mean, "variance": var,
        "mean_norm": float(np.hypot.reduce(mean)) if d else 0.0,  # (no underflow at 1e-200)
        "average_variance": float(var.mean()),
        "collapsed_dimensions": collapsed.tolist(),
        "worst_mean_dimension": int(np.argmax(np.abs(mean))),
        "worst_variance_dimension": int(np.argmax(np.abs(np.log(np.clip(var, 1e-300, None))))),
        "max_abs_correlation": float(abs(corr[ci, cj])) if d > 1 else 0.0,
        "max_correlation_pair": [ci, cj] if d > 1 else [],
    }
    # centred by its null mean, not clipped: ~0 on average under H0
    return Observation(statistic=stat, effect=kl - kl0, details=details)


def describe_prior(details: dict, d: int) -> list[str]:
    """Plain-words findings from the prior-match details."""
    out = []
    var = np.asarray(details["variance"])
    mean = np.asarray(details["mean"])
    for j in details["collapsed_dimensions"][:10]:
        out.append(f"dimension {j} has variance {var[j]:.3g}: collapsed (inactive); "
                   "decoding z ~ N(0, I) along it feeds the decoder values it never saw")
    if len(details["collapsed_dimensions"]) > 10:
        out.append(f"... {len(details['collapsed_dimensions'])} collapsed dimensions in all")
    j = details["worst_mean_dimension"]
    if abs(mean[j]) > 0.1:
        out.append(f"mean shifted: dimension {j} has mean {mean[j]:+.3g} "
                   f"(|mean| = {details['mean_norm']:.3g} over all dimensions)")
    live = np.setdiff1d(np.arange(d), details["collapsed_dimensions"])
    if live.size:
        v = var[live]
        if abs(np.log(v.mean())) > np.log(1.1):
            out.append(f"scale off: average variance {v.mean():.3g} over active dimensions "
                       "(the prior has 1)")
        else:
            jv = live[int(np.argmax(np.abs(np.log(v))))]
            if abs(np.log(var[jv])) > np.log(1.2):
                out.append(f"dimension {jv} has variance {var[jv]:.3g} (the prior has 1)")
    if details["max_abs_correlation"] > 0.1:
        i, j = details["max_correlation_pair"]
        out.append(f"dimensions {i} and {j} are correlated (r = "
                   f"{details['max_abs_correlation']:.2f}); the prior's coordinates are independent")
    return out


def _finding(r: TestResult) -> str:
    words = describe_prior(dict(r.details), r.d)
    return "; ".join(words) if words else (
        f"first two moments differ from N(0, I): KL = {r.details['kl']:.3g}, W2 = {r.details['w2']:.3g}")


PRIOR_MOMENTS = register(TestSpec(
    code="prior_moments", family="prior", title="Prior moments (mean and covariance)",
    nulls=("standard",), kernel=_lr_kernel, observe=_observe,
    effect_name="KL(N(mean, S) || N(0, I)) minus its null expectation",
    simulate=_lr_simulate, mc_max_n=None, default_resamples=9999,
    min_n=lambda d, null: d + 2, finding=_finding,
))


def prior_moments(
    z: Any, *, method: Any = "auto", nan_policy: str = "raise", rng: Any = None,
) -> TestResult:
    r"""Test the first two moments against the prior: H0: z ~ N(0, I_d).

    Test code ``prior_moments`` (``prior_match`` is accepted as an alias; the
    report's *question* prior_match is answered by the whole standard-null family).

    Parameters
    ----------
    z : array_like, shape (n, d), with n >= d + 2
    method : "auto" or "monte_carlo" (always exact Monte Carlo; see Notes)

    Returns
    -------
    TestResult
        ``statistic`` = 2n KL(N(mean, S) || N(0, I)) = n (tr S + |mean|^2 - d - log det S),
        the likelihood-ratio statistic, S the MLE covariance. ``effect`` = the KL
        minus its null expectation (n-free; ~0 under H0). ``details``: kl,
        kl_null_mean, w2 (Wasserstein-2 between N(mean, S) and N(0, I)),
        null_reference (what N(0, I) itself gives at this n, d: :func:`null_reference`), mean and
        variance per dimension, collapsed_dimensions (variance below 0.1 times min(1, the
        median variance)), worst_mean_dimension, worst_variance_dimension,
        max_abs_correlation and its pair.

    Notes
    -----
    The chi2(d + d(d+1)/2) limit of the LR statistic needs n >> d^2 (its size is
    about 0.17 at n = 300, d = 32). gausstest never uses it: under H0, n S ~
    Wishart(n - 1, I) independent of sqrt(n) mean ~ N(0, I), and by Bartlett's
    decomposition tr(n S) and det(n S) are sums and products of independent chi2
    variables, so the LR statistic's null law is simulated exactly in O(d^2) per draw
    (B = 9999) at any n. E KL under H0 uses E log det(nS) = sum_i psi((n - i)/2) + d log 2.

    References
    ----------
    Anderson, T. W. (2003). An Introduction to Multivariate Statistical Analysis,
    3rd ed., Wiley, sections 7.2 (Bartlett decomposition) and 10.8 (LR test of
    mu = 0, Sigma = I).

    Examples
    --------
    >>> import numpy as np
    >>> from gausstest import prior_moments
    >>> z = np.random.default_rng(0).standard_normal((2000, 8))
    >>> z[:, 3] *= 0.05  # a collapsed dimension
    >>> r = prior_moments(z)
    >>> r.pvalue < 1e-3, r.details["collapsed_dimensions"]
    (True, [3])

    Dimension 3 carries almost no variance: sampling it from N(0, 1) would give the
    decoder values it never saw in training.
    """
    return run_test("prior_moments", z, null="standard", method=method, nan_policy=nan_policy,
                    rng=rng)


#: the function's name before the rename (the report's question "prior_match" took it)
prior_match = prior_moments
