"""Pairwise-distance CDF test: half squared distances ||z_i - z_j||^2 / 2 against their null law.

For z_i, z_j iid N(0, I_d), (z_i - z_j)/sqrt(2) ~ N(0, I_d), so each half squared
distance is chi2(d). The n(n-1)/2 distances are *dependent* (they share rows), so the
classical KS/AD/CvM laws for iid data do not apply: a KS test that treats all pairs as
independent has size near 0.80. Here the EDF discrepancy of all pairs is scaled by n
(not by the number of pairs), which makes its null law n-stable, and calibrated by
Monte Carlo.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from ._lazy import lazy_module
from .pairwise import iter_sqdist_blocks
from .registry import Observation, TestSpec, register, run_test
from .results import TestResult
from .sample import Sample

special = lazy_module("scipy.special")  # imported on first use (fast CLI start)
stats = lazy_module("scipy.stats")  # imported on first use (fast CLI start)

__all__ = ["pairwise_distances", "pair_counts", "pair_edf_statistics", "count_modes"]

_STATISTICS = ("ad", "ks", "cvm")
#: number of equal-width bins of s = ||z_i - z_j|| / sqrt(2) between the null law's
#: 1e-12 and 1 - 1e-12 quantiles (plus an underflow and an overflow bin)
N_BINS = 8192
_TAIL = 1e-12
#: all pairs are used while n(n-1)/2 <= this; beyond, a seeded row subsample
DEFAULT_MAX_PAIRS = 50_000_000
#: Monte Carlo simulates at min(n, MC_MAX_N), at least 1.25 d (TestSpec.sim_cap): the
#: n-scaled statistics are n-stable
MC_MAX_N = 500
#: block size for the pairwise engine here: one block per simulated sample (fewer
#: Python steps beat skipping the lower half of the diagonal blocks)
_BLOCK = 1024


class _Grid:
    """The bin edges e_0 < ... < e_K of s and the null CDF / SF at them."""

    def __init__(self, n: int, d: int, null: str, bins: int):
        if null == "standard":  # s^2 ~ chi2(d)
            lo = np.sqrt(stats.chi2.ppf(_TAIL, d))
            hi = np.sqrt(stats.chi2.isf(_TAIL, d))
        else:  # s^2 / n ~ Beta(d/2, (n - d - 1)/2) exactly
            a, b = d / 2.0, (n - d - 1) / 2.0
            lo = np.sqrt(n * stats.beta.ppf(_TAIL, a, b))
            hi = np.sqrt(n * stats.beta.isf(_TAIL, a, b))
        self.bins = bins
        self.lo, self.hi = float(lo), float(hi)
        self.h = (self.hi - self.lo) / bins
        self.edges = self.lo + self.h * np.arange(bins + 1)
        self.cdf, self.sf = null_cdf_sf(self.edges, n, d, null)
        # t-width of each bin (from the SF in the upper half, where 1 - F loses digits)
        mid_low = self.cdf[1:] < 0.5
        self.widths = np.where(mid_low, np.diff(self.cdf), -np.diff(self.sf))
        self.max_gap = float(self.widths.max())


@lru_cache(maxsize=64)
def _grid(n: int, d: int, null: str, bins: int) -> _Grid:
    return _Grid(n, d, null, bins)


def null_cdf_sf(s: np.ndarray, n: int, d: int, null: str) -> tuple[np.ndarray, np.ndarray]:
    """CDF and SF of s = ||x_i - x_j|| / sqrt(2) under the null.

    standard: s^2 ~ chi2(d). gaussian (MLE-whitened residuals y): s^2 / n ~
    Beta(d/2, (n - d - 1)/2) exactly, since ||y_i - y_j||^2 = 2n b'Hb with H the
    projection on a uniformly random d-dimensional subspace of the (n-1)-dimensional
    space orthogonal to 1 and b = (e_i - e_j)/sqrt(2) a fixed unit vector in it.
    """
    s2 = np.asarray(s, dtype=np.float64) ** 2
    if null == "standard":
        return special.gammainc(d / 2.0, s2 / 2.0), special.gammaincc(d / 2.0, s2 / 2.0)
    x = np.clip(s2 / n, 0.0, 1.0)
    a, b = d / 2.0, (n - d - 1) / 2.0
    return special.betainc(a, b, x), special.betaincc(a, b, x)


def pair_counts(x: np.ndarray, grid: _Grid, *, block: int = _BLOCK) -> np.ndarray:
    """Histogram of s_ij = ||x_i - x_j|| / sqrt(2) over all pairs i < j on ``grid``.

    Returns int64 counts of length K + 2: [underflow (s < e_0), the K bins
    [e_{k-1}, e_k), overflow (s >= e_K)]. Runs on the blocked pairwise engine:
    memory O(block^2), never n x n.
    """
    k = grid.bins
    scale = 1.0 / (np.sqrt(2.0) * grid.h)
    shift = 1.0 - grid.lo / grid.h
    zero_bin = int(np.clip(shift, 0, k + 1))
    total = np.zeros(k + 2, dtype=np.int64)
    for i0, j0, d2, weight in iter_sqdist_blocks(x, block=block):
        np.sqrt(d2, out=d2)
        d2 *= scale
        d2 += shift
        np.clip(d2, 0.0, k + 1.0, out=d2)
        c = np.bincount(d2.astype(np.intp).ravel(), minlength=k + 2)
        if i0 == j0:  # the zero diagonal of a diagonal block is not a pair
            c[zero_bin] -= d2.shape[0]
            total += c
        else:
            total += 2 * c
    return total // 2


def pair_edf_statistics(counts: np.ndarray, grid: _Grid) -> dict[str, float]:
    """KS, CvM and AD discrepancies of the pairs' EDF G against the null CDF F.

    On the grid t_k = F(e_k): G_k = #{s < e_k} / N is exact, KS = max_k |G_k - t_k|;
    CvM = int (G - t)^2 dt and AD = int (G - t)^2 / (t(1-t)) dt by the trapezoid rule
    over [0, t_0, ..., t_K, 1] (integrand 0 at t = 0 and 1). These are the per-pair
    (n-free) integrals; the test statistics multiply them by n (KS by sqrt(n)).
    """
    n_pairs = counts.sum()
    cum = np.cumsum(counts[:-1])  # cum[k] = #{s < e_k}, k = 0..K
    g = cum / n_pairs
    gbar = (n_pairs - cum) / n_pairs
    diff = np.where(grid.cdf < 0.5, g - grid.cdf, grid.sf - gbar)
    ks = float(np.abs(diff).max())
    sq = diff * diff
    w = np.concatenate(([grid.cdf[0]], grid.widths, [grid.sf[-1]]))
    vals = np.concatenate(([0.0], sq, [0.0]))
    cvm = float((w * (vals[:-1] + vals[1:])).sum() / 2.0)
    wt = sq / np.maximum(grid.cdf * grid.sf, np.finfo(float).tiny)
    vals = np.concatenate(([0.0], wt, [0.0]))
    ad = float((w * (vals[:-1] + vals[1:])).sum() / 2.0)
    return {"ks": ks, "cvm": cvm, "ad": ad}


def _scaled(edf: dict[str, float], which: str, n: int) -> float:
    """n-stable forms: sqrt(n) KS, n CvM, n AD (n rows, not n(n-1)/2 pairs)."""
    return float(np.sqrt(n) * edf["ks"]) if which == "ks" else float(n * edf[which])


def _statistic(x: np.ndarray, null: str, which: str, bins: int) -> tuple[float, dict, np.ndarray, _Grid]:
    n, d = x.shape
    grid = _grid(n, d, null, bins)
    counts = pair_counts(x, grid)
    edf = pair_edf_statistics(counts, grid)
    return _scaled(edf, which, n), edf, counts, grid


def _kernel(x: np.ndarray, *, null: str, statistic: str = "ad", bins: int = N_BINS,
            max_pairs: int = DEFAULT_MAX_PAIRS, subsample_seed: int = 0) -> np.ndarray:
    return np.array([_statistic(xi, null, statistic, bins)[0] for xi in x])


def _quantile_from_counts(counts: np.ndarray, grid: _Grid, q: float) -> float:
    """Approximate q-quantile of s from the binned counts (linear within a bin)."""
    cum = np.cumsum(counts)
    target = q * cum[-1]
    k = int(np.searchsorted(cum, target, side="left"))
    if k == 0:
        return grid.lo
    if k >= grid.bins + 1:
        return grid.hi
    before = cum[k - 1]
    frac = (target - before) / max(counts[k], 1)
    return float(grid.edges[k - 1] + frac * grid.h)


def _count_modes(counts: np.ndarray, grid: _Grid) -> int:
    """Number of clear modes of the distance histogram (coarse, smoothed).

    The bins between the sample's 0.5% and 99.5% quantiles are merged into 40 groups,
    smoothed by a 3-point moving average; a mode is a local maximum of at least 20% of
    the highest, separated from the previous mode by a dip below 70% of the lower peak.
    """
    lo_s = _quantile_from_counts(counts, grid, 0.005)
    hi_s = _quantile_from_counts(counts, grid, 0.995)
    k0 = int(np.clip((lo_s - grid.lo) / grid.h, 0, grid.bins - 1)) + 1
    k1 = int(np.clip((hi_s - grid.lo) / grid.h, 0, grid.bins - 1)) + 1
    inner = counts[k0:k1 + 1].astype(float)
    if inner.size < 40:
        return 1
    groups = np.array([g.sum() for g in np.array_split(inner, 40)])
    # mass beyond the grid (e.g. between-cluster distances far above the null's range)
    # is a group of its own, so a far mode is not lost in the overflow bin
    # (its height capped at the highest group: its width is unknown)
    total, top = counts.sum(), groups.max()
    if counts[-1] > 0.05 * total:
        groups = np.concatenate([groups, [min(counts[-1], top), 0.0]])
    if counts[0] > 0.05 * total:
        groups = np.concatenate([[0.0, min(counts[0], top)], groups])
    return count_modes(groups)


def count_modes(groups: np.ndarray, z: float | None = None, floor: float = 0.2) -> int:
    """Clear modes of a histogram: after a 3-point moving average, local maxima of at
    least ``floor`` (20%) of the highest, each separated from the previous one by a dip
    below 70% of the lower of the two peaks. With ``z`` (``groups`` are then counts), the
    dip must also exceed counting noise: 3 (peak - valley) >= z sqrt(3 (peak + valley)) on
    the three-bin sums (Poisson), so that a flat histogram's noise is not a second mode."""
    sm = np.convolve(np.pad(groups, 1, mode="edge"), np.ones(3) / 3, mode="valid")
    top = sm.max()
    modes, last_peak, valley = 0, None, np.inf

    def clear(peak: float) -> bool:
        if not valley < 0.7 * peak:
            return False
        return z is None or 3.0 * (peak - valley) >= z * np.sqrt(3.0 * (peak + valley))

    for i in range(1, sm.size - 1):
        valley = min(valley, sm[i])
        if sm[i] >= sm[i - 1] and sm[i] > sm[i + 1] and sm[i] >= floor * top:
            if last_peak is None or clear(min(last_peak, sm[i])):
                modes += 1
                last_peak, valley = sm[i], sm[i]
            elif sm[i] > last_peak:
                last_peak, valley = sm[i], sm[i]
    return max(modes, 1)


def _prepared_rows(sample: Sample, null: str, opts: dict) -> tuple[np.ndarray, int | None]:
    """The rows the statistic uses: all, or a seeded subsample when pairs exceed max_pairs."""
    max_pairs = int(opts.get("max_pairs", DEFAULT_MAX_PAIRS))
    n = sample.n
    if n * (n - 1) // 2 <= max_pairs:
        return sample.prepared(null), None
    m = int((1 + np.sqrt(1 + 8 * max_pairs)) // 2)
    while m * (m - 1) // 2 > max_pairs:
        m -= 1
    idx = np.sort(np.random.default_rng([int(opts.get("subsample_seed", 0)), 11]).choice(
        n, m, replace=False))
    sub = sample.take(idx)
    if null == "gaussian":
        sub.require_composite()
    return sub.prepared(null), m


def _observe(sample: Sample, null: str, opts: dict) -> Observation:
    if null == "standard":
        sample.require_finite_squares("pairwise_distances")
    which = opts.get("statistic", "ad")
    if which not in _STATISTICS:
        raise ValueError(f"statistic must be one of {_STATISTICS}; got {which!r}")
    max_pairs = opts.get("max_pairs", DEFAULT_MAX_PAIRS)
    if int(max_pairs) < MC_MAX_N * (MC_MAX_N - 1) // 2:
        raise ValueError(f"max_pairs must be at least {MC_MAX_N * (MC_MAX_N - 1) // 2} "
                         f"(all pairs of {MC_MAX_N} rows); got {max_pairs}")
    bins = int(opts.get("bins", N_BINS))
    x, m = _prepared_rows(sample, null, opts)
    n, d = x.shape
    stat, edf, counts, grid = _statistic(x, null, which, bins)
    # location and spread of the distances against the null law, for the findings
    if null == "standard":
        q = np.sqrt(stats.chi2.ppf([0.05, 0.25, 0.5, 0.75, 0.95], d))
    else:
        q = np.sqrt(n * stats.beta.ppf([0.05, 0.25, 0.5, 0.75, 0.95], d / 2.0, (n - d - 1) / 2.0))
    sq = [_quantile_from_counts(counts, grid, p) for p in (0.25, 0.5, 0.75)]
    cum = np.cumsum(counts)
    n_pairs = int(cum[-1])
    # fraction of pairs below the null 5% quantile / above the 95% quantile, vs 5%
    below = float(np.interp(q[0], grid.edges, cum[:-1] / n_pairs)) / 0.05
    above = (1.0 - float(np.interp(q[4], grid.edges, cum[:-1] / n_pairs))) / 0.05
    details = {
        "statistic_name": {"ad": "n x Anderson-Darling integral over all pairs",
                           "ks": "sqrt(n) x Kolmogorov-Smirnov distance over all pairs",
                           "cvm": "n x Cramer-von Mises integral over all pairs"}[which],
        "ks_distance": edf["ks"], "anderson_darling": n * edf["ad"],
        "cramer_von_mises": n * edf["cvm"],
        "n_pairs": n_pairs, "rows_used": n, "subsampled": m is not None,
        "bins": bins, "discretisation_bound": grid.max_gap + _TAIL,
        "median_distance_ratio": float(sq[1] / q[2]),
        "distance_spread_ratio": float((sq[2] - sq[0]) / (q[3] - q[1])),
        "close_pairs_ratio": below, "far_pairs_ratio": above,
        "distance_modes": _count_modes(counts, grid),
    }
    if m is not None:
        details["subsample_seed"] = int(opts.get("subsample_seed", 0))
    return Observation(statistic=stat, effect=edf["ks"], details=details)


def _finding(r: TestResult) -> str:
    dt = r.details
    med, spread = dt["median_distance_ratio"], dt["distance_spread_ratio"]
    parts = []
    if dt.get("distance_modes", 1) >= 2:
        parts.append(f"pairwise distances have {dt['distance_modes']} modes: the points form "
                     "clusters (short within-cluster and long between-cluster distances)")
    if med < 0.95:
        parts.append(f"pairwise distances too small (median {med:.2f} x the null's): points "
                     "collapsed together or clustered")
    elif med > 1.05:
        parts.append(f"pairwise distances too large (median {med:.2f} x the null's): the sample "
                     "is too spread out")
    if spread < 0.85:
        parts.append(f"pairwise distances too uniform (spread {spread:.2f} x the null's): "
                     "points lie on a shell or a regular arrangement")
    elif spread > 1.15 and dt.get("distance_modes", 1) < 2:
        parts.append(f"pairwise distances too spread (spread {spread:.2f} x the null's): "
                     "clusters or heavy tails")
    if dt["close_pairs_ratio"] > 1.5 and not parts:
        parts.append(f"{dt['close_pairs_ratio']:.1f} x too many very close pairs: local "
                     "clustering or duplicated points")
    if not parts:
        parts.append(f"pairwise distances do not follow their null law (KS distance "
                     f"{r.effect:.3f})")
    return "; ".join(parts)


PAIRWISE_DISTANCES = register(TestSpec(
    code="pairwise_distances", family="radial", title="Pairwise distances CDF",
    nulls=("standard", "gaussian"), kernel=_kernel, observe=_observe,
    effect_name="KS distance between the EDF of all pairwise half squared distances and "
                "their null CDF",
    mc_max_n=MC_MAX_N, default_resamples=1999, quadratic=True, finding=_finding,
    min_n=lambda d, null: 4 if null == "standard" else d + 3,
))


def pairwise_distances(
    z: Any, *, null: str = "standard", statistic: str = "ad",
    max_pairs: int = DEFAULT_MAX_PAIRS, method: Any = "auto", nan_policy: str = "raise",
    rng: Any = None,
) -> TestResult:
    r"""CDF test of all pairwise half squared distances against their null law.

    H0 (``null="standard"``): z ~ N(0, I_d); then every D_ij = ||z_i - z_j||^2 / 2 is
    chi2(d), since (z_i - z_j)/sqrt(2) ~ N(0, I_d).
    H0 (``null="gaussian"``): z ~ N(mu, Sigma); the statistic uses the scaled residuals
    y_i = S^{-1/2}(z_i - mean) (S the MLE covariance), for which
    ||y_i - y_j||^2 / (2n) ~ Beta(d/2, (n - d - 1)/2) exactly.

    Parameters
    ----------
    z : array_like, shape (n, d)
    null : {"standard", "gaussian"}
    statistic : {"ad", "ks", "cvm"}
        Discrepancy between the EDF G of the n(n-1)/2 distances and the null CDF F,
        on the PIT scale t = F(s): Anderson-Darling n int (G - t)^2 / (t(1-t)) dt
        (default: it weighs the tails, where collapse (too many tiny distances) and
        spread show first), Kolmogorov-Smirnov sqrt(n) sup |G - t|, or Cramer-von Mises
        n int (G - t)^2 dt.
    max_pairs : int
        All pairs are used while n(n-1)/2 <= max_pairs (default 5e7, i.e. n <= 10,000);
        beyond, the statistic uses a seeded subsample of m rows with m(m-1)/2 <= max_pairs
        (``details["subsampled"]``).
    method : "auto", "asymptotic", "monte_carlo" or a PValueMethod
        Monte Carlo only (the null law is not a standard one): B = 1999 N(0, I) samples
        (whitened too under the composite null) at min(n, 500) rows (beyond d = 400 at
        least 1.25 d).
    nan_policy : {"raise", "omit"}
    rng : None, int or Generator
        Seed of the Monte Carlo stream.

    Returns
    -------
    TestResult
        ``statistic``: the n-scaled discrepancy above; ``effect``: the KS distance
        sup |G - F| between the distances' EDF and their null CDF (n-free);
        ``details``: all three discrepancies, ``median_distance_ratio`` and
        ``distance_spread_ratio`` (median and interquartile range of ||z_i - z_j||
        relative to the null's: below 1 = collapsed / on a shell), ``close_pairs_ratio``
        and ``far_pairs_ratio`` (share of pairs below the null's 5% quantile / above its
        95% quantile, divided by 5%), ``distance_modes`` (2 or more: clusters),
        ``discretisation_bound`` and ``n_pairs``.

    Notes
    -----
    The n(n-1)/2 distances are computed by the blocked pairwise engine and never
    stored: s_ij = ||z_i - z_j|| / sqrt(2) is counted into 8192 equal-width bins between
    the null law's 1e-12 and 1 - 1e-12 quantiles (plus under- and overflow), so the
    EDF G is exact at the bin edges e_k. KS is the maximum of |G - F| over the edges; CvM
    and AD integrate over t by the trapezoid rule on the edges' t_k = F(e_k). The
    discrepancy from the continuous statistics is at most the largest t-gap between
    edges (``details["discretisation_bound"]``, about 5e-4); it is part of the
    statistic's definition and the same on observed and simulated samples, so it costs
    no validity.

    The distances share rows, so they are dependent: the U-process G - F fluctuates at
    rate n^{-1/2}, not (n(n-1)/2)^{-1/2}. Treating the pairs as independent (scipy's KS
    law with n(n-1)/2 observations) has size near 0.80 at n = 50, d = 2. gausstest scales
    the discrepancy by n (sqrt(n) for KS), which has an n-free limit law (a functional
    of the Hajek projection of the U-process), and calibrates it by Monte Carlo at
    min(n, 500) rows (beyond d = 400 at least 1.25 d); the size checks at n = 1000 and
    2000 (beyond the simulated n) confirm the law is n-stable. Under the composite null
    the Monte Carlo is exact for every mu, Sigma because the distances of scaled
    residuals are affine invariant.
    Validated by simulation (size within the binomial band): fast, n = 50, d = 2 and
    n = 1200, d = 3; slow, R = 2000 at (50, 2), (200, 5), (1000, 20).

    The idea of matching the distribution of pairwise distances of latent codes to that
    of the prior motivates this test (as in Gaussian-autoencoder training objectives
    that fit the CDF of pairwise distances); here it is a calibrated test.

    References
    ----------
    Anderson, T. W. & Darling, D. A. (1954). A test of goodness of fit.
    JASA 49(268), 765-769. doi:10.1080/01621459.1954.10501232
    Hoeffding, W. (1948). A class of statistics with asymptotically normal distribution.
    Ann. Math. Statist. 19(3), 293-325. doi:10.1214/aoms/1177730196
    Gnanadesikan, R. & Kettenring, J. R. (1972). Robust estimates, residuals, and
    outlier detection with multiresponse data. Biometrics 28(1), 81-124.
    doi:10.2307/2528963

    Examples
    --------
    >>> import numpy as np
    >>> from gausstest import MonteCarlo
    >>> from gausstest.pairdist import pairwise_distances
    >>> rng = np.random.default_rng(0)
    >>> z = rng.standard_normal((300, 4))
    >>> clusters = z + 3.0 * rng.choice([-1.0, 1.0], size=(300, 1))
    >>> r_ok = pairwise_distances(z, method=MonteCarlo(199))
    >>> r_bad = pairwise_distances(clusters, method=MonteCarlo(199))
    >>> r_ok.pvalue > 0.05, r_bad.pvalue < 0.01, r_bad.details["distance_modes"]
    (True, True, 2)

    The Gaussian sample passes; two clusters give a bimodal distance histogram (short
    within-cluster, long between-cluster distances) and are rejected.
    """
    return run_test("pairwise_distances", z, null=null, method=method, nan_policy=nan_policy,
                    rng=rng, options={"statistic": statistic, "max_pairs": int(max_pairs)})
