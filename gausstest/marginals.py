"""Per-coordinate normality tests with multiplicity control.

Each coordinate z[:, j] is tested on its own; the d p-values are combined by Holm
(family-wise error) or Benjamini-Hochberg (Simes), both from statsmodels'
``multipletests`` (Holm computed directly, identical and without its ``gc.collect()``;
BH by ``fdrcorrection``). The smallest adjusted p-value is a valid p-value for the global
null "every marginal is normal", and the report names the worst coordinates: a
collapsed latent dimension, a shifted or skewed one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._lazy import lazy_module
from .chunks import column_chunks, column_pass_floats, for_each, sub_chunks
from .normal_edf import ad_fitted_pvalue, sorted_edf
from .radial import edf_statistics
from .registry import Observation, TestSpec, register, run_test
from .results import TestResult
from .sample import Sample

special = lazy_module("scipy.special")  # imported on first use (fast CLI start)
stats = lazy_module("scipy.stats")  # imported on first use (fast CLI start)
_sm_diagnostic = lazy_module("statsmodels.stats.diagnostic")
_sm_multitest = lazy_module("statsmodels.stats.multitest")

__all__ = ["marginals"]

_CORRECTIONS = ("holm", "fdr_bh")
#: Shapiro-Wilk p-values (Royston 1992, scipy.stats.shapiro) are valid up to this n
SHAPIRO_MAX_N = 5000


# ------------------------------------------------ Anderson-Darling against N(0, 1)

def _adinf(z: np.ndarray) -> np.ndarray:
    """Limit CDF of A^2 (Marsaglia & Marsaglia 2004), and its upper tail."""
    z = np.asarray(z, dtype=float)
    zs = np.maximum(z, 1e-12)
    lo = np.exp(-1.2337141 / zs) / np.sqrt(zs) * (
        2.00012 + (0.247105 - (0.0649821 - (0.0347962 - (0.011672 - 0.00168691 * zs) * zs)
                               * zs) * zs) * zs)
    t = np.exp(1.0776 - (2.30695 - (0.43424 - (0.082433 - (0.008056 - 0.0003146 * zs) * zs)
                                    * zs) * zs) * zs)
    cdf = np.where(z < 2, lo, np.exp(-t))
    sf = np.where(z < 2, 1 - lo, -np.expm1(-t))
    return np.where(z <= 0, 0.0, cdf), np.where(z <= 0, 1.0, sf)


def _errfix(n: int, x: np.ndarray) -> np.ndarray:
    """Finite-n correction of the A^2 CDF (Marsaglia & Marsaglia 2004).

    Their fit for x > 0.8 does not vanish at x = 1 (it ends at -0.0006 / n); the true
    correction does, so it is tapered linearly to 0 over x in [0.99, 1] to keep tiny
    p-values meaningful (validated by simulation in tests/test_marginals.py).
    """
    x = np.asarray(x, dtype=float)
    hi = (-130.2137 + (745.2337 - (1705.091 - (1950.646 - (1116.360 - 255.7844 * x) * x) * x)
                       * x) * x) / n
    hi = hi * np.clip((1 - x) / 0.01, 0.0, 1.0)
    c = 0.01265 + 0.1757 / n
    t = np.clip(x / c, 0.0, 1.0)
    low = np.sqrt(t) * (1 - t) * (49 * t - 102) * (0.0037 / n ** 2 + 0.00078 / n + 0.00006) / n
    m = (x - c) / (0.8 - c)
    mid = (-0.00022633 + (6.54034 - (14.6538 - (14.458 - (8.259 - 1.91864 * m) * m) * m) * m)
           * m) * (0.04213 + 0.01365 / n) / n
    return np.where(x > 0.8, hi, np.where(x < c, low, mid))


def ad_pvalue(a2: np.ndarray, n: int) -> np.ndarray:
    """Upper-tail p-value of the Anderson-Darling A^2 of n iid uniforms (case 0).

    Marsaglia & Marsaglia (2004): the limit law plus their finite-n correction.
    """
    cdf, sf = _adinf(a2)
    return np.clip(sf - _errfix(n, cdf), 0.0, 1.0)


def _ad_standard(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A^2 and KS distance of each column against N(0, 1); x is (..., n, d)."""
    xt = np.swapaxes(x, -1, -2)
    edf = edf_statistics(special.log_ndtr(xt), special.log_ndtr(-xt))
    return edf["ad"], edf["ks"]


# ------------------------------------------------ per-coordinate p-values

def _coordinate_pvalues(x: np.ndarray, null: str) -> np.ndarray:
    """p-values (..., d) of the per-coordinate tests of a batch (..., n, d)."""
    n = x.shape[-2]
    if null == "standard":
        a2, _ = _ad_standard(x)
        return ad_pvalue(a2, n)
    if n <= SHAPIRO_MAX_N:
        _, p = stats.shapiro(x, axis=-2)
        return np.asarray(p, dtype=float)
    a2, p = _sm_diagnostic.normal_ad(x, axis=-2)
    p = np.asarray(p, dtype=float)
    # Stephens' formula is for A^2 up to about 13 (p ~ 1e-31 there; its quadratic term
    # turns it back up beyond ~150, and an infinite A^2, from a column whose extremes
    # round to Phi = 1, gives NaN): such a column is far in the tail, p = 1e-300
    beyond = ~np.isfinite(p) | (np.asarray(a2, dtype=float) > 13.0)
    return np.where(beyond, 1e-300, p) if np.any(beyond) else p


def _test_name(n: int, null: str) -> str:
    if null == "standard":
        return ("Anderson-Darling (against N(0, 1), p from the A^2 law of Marsaglia & "
                "Marsaglia 2004)")
    if n <= SHAPIRO_MAX_N:
        return "Shapiro-Wilk (scipy.stats.shapiro, p by Royston 1992)"
    return ("Anderson-Darling with estimated mean and sd (Stephens' modified A^2 and p, "
            "D'Agostino & Stephens 1986; as statsmodels normal_ad)")


def holm_adjust(p: np.ndarray) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values of a 1-D array.

    Identical to ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]``
    (checked in tests/test_marginals.py), which calls ``gc.collect()`` on every call
    (about 60 ms in a large process); Benjamini-Hochberg comes from statsmodels'
    ``fdrcorrection``, which does not.
    """
    d = p.size
    order = np.argsort(p, kind="stable")
    adj = np.minimum(np.maximum.accumulate(p[order] * np.arange(d, 0, -1)), 1.0)
    out = np.empty(d)
    out[order] = adj
    return out


def _combined(p: np.ndarray, correction: str) -> np.ndarray:
    """Uncapped combined p over the last axis: d * min p (Holm) or Simes' min_k d p_(k)/k (BH).

    Capped at 1 these equal the smallest Holm-adjusted p-value and the smallest BH
    q-value of ``multipletests``.
    """
    d = p.shape[-1]
    if correction == "holm":
        return d * p.min(axis=-1)
    ps = np.sort(p, axis=-1)
    return (d * ps / np.arange(1, d + 1)).min(axis=-1)


def _score(p: np.ndarray, correction: str) -> np.ndarray:
    """The statistic: -log10 of the combined p capped at 1 (larger = more extreme)."""
    c = np.minimum(_combined(p, correction), 1.0)
    return -np.log10(np.maximum(c, 1e-300))


def _kernel(x: np.ndarray, *, null: str, correction: str = "holm", top: int = 5) -> np.ndarray:
    """Statistic of each raw sample of a batch (B, n, d) (see :func:`_simulate`)."""
    return _score(_coordinate_pvalues(x, null), correction)


def _simulate(n, d, null, b, rng, opts):
    # raw N(0, I) samples, not whitened: the per-coordinate tests are computed on the raw
    # coordinates. Exact under null="standard" (the null *is* N(0, I)); under "gaussian"
    # (per-coordinate tests are location-scale invariant) exact for independent coordinates.
    correction = opts.get("correction", "holm")
    out = np.empty(b)
    per = max(1, min(b, 2_000_000 // max(1, n * d)))
    for s in range(0, b, per):
        m = min(per, b - s)
        out[s:s + m] = _score(_coordinate_pvalues(rng.standard_normal((m, n, d)), null),
                              correction)
    return out


def _observe(sample: Sample, null: str, opts: dict) -> Observation:
    correction = opts.get("correction", "holm")
    if correction not in _CORRECTIONS:
        raise ValueError(f"correction must be one of {_CORRECTIONS}; got {correction!r}")
    top = int(opts.get("top", 5))
    n, d = sample.n, sample.d
    p, mean, sd, skew, exkurt, ks = (np.empty(d) for _ in range(6))
    # the composite-null tests are scale free: extreme magnitudes (beyond 2^(+-128), where
    # fourth powers leave float64) are scaled by a power of two first (exact), each column
    # by its own (one cell of 1e300 in one column leaves the others at their scale)
    shift = 0
    if null != "standard":
        biggest = sample.max_abs
        if biggest != 0.0 and not 2.0 ** -128 < biggest < 2.0 ** 128:
            shift = 1
    # a chunk of columns at a time (one pass over the rows of a large sample each), every
    # per-column statistic of a sub-chunk at once: each column is sorted once, and its A^2
    # and KS distance come from one normal-CDF call per value (gausstest.normal_edf)
    for j0, xc in column_chunks(sample, floats=column_pass_floats()):
        def stats_of(sl, xc=xc, j0=j0):
            x = xc[:, sl]
            exps = 0
            if shift:
                top_abs = np.abs(x).max(axis=0)
                extreme = (top_abs != 0.0) & ~((2.0 ** -128 < top_abs) & (top_abs < 2.0 ** 128))
                # by ldexp: 2^1029 (subnormal data) overflows
                exps = np.where(extreme, -np.frexp(top_abs)[1], 0)
                x = np.ldexp(x, exps[None, :])
            cols = slice(j0 + sl.start, j0 + sl.stop)
            m = x.mean(axis=0)
            c = x - m
            c2 = c * c
            m2 = c2.mean(axis=0)
            m3 = (c2 * c).mean(axis=0)
            m4 = (c2 * c2).mean(axis=0)
            del c, c2
            mean[cols], sd[cols] = m, np.sqrt(m2 * (n / (n - 1.0)))
            if shift:  # reported in the data's units
                mean[cols], sd[cols] = np.ldexp(m, -exps), np.ldexp(sd[cols], -exps)
            # biased g1 and g2, NaN for a constant column (as scipy.stats.skew / kurtosis)
            flat = m2 <= (np.finfo(float).resolution * m) ** 2
            with np.errstate(divide="ignore", invalid="ignore"):
                skew[cols] = np.where(flat, np.nan, m3 / m2 ** 1.5)
                exkurt[cols] = np.where(flat, np.nan, m4 / (m2 * m2) - 3.0)
            xs = np.sort(x.T, axis=-1)  # (k, n), each column sorted once
            if null == "standard":
                a2, ks[cols] = sorted_edf(xs)
                p[cols] = ad_pvalue(a2, n)
                return
            sd_scaled = sd[cols] if not shift else np.ldexp(sd[cols], exps)
            safe = np.where(sd_scaled > 0, sd_scaled, 1.0)
            xs -= m[:, None]
            xs /= safe[:, None]
            a2, ks[cols] = sorted_edf(xs)
            # Shapiro-Wilk up to SHAPIRO_MAX_N, then A^2 with estimated mean and sd
            p[cols] = (_coordinate_pvalues(x, null) if n <= SHAPIRO_MAX_N
                       else ad_fitted_pvalue(a2, n))

        for_each(sub_chunks(xc.shape[1], n), stats_of)
        del xc, stats_of
    holm_p = holm_adjust(p)
    bh_reject, bh_q = _sm_multitest.fdrcorrection(p, alpha=0.05)
    order = np.argsort(p, kind="stable")[:max(1, min(top, d))]
    worst = [
        {"index": int(j), "pvalue": float(p[j]), "holm_pvalue": float(holm_p[j]),
         "bh_qvalue": float(bh_q[j]), "mean": float(mean[j]), "sd": float(sd[j]),
         "skewness": float(skew[j]), "excess_kurtosis": float(exkurt[j]),
         "ks_distance": float(ks[j])}
        for j in order
    ]
    details = {
        "per_coordinate_test": _test_name(n, null),
        "correction": correction,
        "min_holm_pvalue": float(holm_p.min()),
        "min_bh_qvalue": float(bh_q.min()),
        "n_rejected_holm": int((holm_p <= 0.05).sum()),
        "n_rejected_bh": int(bh_reject.sum()),
        "rejection_alpha": 0.05,
        "pvalues": p.tolist(),
        "worst": worst,
    }
    stat = float(_score(p, correction))
    return Observation(statistic=stat, effect=float(ks.max()), details=details)


def _asymptotic(stat: float, n: int, d: int, null: str, opts: dict) -> tuple[float, str]:
    correction = opts.get("correction", "holm")
    how = ("min Holm-adjusted p" if correction == "holm"
           else "min Benjamini-Hochberg q (the Simes p; valid for independent or positively "
                "dependent coordinates)")
    return float(10.0 ** (-stat)), (
        f"{how} over {d} per-coordinate {_test_name(n, null)} p-values")


def _valid(n: int, d: int, null: str, opts: dict) -> bool:
    # the Holm bound is valid under any dependence (conservative by at most 1 - e^{-a}
    # versus a: 4.88% vs 5% for independent coordinates); its per-coordinate p-values were
    # checked by simulation in tests/test_marginals.py
    return True


def _finding(r: TestResult) -> str:
    alpha = r.details["rejection_alpha"]
    key = "holm_pvalue" if r.details["correction"] == "holm" else "bh_qvalue"
    bad = [w for w in r.details["worst"] if w[key] <= alpha] or r.details["worst"][:1]
    parts = [_describe(w, r.null) for w in bad[:3]]
    k = r.details["n_rejected_holm" if r.details["correction"] == "holm" else "n_rejected_bh"]
    head = f"{k} of {r.d} dimensions fail: " if k > 1 else ""
    return head + "; ".join(parts)


def _describe(w: dict, null: str) -> str:
    j, sd, mean = w["index"], w["sd"], w["mean"]
    if null == "standard":
        if sd < 0.1:
            return f"dimension {j} has sd {sd:.2g}: collapsed"
        if abs(mean) > 0.2 and abs(mean) > abs(sd - 1):
            return f"dimension {j} has mean {mean:+.2f} (prior: 0)"
        if abs(np.log(sd)) > 0.15 and abs(w["skewness"]) < 0.5 and abs(w["excess_kurtosis"]) < 1:
            return f"dimension {j} has sd {sd:.2f} (prior: 1)"
    shape = []
    if abs(w["skewness"]) >= 0.3:
        shape.append(f"skew {w['skewness']:+.2f}")
    if abs(w["excess_kurtosis"]) >= 0.5:
        shape.append(f"excess kurtosis {w['excess_kurtosis']:+.2f}")
    if not shape:
        shape.append(f"KS distance {w['ks_distance']:.3f} to the "
                     + ("prior" if null == "standard" else "fitted normal"))
    return f"dimension {j} is not normal ({', '.join(shape)})"


MARGINALS = register(TestSpec(
    code="marginals", family="marginals", title="Per-coordinate normality",
    nulls=("standard", "gaussian"), kernel=_kernel, observe=_observe,
    effect_name="largest per-coordinate KS distance to N(0, 1) (standard) or to the fitted normal",
    # the statistic is a function of d per-coordinate p-values that are (close to) uniform
    # at every n, so its null law is n-stable: Monte Carlo simulates at min(n, 2000)
    asymptotic=_asymptotic, asymptotic_valid=_valid, simulate=_simulate, mc_max_n=2000,
    min_n=lambda d, null: 8 if null == "standard" else 3, finding=_finding,
    affine_invariant=False,
))


def marginals(
    z: Any, *, null: str = "standard", correction: str = "holm", top: int = 5,
    method: Any = "auto", nan_policy: str = "raise", rng: Any = None,
) -> TestResult:
    r"""Per-coordinate normality tests, combined with Holm or Benjamini-Hochberg.

    H0 (``null="standard"``): every coordinate z[:, j] ~ N(0, 1).
    H0 (``null="gaussian"``): every coordinate is normal, N(mu_j, s_j^2) with unknown
    mu_j, s_j. (Normal marginals are necessary, not sufficient, for joint normality.)

    Parameters
    ----------
    z : array_like, shape (n, d)
    null : {"standard", "gaussian"}
    correction : {"holm", "fdr_bh"}
        How the d p-values are combined (statsmodels ``multipletests``): the smallest
        Holm-adjusted p-value (valid under any dependence between coordinates) or
        the smallest Benjamini-Hochberg q-value (the Simes p-value; valid for
        independent or positively dependent coordinates).
    top : int
        How many of the worst coordinates ``details["worst"]`` lists.
    method : "auto", "asymptotic", "monte_carlo" or a PValueMethod
    nan_policy : {"raise", "omit"}
    rng : None, int or Generator

    Returns
    -------
    TestResult
        ``statistic`` = -log10 of the combined p-value; ``pvalue`` = the combined
        p-value itself (method "auto"); ``effect`` = the largest per-coordinate KS
        distance to N(0, 1) (standard) or to N(mean_j, sd_j^2) (gaussian), n-free;
        ``details``: ``pvalues`` per coordinate, ``per_coordinate_test``,
        ``min_holm_pvalue``, ``min_bh_qvalue``, ``n_rejected_holm`` and
        ``n_rejected_bh`` (at 5%), and ``worst``: the ``top`` coordinates with the
        smallest p-values, each with its index, p-value, Holm p, BH q, mean, sd,
        skewness, excess kurtosis and KS distance.

    Notes
    -----
    Standard null: each coordinate is tested against the fully specified N(0, 1) by
    Anderson-Darling on u = Phi(z_j), A^2 = -n - (1/n) sum (2i - 1)(log u_(i) +
    log(1 - u_(n+1-i))). A^2 sees location, scale and shape at once and weighs the
    tails, where a wrong scale or heavy tails show, more than Kolmogorov-Smirnov does;
    a collapsed coordinate (sd near 0) gives a huge A^2. Its p-value is the law of A^2
    for n iid uniforms: the limit law plus finite-n correction of Marsaglia &
    Marsaglia (2004) (checked against simulation on uniforms).
    Composite null: Shapiro-Wilk (scipy.stats.shapiro) for n <= 5000, its validated
    range, and beyond it Anderson-Darling with estimated mean and sd (Stephens' modified
    statistic and p-value, :func:`gausstest.normal_edf.ad_fitted_pvalue`; equal to
    ``statsmodels.stats.diagnostic.normal_ad``, with exact tails). The tests run on the raw coordinates
    (they are location-scale invariant per coordinate; no whitening).

    The combined p-value min_j Holm p_j = min(1, d min_j p_j) is valid for the global
    null whatever the dependence between coordinates (Holm controls the family-wise
    error), so ``method="auto"`` uses it at every (n, d); its size was checked by
    simulation (tests/test_marginals.py). ``method="monte_carlo"`` simulates the
    statistic on raw N(0, I) samples at min(n, 2000) rows (the statistic is a function
    of per-coordinate p-values that are uniform at every n, so its law is n-stable):
    exact under the standard null, and under the composite null exact for independent
    coordinates only (for correlated ones the Holm p-value is the safe choice).

    References
    ----------
    Anderson, T. W. & Darling, D. A. (1954). A test of goodness of fit. JASA 49(268),
    765-769. doi:10.1080/01621459.1954.10501232
    Marsaglia, G. & Marsaglia, J. (2004). Evaluating the Anderson-Darling
    distribution. Journal of Statistical Software 9(2). doi:10.18637/jss.v009.i02
    Shapiro, S. S. & Wilk, M. B. (1965). An analysis of variance test for normality.
    Biometrika 52(3-4), 591-611. doi:10.1093/biomet/52.3-4.591
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    Scandinavian Journal of Statistics 6(2), 65-70.
    Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B
    57(1), 289-300. doi:10.1111/j.2517-6161.1995.tb02031.x

    Examples
    --------
    >>> import numpy as np
    >>> from gausstest.marginals import marginals
    >>> z = np.random.default_rng(0).standard_normal((500, 8))
    >>> z[:, 3] *= 0.02
    >>> r = marginals(z)
    >>> r.pvalue < 1e-10, r.details["worst"][0]["index"]
    (True, 3)

    Dimension 3 has almost no spread: it is collapsed, and the test names it.
    """
    if correction not in _CORRECTIONS:
        raise ValueError(f"correction must be one of {_CORRECTIONS}; got {correction!r}")
    return run_test("marginals", z, null=null, method=method, nan_policy=nan_policy, rng=rng,
                    options={"correction": correction, "top": int(top)})
