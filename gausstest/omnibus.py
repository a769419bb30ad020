"""Omnibus moment tests of the composite null: Doornik-Hansen and Royston's H.

Both combine per-component evidence (skewness and kurtosis for Doornik-Hansen, the
Shapiro-Wilk W for Royston) into one chi-squared statistic. Both are defined under
``null="gaussian"`` only (H0: z ~ N(mu, Sigma) for some mu, Sigma).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._lazy import lazy_module
from .errors import InputError
from .registry import Observation, TestSpec, register, run_test
from .results import TestResult
from .sample import Sample

stats = lazy_module("scipy.stats")  # imported on first use (fast CLI start)

__all__ = ["doornik_hansen", "royston"]


# ------------------------------------------------------------ Doornik-Hansen

def _dh_residuals(x: np.ndarray) -> np.ndarray:
    """Doornik & Hansen's residuals y_i = H L^{-1/2} H' V (x_i - mean), batched.

    V = diag(S)^{-1/2}, C = V S V = H L H' (the correlation matrix). Leading axes
    are a batch. The divisor of S is irrelevant (skewness and kurtosis are scale free).
    """
    c = x - x.mean(axis=-2, keepdims=True)
    s = np.matmul(np.swapaxes(c, -1, -2), c)
    v = 1.0 / np.sqrt(np.diagonal(s, axis1=-2, axis2=-1))
    corr = s * v[..., :, None] * v[..., None, :]
    lam, h = np.linalg.eigh(corr)
    root = np.matmul(h / np.sqrt(lam)[..., None, :], np.swapaxes(h, -1, -2))
    return np.matmul(c * v[..., None, :], root)


def _skew_kurt(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column sqrt(b1) and b2 (moments with divisor n), along axis -2."""
    c = y - y.mean(axis=-2, keepdims=True)
    m2 = (c * c).mean(axis=-2)
    m3 = (c * c * c).mean(axis=-2)
    m4 = (c * c * c * c).mean(axis=-2)
    return m3 / m2 ** 1.5, m4 / (m2 * m2)


def _dh_z(rb1: np.ndarray, b2: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Doornik & Hansen's normalizing transforms of sqrt(b1) and b2.

    z1: D'Agostino's (1970) transform of the skewness. z2: the Wilson-Hilferty cube
    root of the gamma approximation of the kurtosis given the skewness (Shenton &
    Bowman 1977), with Doornik & Hansen's constants.
    """
    n = float(n)
    beta = 3 * (n * n + 27 * n - 70) * (n + 1) * (n + 3) / ((n - 2) * (n + 5) * (n + 7) * (n + 9))
    w2 = -1 + np.sqrt(2 * (beta - 1))
    delta = 1 / np.sqrt(np.log(np.sqrt(w2)))
    y = rb1 * np.sqrt((w2 - 1) * (n + 1) * (n + 3) / (12 * (n - 2)))
    z1 = delta * np.arcsinh(y)  # log(y + sqrt(y^2 + 1))
    b1 = rb1 * rb1
    dl = (n - 3) * (n + 1) * (n * n + 15 * n - 4)
    a = (n - 2) * (n + 5) * (n + 7) * (n * n + 27 * n - 70) / (6 * dl)
    c = (n - 7) * (n + 5) * (n + 7) * (n * n + 2 * n - 5) / (6 * dl)
    k = (n + 5) * (n + 7) * (n ** 3 + 37 * n * n + 11 * n - 313) / (12 * dl)
    alpha = a + b1 * c
    chi = (b2 - 1 - b1) * 2 * k
    z2 = (np.cbrt(chi / (2 * alpha)) - 1 + 1 / (9 * alpha)) * np.sqrt(9 * alpha)
    return z1, z2


def _dh_kernel(x: np.ndarray, *, null: str) -> np.ndarray:
    """E = sum_j z1_j^2 + z2_j^2 for each sample of a batch (B, n, d)."""
    n = x.shape[-2]
    rb1, b2 = _skew_kurt(_dh_residuals(x))
    z1, z2 = _dh_z(rb1, b2, n)
    return (z1 * z1).sum(axis=-1) + (z2 * z2).sum(axis=-1)


def _dh_observe(sample: Sample, null: str, opts: dict) -> Observation:
    x = sample.scale_free_data  # scale free: a sample scaled by 1e200 is the same sample
    n, d = x.shape
    rb1, b2 = _skew_kurt(_dh_residuals(x))
    z1, z2 = _dh_z(rb1, b2, n)
    stat = float((z1 * z1).sum() + (z2 * z2).sum())
    # Jarque-Bera-type population distance: E / n -> sum_j beta1_j / 6 + (beta2_j - 3)^2 / 24
    effect = float((rb1 * rb1 / 6 + (b2 - 3) ** 2 / 24).sum())
    worst = int(np.argmax(z1 * z1 + z2 * z2))
    details = {
        "df": 2 * d,
        "skewness": rb1.tolist(), "kurtosis": b2.tolist(),
        "z_skewness": z1.tolist(), "z_kurtosis": z2.tolist(),
        "worst_component": worst,
        "critical_value": float(stats.chi2.ppf(0.95, 2 * d)),
    }
    return Observation(statistic=stat, effect=effect, details=details, rate=effect)


def _dh_asymptotic(stat: float, n: int, d: int, null: str, opts: dict) -> tuple[float, str]:
    return float(stats.chi2.sf(stat, 2 * d)), (
        f"asymptotic chi2({2 * d}) law of Doornik & Hansen's E (transformed skewness and "
        "kurtosis of the correlation-whitened residuals)")


def _dh_valid(n: int, d: int, null: str, opts: dict) -> bool:
    # chi2(2d) holds 5% within the binomial band at (20, 2) ... (1000, 20), but is liberal
    # in the 1% tail at moderate n (R = 2000: 1.9% at (50, 2), 2.0% at (200, 5)); it is
    # within the band at both levels at (2000, 5), (5000, 10), (2000, 64)
    # (tests/test_omnibus.py). Below, Monte Carlo, which is exact (see Notes) and cheap.
    return n >= max(2000, 20 * d)


def _dh_finding(r: TestResult) -> str:
    j = r.details["worst_component"]
    sk, ku = r.details["skewness"][j], r.details["kurtosis"][j]
    what = []
    if abs(r.details["z_skewness"][j]) > 2:
        what.append(f"skewness {sk:+.2f}")
    if abs(r.details["z_kurtosis"][j]) > 2:
        what.append(f"kurtosis {ku:.2f} (3 for a Gaussian)")
    desc = " and ".join(what) if what else f"skewness {sk:+.2f}, kurtosis {ku:.2f}"
    return (f"the decorrelated residuals are not Gaussian: component {j} (of the "
            f"correlation-whitened data) has {desc}")


DOORNIK_HANSEN = register(TestSpec(
    code="doornik_hansen", family="moments", title="Doornik-Hansen omnibus",
    nulls=("gaussian",), kernel=_dh_kernel, observe=_dh_observe,
    effect_name="sum over residual components of beta1/6 + (beta2 - 3)^2/24 (Jarque-Bera scale)",
    asymptotic=_dh_asymptotic, asymptotic_valid=_dh_valid, mc_max_n=None,
    min_n=lambda d, null: max(8, d + 2), finding=_dh_finding,
    affine_invariant=False,
))


def doornik_hansen(
    z: Any, *, method: Any = "auto", nan_policy: str = "raise", rng: Any = None,
) -> TestResult:
    r"""Doornik & Hansen's omnibus test of multivariate normality.

    H0 (``null="gaussian"``, the only null supported): z ~ N(mu, Sigma) for some
    mu, Sigma.

    Parameters
    ----------
    z : array_like, shape (n, d)
        n >= max(8, d + 2).
    method : "auto", "asymptotic", "monte_carlo" or a PValueMethod
    nan_policy : {"raise", "omit"}
    rng : None, int or Generator
        Seed of the Monte Carlo null (None: a fixed default seed).

    Returns
    -------
    TestResult
        ``statistic`` = E = sum_j (z1_j^2 + z2_j^2); ``effect`` = sum_j (beta1_j / 6 +
        (beta2_j - 3)^2 / 24) on the residual components, the limit of E / n (0 under
        normality); ``details``: per-component ``skewness`` (sqrt b1), ``kurtosis``
        (b2), their normal scores ``z_skewness``, ``z_kurtosis``, ``worst_component``,
        ``df`` = 2d and ``critical_value`` (95% point of chi2(2d)).

    Notes
    -----
    With V = diag(S)^{-1/2} and the correlation matrix C = V S V = H L H', the
    residuals are y_i = H L^{-1/2} H' V (z_i - mean). For each column of y, the
    skewness sqrt(b1) is normalized by D'Agostino's (1970) transform and the kurtosis
    b2 by the Wilson-Hilferty cube root of its gamma approximation given b1 (Shenton &
    Bowman 1977), with the constants of Doornik & Hansen; then
    E = Z1'Z1 + Z2'Z2 -> chi2(2d) under H0.

    ``method="auto"`` uses chi2(2d) for n >= max(20, 5 d), where its size was
    validated by simulation (tests/test_omnibus.py: (20, 2), (50, 2), (200, 5),
    (1000, 20)), and Monte Carlo below. Monte Carlo is exact: y has the same law for
    every Sigma (any whitening of a Gaussian sample is a Haar-distributed orthonormal
    frame times a right rotation that is independent of it), so the null simulated
    from N(0, I) applies to any N(mu, Sigma).

    The statistic is invariant to location, to rescaling and to permuting the
    coordinates, but not to rotations (it reads skewness along the residual axes).

    R's MVN package (up to at least 5.x) reports E = 126.56 on iris setosa because of
    a centring error; the correct value is 24.41 (tested here).

    References
    ----------
    Doornik, J. A. & Hansen, H. (2008). An omnibus test for univariate and
    multivariate normality. Oxford Bulletin of Economics and Statistics 70(s1),
    927-939. doi:10.1111/j.1468-0084.2008.00537.x
    D'Agostino, R. B. (1970). Transformation to normality of the null distribution
    of g1. Biometrika 57(3), 679-681. doi:10.1093/biomet/57.3.679
    Shenton, L. R. & Bowman, K. O. (1977). A bivariate model for the distribution of
    sqrt(b1) and b2. JASA 72(357), 206-211. doi:10.1080/01621459.1977.10479940

    Examples
    --------
    >>> import numpy as np
    >>> from gausstest.omnibus import doornik_hansen
    >>> rng = np.random.default_rng(0)
    >>> z = rng.standard_normal((300, 3)) @ [[1, 0.5, 0], [0, 1, 0], [0, 0, 2]]
    >>> doornik_hansen(z).pvalue > 0.05, doornik_hansen(np.exp(z)).pvalue < 0.001
    (True, True)

    A correlated Gaussian sample passes; its exponential (lognormal) is far too skewed.
    """
    return run_test("doornik_hansen", z, null="gaussian", method=method,
                    nan_policy=nan_policy, rng=rng)


# ------------------------------------------------------------ Royston's H

#: Shapiro-Wilk p-values (Royston 1992, as in scipy.stats.shapiro) are valid for 3 <= n <= 5000
ROYSTON_MAX_N = 5000


def _equivalent_df(x: np.ndarray) -> np.ndarray:
    """Royston's equivalent degrees of freedom e = d / (1 + (d - 1) c_bar), batched."""
    n, d = x.shape[-2:]
    if d == 1:
        return np.ones(x.shape[:-2])
    c = x - x.mean(axis=-2, keepdims=True)
    s = np.matmul(np.swapaxes(c, -1, -2), c)
    v = 1.0 / np.sqrt(np.diagonal(s, axis1=-2, axis2=-1))
    a = np.abs(s * v[..., :, None] * v[..., None, :])  # |r_ij|: W ignores a column's sign
    a = np.clip(a, 0.0, 1.0)
    u = np.log(n)
    mu = 0.715
    nu = 0.21364 + 0.015124 * u * u - 0.0018034 * u ** 3
    g = a ** 5 * (1 - (mu / nu) * (1 - a) ** mu)
    off = ~np.eye(d, dtype=bool)
    cbar = g[..., off].sum(axis=-1) / (d * (d - 1))
    return d / (1 + (d - 1) * cbar)


def _royston_parts(x: np.ndarray, whiten: bool):
    """W (..., d), R = (Phi^{-1}(p / 2))^2 (..., d), e (...), H (...), for batches (..., n, d)."""
    if whiten:
        x = _dh_residuals(x)
    w, p = stats.shapiro(x, axis=-2)
    w, p = np.asarray(w, dtype=float), np.asarray(p, dtype=float)
    r = stats.norm.ppf(np.clip(p, 1e-300, 1.0) / 2) ** 2
    e = np.full(x.shape[:-2], float(x.shape[-1])) if whiten else _equivalent_df(x)
    return w, r, e, e * r.mean(axis=-1)


def _royston_kernel(x: np.ndarray, *, null: str, whiten: bool = True) -> np.ndarray:
    """-log chi2(e).sf(H) of each sample of a batch (B, n, d), each with its own e."""
    _, _, e, h = _royston_parts(x, whiten)
    return -stats.chi2.logsf(h, e)


def _royston_simulate(n, d, null, b, rng, opts):
    whiten = opts.get("whiten", True)
    out = np.empty(b)
    per = max(1, min(b, 2_000_000 // max(1, n * d)))
    for s in range(0, b, per):
        m = min(per, b - s)
        # whiten=True: the residuals of any N(mu, Sigma) have the law of those of N(0, I)
        # (exact). whiten=False: raw N(0, I), exact only for independent coordinates.
        out[s:s + m] = _royston_kernel(rng.standard_normal((m, n, d)), null=null, whiten=whiten)
    return out


def _royston_observe(sample: Sample, null: str, opts: dict) -> Observation:
    n, d = sample.n, sample.d
    if n > ROYSTON_MAX_N:
        raise InputError(
            f"royston is not valid here: its Shapiro-Wilk p-values (Royston 1992) are "
            f"valid for 3 <= n <= {ROYSTON_MAX_N}; got n = {n}. Use doornik_hansen, "
            "mardia_skewness/mardia_kurtosis or marginals (Anderson-Darling beyond 5000) "
            f"instead, or pass a random subsample of at most {ROYSTON_MAX_N} rows."
        )
    whiten = opts.get("whiten", True)
    w, r, e, h = _royston_parts(sample.scale_free_data, whiten)  # scale free
    e, h = float(e), float(h)
    worst = int(np.argmin(w))
    details = {
        "equivalent_df": e, "W": w.tolist(), "R": r.tolist(), "worst_component": worst,
        "whiten": whiten, "critical_value": float(stats.chi2.ppf(0.95, e)),
    }
    return Observation(statistic=h, effect=float(np.max(1 - w)), details=details,
                       mc_statistic=float(-stats.chi2.logsf(h, e)))


def _royston_asymptotic(score: float, n: int, d: int, null: str, opts: dict) -> tuple[float, str]:
    # the compared score is -log chi2(e).sf(H), so the chi2(e) p-value is exp(-score)
    if opts.get("whiten", True):
        return float(np.exp(-score)), (
            f"asymptotic chi2({d}) law of Royston's H on the decorrelated residuals "
            "(per-component Shapiro-Wilk p-values of Royston 1992)")
    return float(np.exp(-score)), (
        "asymptotic chi2(e) law of Royston's H on the raw coordinates, e = "
        "details['equivalent_df'] (Royston 1983; Shapiro-Wilk p-values of Royston 1992)")


def _royston_valid(n: int, d: int, null: str, opts: dict) -> bool:
    # whiten=True: chi2(d) within the binomial band (5% and 1%) at (20, 2), (50, 2),
    # (200, 5), (200, 20), (1000, 5) (R = 2000-8000), but liberal at (1000, 20): 5.98% at
    # R = 8000 (band 0.73%), from small errors of the Shapiro-Wilk p-values that add up
    # over d components (per-column SW is itself conservative near n = 5000: 4.4%).
    # Elsewhere Monte Carlo, which is exact for the residuals (see Notes).
    # whiten=False: chi2(e) holds its size for d <= 5 (also with rho = 0.5 and 0.9) but is
    # liberal with correlated coordinates at larger d (7.9% at (1000, 20), rho = 0.5);
    # there "auto" falls back to Monte Carlo, exact for independent coordinates only.
    if not 3 <= n <= ROYSTON_MAX_N:
        return False
    if opts.get("whiten", True):
        return (n <= 500 and d <= 20) or (n <= 1000 and d <= 5)
    return d <= 5 and n <= 1000


def _royston_finding(r: TestResult) -> str:
    j = r.details["worst_component"]
    what = "residual component" if r.details["whiten"] else "coordinate"
    return (f"{what} {j} is the least normal (Shapiro-Wilk W = {r.details['W'][j]:.4f}, "
            f"{r.effect:.3g} short of a Gaussian's 1)")


ROYSTON = register(TestSpec(
    code="royston", family="moments", title="Royston's H",
    nulls=("gaussian",), kernel=_royston_kernel, observe=_royston_observe,
    effect_name="largest per-component Shapiro-Wilk shortfall 1 - W (0 under normality)",
    asymptotic=_royston_asymptotic, asymptotic_valid=_royston_valid,
    simulate=_royston_simulate, mc_max_n=None,
    min_n=lambda d, null: max(3, d + 2), finding=_royston_finding,
    affine_invariant=False,
))


def royston(
    z: Any, *, whiten: bool = True, method: Any = "auto", nan_policy: str = "raise",
    rng: Any = None,
) -> TestResult:
    r"""Royston's H test of multivariate normality.

    H0 (``null="gaussian"``, the only null supported): z ~ N(mu, Sigma).

    Parameters
    ----------
    z : array_like, shape (n, d)
        3 <= n <= 5000, the range where the Shapiro-Wilk p-values are valid; a larger
        n raises :class:`~gausstest.InputError` ("not valid here").
    whiten : bool
        True (default): apply H to the decorrelated residuals
        y_i = C^{-1/2} V (z_i - mean) of Doornik & Hansen (V = diag(S)^{-1/2}, C the
        correlation matrix). Their null law is the same for every Sigma, so e = d and
        Monte Carlo is exact. False: the raw coordinates with Royston's equivalent
        degrees of freedom e, as published; its chi2(e) law is liberal for correlated
        coordinates at larger d (size 7.9% at n = 1000, d = 20, rho = 0.5), so "auto"
        uses it only for d <= 5, n <= 1000 (validated with rho up to 0.9) and Monte Carlo
        on raw N(0, I) samples beyond, which is exact only for independent coordinates.
    method : "auto", "asymptotic", "monte_carlo" or a PValueMethod
    nan_policy : {"raise", "omit"}
    rng : None, int or Generator

    Returns
    -------
    TestResult
        ``statistic`` = H; ``effect`` = max_j (1 - W_j), the largest Shapiro-Wilk
        shortfall over components (0 under normality; n-free: W tends to the squared
        correlation of the quantile function with the normal's); ``details``: ``W``
        and ``R`` (the chi2(1) scores) per component, ``equivalent_df`` e,
        ``worst_component``, ``whiten``, ``critical_value``.

    Notes
    -----
    Each component's Shapiro-Wilk W is turned into its p-value p_j with Royston's
    (1992) normalizing transform (scipy.stats.shapiro), then
    R_j = (Phi^{-1}(p_j / 2))^2 ~ chi2(1), and H = e * mean_j R_j ~ chi2(e)
    approximately. On raw coordinates (``whiten=False``) e = d / (1 + (d - 1) c_bar),
    c_bar the mean over pairs of g(|r_ij|) = |r_ij|^5 (1 - (mu / nu)(1 - |r_ij|)^mu),
    mu = 0.715, nu = 0.21364 + 0.015124 ln^2 n - 0.0018034 ln^3 n (Royston 1983). We
    use |r_ij|: the correlation of R_i and R_j cannot depend on the sign of r_ij (W is
    unchanged by negating a column), and an odd power of a negative r would make
    e > d. On the decorrelated residuals (default) r_ij = 0 and e = d.

    H is not affine invariant (it reads the components one by one). With
    ``whiten=True`` its null law nevertheless does not depend on (mu, Sigma): any
    whitening of a Gaussian sample is a Haar-distributed orthonormal frame times an
    independent rotation, so Monte Carlo on whitened N(0, I) samples is exact.
    ``method="auto"`` uses chi2(d) where its size was validated by simulation
    (tests/test_omnibus.py, 5% and 1% levels): n <= 500 with d <= 20, or n <= 1000 with
    d <= 5 (checked at (20, 2), (50, 2), (200, 5), (200, 20), (1000, 5), independent
    and equicorrelated coordinates). Elsewhere it uses Monte Carlo: at (1000, 20) the
    chi2(d) law rejects 6.0% at nominal 5% (R = 8000), because the small errors of the
    per-component Shapiro-Wilk p-values add up over d components.

    Unlike R's MVN ``roystonTest`` (which switches to Shapiro-Francia for leptokurtic
    columns and is liberal), W is always Shapiro-Wilk here.

    References
    ----------
    Royston, J. P. (1983). Some techniques for assessing multivariate normality based
    on the Shapiro-Wilk W. Applied Statistics 32(2), 121-133. doi:10.2307/2347291
    Royston, P. (1992). Approximating the Shapiro-Wilk W-test for non-normality.
    Statistics and Computing 2(3), 117-119. doi:10.1007/BF01891203

    Examples
    --------
    >>> import numpy as np
    >>> from gausstest.omnibus import royston
    >>> rng = np.random.default_rng(0)
    >>> z = rng.standard_normal((200, 3))
    >>> royston(z).pvalue > 0.05, royston(z ** 3).pvalue < 0.001
    (True, True)

    Cubing the coordinates gives them far heavier tails than a Gaussian's.
    """
    return run_test("royston", z, null="gaussian", method=method, nan_policy=nan_policy,
                    rng=rng, options={"whiten": bool(whiten)})
