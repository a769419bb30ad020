"""Radial tests: the distribution of the radii ||z_i||^2 (or Mahalanobis radii)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._lazy import lazy_module
from .registry import Observation, TestSpec, register, run_test
from .results import TestResult
from .sample import Sample

special = lazy_module("scipy.special")  # imported on first use (fast CLI start)
stats = lazy_module("scipy.stats")  # imported on first use (fast CLI start)

__all__ = ["radii", "edf_statistics"]

_STATISTICS = ("ad", "ks", "cvm")


def edf_statistics(log_u: np.ndarray, log_1mu: np.ndarray) -> dict[str, np.ndarray]:
    """Anderson-Darling A^2, Kolmogorov-Smirnov D and Cramer-von Mises W^2 of PIT values.

    Takes log u and log(1 - u) (computed from logcdf / logsf, so the tails keep their
    precision) along the last axis, unsorted; leading axes are a batch.
    """
    order = np.argsort(log_u, axis=-1)
    lu = np.take_along_axis(log_u, order, axis=-1)
    l1 = np.take_along_axis(log_1mu, order, axis=-1)
    n = lu.shape[-1]
    i = np.arange(1, n + 1)
    ad = -n - ((2 * i - 1) * (lu + l1[..., ::-1])).sum(axis=-1) / n
    u = np.exp(lu)
    ks = np.maximum((i / n - u).max(axis=-1), (u - (i - 1) / n).max(axis=-1))
    cvm = 1.0 / (12 * n) + ((u - (2 * i - 1) / (2 * n)) ** 2).sum(axis=-1)
    return {"ad": ad, "ks": ks, "cvm": cvm}


def _pit(x: np.ndarray, null: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Radii and their log-CDF / log-SF under the null law.

    standard: r = ||z||^2 ~ chi2(d) iid.
    gaussian: r = ||y||^2 (MLE-whitened); r / (n - 1) ~ Beta(d/2, (n-d-1)/2) exactly
    (Gnanadesikan & Kettenring 1972), though the r_i are dependent (they sum to n d).
    """
    n, d = x.shape[-2:]
    return _pit_of_radii(np.einsum("...ij,...ij->...i", x, x), n, d, null)


def _pit_of_radii(r: np.ndarray, n: int, d: int,
                  null: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_pit` from the squared radii r (..., n) themselves."""
    if null == "standard":  # chi2(d) CDF / SF are regularized incomplete gammas
        args = (d / 2.0, r / 2.0)
        cdf, sf = special.gammainc, special.gammaincc
    else:
        args = (d / 2.0, (n - d - 1) / 2.0, np.clip(r / (n - 1), 0.0, 1.0))
        cdf, sf = special.betainc, special.betaincc
    lower = cdf(*args)
    upper = 1.0 - lower
    hi = lower > 0.5  # the complement is computed directly only where 1 - F loses digits
    if hi.any():
        upper[hi] = sf(*(a if np.ndim(a) == 0 else a[hi] for a in args))
    tiny = np.finfo(float).tiny
    return r, np.log(np.maximum(lower, tiny)), np.log(np.maximum(upper, tiny))


def _scaled(edf: dict[str, np.ndarray], which: str, n: int) -> np.ndarray:
    """The n-stable form of each statistic: A^2, sqrt(n) D, W^2."""
    return np.sqrt(n) * edf["ks"] if which == "ks" else edf[which]


def _radii_kernel(x: np.ndarray, *, null: str, statistic: str = "ad") -> np.ndarray:
    _, lu, l1 = _pit(x, null)
    return _scaled(edf_statistics(lu, l1), statistic, x.shape[-2])


def _radii_radial(r2: np.ndarray, d: int, *, null: str, statistic: str = "ad") -> np.ndarray:
    """:func:`_radii_kernel` from the whitened squared radii (..., n)."""
    n = r2.shape[-1]
    _, lu, l1 = _pit_of_radii(r2, n, d, null)
    return _scaled(edf_statistics(lu, l1), statistic, n)


def _radii_simulate(n, d, null, b, rng, opts):
    which = opts.get("statistic", "ad")
    if null == "standard":  # PIT values are iid uniform: distribution-free, O(n) a draw
        out = np.empty(b)
        per = max(1, 2_000_000 // n)
        for s in range(0, b, per):
            u = rng.random((min(per, b - s), n))
            out[s:s + per] = _scaled(edf_statistics(np.log(u), np.log1p(-u)), which, n)
        return out
    from .pvalues import _draw_statistics
    return _draw_statistics(_RADII_PLAIN, n, d, null, opts, b, int(rng.integers(2**62)))


def _radii_observe(sample: Sample, null: str, opts: dict) -> Observation:
    which = opts.get("statistic", "ad")
    if which not in _STATISTICS:
        raise ValueError(f"statistic must be one of {_STATISTICS}; got {which!r}")
    n, d = sample.n, sample.d
    # the sample's cached radii: streamed over row blocks for a large (memmapped) sample
    r, lu, l1 = _pit_of_radii(sample.radii if null == "standard" else sample.mahalanobis,
                              n, d, null)
    edf = edf_statistics(lu, l1)
    # location and spread of the radii against the null law, for the findings
    if null == "standard":
        q = stats.chi2.ppf([0.25, 0.5, 0.75], d)
    else:
        q = (n - 1) * stats.beta.ppf([0.25, 0.5, 0.75], d / 2.0, (n - d - 1) / 2.0)
    rq = np.quantile(r, [0.25, 0.5, 0.75])
    sq, sr = np.sqrt(q), np.sqrt(rq)
    details = {
        "statistic_name": {"ad": "Anderson-Darling A^2", "ks": "Kolmogorov-Smirnov sqrt(n) D",
                           "cvm": "Cramer-von Mises W^2"}[which],
        "anderson_darling": float(edf["ad"]), "ks_distance": float(edf["ks"]),
        "cramer_von_mises": float(edf["cvm"]),
        "median_radius_ratio": float(sr[1] / sq[1]),
        "radius_spread_ratio": float((sr[2] - sr[0]) / (sq[2] - sq[0])),
        "mean_squared_radius": float(r.mean()),
    }
    return Observation(statistic=float(_scaled(edf, which, n)), effect=float(edf["ks"]),
                       details=details)


def _radii_asymptotic(stat, n, d, null, opts):
    if null != "standard" or opts.get("statistic", "ad") != "ks":
        raise ValueError("radii has a closed-form p-value only for null='standard' with "
                         "statistic='ks'; use method='monte_carlo'")
    return float(stats.kstwo.sf(stat / np.sqrt(n), n)), "exact Kolmogorov-Smirnov law (scipy.stats.kstwo)"


def _radii_valid(n, d, null, opts):
    return null == "standard" and opts.get("statistic", "ad") == "ks"


def _radii_finding(r: TestResult) -> str:
    med, spread = r.details["median_radius_ratio"], r.details["radius_spread_ratio"]
    parts = []
    if r.null == "standard" and abs(med - 1) > 0.05:
        parts.append(f"radii too {'large' if med > 1 else 'small'}: the median ||z|| is "
                     f"{med:.2f} x the prior's (overall scale off)")
    if spread < 0.85:
        parts.append(f"radii too concentrated: the sample lies on a shell (spread of ||z|| is "
                     f"{spread:.2f} x a Gaussian's)")
    elif spread > 1.15:
        parts.append(f"radii too spread (spread of ||z|| is {spread:.2f} x a Gaussian's): "
                     "heavy tails or a mixture of scales")
    if not parts:
        parts.append(f"radii do not follow their null law (KS distance {r.effect:.3f})")
    return "; ".join(parts)


RADII = register(TestSpec(
    code="radii", family="radial", title="Radii CDF",
    nulls=("standard", "gaussian"), kernel=_radii_kernel, observe=_radii_observe,
    effect_name="KS distance between the radii's EDF and their null CDF",
    asymptotic=_radii_asymptotic, asymptotic_valid=_radii_valid, simulate=_radii_simulate,
    mc_max_n=2000, finding=_radii_finding,
))
_RADII_PLAIN = TestSpec(
    code="radii", family="radial", title="Radii CDF", nulls=("standard", "gaussian"),
    kernel=_radii_kernel, radial_kernel=_radii_radial, observe=_radii_observe,
    effect_name=RADII.effect_name,
)


def radii(
    z: Any, *, null: str = "standard", statistic: str = "ad", method: Any = "auto",
    nan_policy: str = "raise", rng: Any = None,
) -> TestResult:
    r"""CDF test of the squared radii against their null law.

    H0 (``null="standard"``): ||z_i||^2 ~ chi2(d), iid (implied by z ~ N(0, I_d)).
    H0 (``null="gaussian"``): the squared Mahalanobis radii r_i = (z_i - mean)' S^{-1}
    (z_i - mean) (S the MLE covariance) follow their exact law r_i / (n - 1) ~
    Beta(d/2, (n - d - 1)/2) (Gnanadesikan & Kettenring 1972).

    Parameters
    ----------
    statistic : {"ad", "ks", "cvm"}
        Anderson-Darling (default), Kolmogorov-Smirnov or Cramer-von Mises on the
        probability-integral transforms u_i = F(r_i). Anderson-Darling is the default
        because the failures that matter for a latent prior (a shell, heavy tails, a
        wrong scale) live in the tails of the radius law, where A^2 weighs most.
    method : "auto", "asymptotic", "monte_carlo" or a PValueMethod

    Returns
    -------
    TestResult
        ``statistic``: A^2, sqrt(n) D or W^2; ``effect``: the KS distance D
        (n-free); ``details``: all three statistics, ``median_radius_ratio`` and
        ``radius_spread_ratio`` (median and interquartile spread of ||z|| relative to the
        null law's; below 1 = concentrated on a shell).

    Notes
    -----
    Standard null: the u_i are iid uniform, so the null law of each statistic is
    distribution-free. KS uses the exact law (scipy ``kstwo``); A^2 and W^2
    are calibrated by Monte Carlo on uniforms (B = 4999, at min(n, 2000): both
    converge quickly to their limit laws).
    Composite null: the u_i are not independent (the r_i sum to n d), so plain
    KS/AD p-values are not exact. The statistic is affine invariant, so Monte Carlo
    on whitened N(0, I) samples of the same (n, d) is exact (B = 4999, at
    min(n, 2000), validated by the size checks).

    References
    ----------
    Gnanadesikan, R. & Kettenring, J. R. (1972). Robust estimates, residuals, and
    outlier detection with multiresponse data. Biometrics 28(1), 81-124.
    doi:10.2307/2528963
    Anderson, T. W. & Darling, D. A. (1954). A test of goodness of fit.
    JASA 49(268), 765-769. doi:10.1080/01621459.1954.10501232

    Examples
    --------
    >>> import numpy as np
    >>> from gausstest import radii
    >>> rng = np.random.default_rng(0)
    >>> z = rng.standard_normal((1000, 16))
    >>> shell = z / np.linalg.norm(z, axis=1, keepdims=True) * 4.0
    >>> radii(z).pvalue > 0.05, radii(shell).pvalue < 0.001
    (True, True)

    Points on the sphere of radius 4 have the right average radius but no spread:
    the radius test sees the shell at once.
    """
    return run_test("radii", z, null=null, method=method, nan_policy=nan_policy, rng=rng,
                    options={"statistic": statistic})
