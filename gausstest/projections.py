"""Random-projection tests: 1-D normality of u'z on many fixed directions u.

Under z ~ N(0, I_d), u'z ~ N(0, 1) for every unit vector u; by the Cramer-Wold
theorem a law whose every projection is N(0, 1) is N(0, I_d), and Cuesta-Albertos,
Fraiman & Ransford (2007) show that a few random directions already determine it.
The per-direction statistics are dependent and their maximum has no standard law,
so p-values come from Monte Carlo with the *same* directions.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from .chunks import for_each, project, projected_chunks, sub_chunks
from .normal_edf import sorted_edf
from .pairdist import count_modes
from .pvalues import stream_seed
from .registry import Observation, TestSpec, register, run_test
from .results import TestResult
from .sample import Sample


__all__ = ["projections", "projection_directions", "default_n_directions"]

_STATISTICS = ("ad", "ks")
_REDUCE = ("max", "mean")
#: Monte Carlo simulates at min(n, MC_MAX_N), at least 1.25 d (TestSpec.sim_cap):
#: A^2 and sqrt(n) D per direction, and so their max / mean over a fixed set of
#: directions, have n-free limit laws
MC_MAX_N = 400
#: rows the observed statistic uses at most: beyond, a seeded subsample of this many rows
#: (1,280 sorted projections of 10^6 rows cost about 35 CPU s per null; at 200,000 rows
#: the test still resolves A^2 excesses of 1e-4 per direction). The null law is n-stable
#: and simulated at MC_MAX_N rows, so the p-value is unchanged in kind.
MAX_ROWS = 200_000
#: floats of projected values per simulated chunk (bounds memory)
_CHUNK_FLOATS = 2_000_000

def default_n_directions(d: int) -> int:
    """Random directions by default: max(50, 4d), capped at 500 (the d axes come on top)."""
    return int(min(500, max(50, 4 * d)))


@lru_cache(maxsize=32)
def _directions_cached(d: int, k: int, seed: int, axes: bool) -> np.ndarray:
    g = np.random.default_rng([seed, d, k]).standard_normal((d, k))
    g /= np.linalg.norm(g, axis=0, keepdims=True)
    u = np.concatenate([np.eye(d), g], axis=1) if axes else g
    u.setflags(write=False)
    return u


def projection_directions(d: int, n_directions: int | None = None, *, seed: int = 0,
                          axes: bool = True) -> np.ndarray:
    """The (d, K) matrix of unit directions: the d coordinate axes (if ``axes``), then
    ``n_directions`` uniform random directions drawn from ``seed`` (independent of data)."""
    k = default_n_directions(d) if n_directions is None else int(n_directions)
    if k < 0 or (k == 0 and not axes):
        raise ValueError(f"n_directions must be positive; got {n_directions}")
    return _directions_cached(int(d), k, int(seed), bool(axes))


def _edf_sorted(p: np.ndarray, which: str = "both") -> tuple[np.ndarray | None, np.ndarray | None]:
    """A^2 and sqrt(n) D of sorted values p (last axis) against N(0, 1).

    ``which`` = "ad" or "ks" computes only that one (the other is None).
    """
    ad, dist = sorted_edf(p, ks=which != "ad")
    ks = None if dist is None else np.sqrt(p.shape[-1]) * dist
    return (None if which == "ks" else ad), ks


def _per_direction(x: np.ndarray, u: np.ndarray, which: str = "both"):
    """A^2 and sqrt(n) D per direction for x (..., n, d): arrays (..., K)."""
    p = np.swapaxes(x @ u, -1, -2)  # (..., K, n)
    p = np.sort(p, axis=-1)
    return _edf_sorted(p, which)


def _reduce(per: np.ndarray, reduce: str) -> np.ndarray:
    return per.max(axis=-1) if reduce == "max" else per.mean(axis=-1)


def _options(opts: dict, d: int) -> tuple[str, str, np.ndarray]:
    which = opts.get("statistic", "ad")
    if which not in _STATISTICS:
        raise ValueError(f"statistic must be one of {_STATISTICS}; got {which!r}")
    reduce = opts.get("reduce", "max")
    if reduce not in _REDUCE:
        raise ValueError(f"reduce must be one of {_REDUCE}; got {reduce!r}")
    u = projection_directions(d, opts.get("n_directions"), seed=int(opts.get("direction_seed", 0)),
                              axes=bool(opts.get("axes", True)))
    return which, reduce, u


def _kernel(x: np.ndarray, *, null: str, statistic: str = "ad", reduce: str = "max",
            n_directions: int | None = None, direction_seed: int = 0,
            axes: bool = True) -> np.ndarray:
    opts = {"statistic": statistic, "reduce": reduce, "n_directions": n_directions,
            "direction_seed": direction_seed, "axes": axes}
    which, red, u = _options(opts, x.shape[-1])
    b, n = x.shape[0], x.shape[-2]
    per = max(1, _CHUNK_FLOATS // max(1, n * u.shape[1]))
    out = np.empty(b)
    for s in range(0, b, per):
        ad, ks = _per_direction(x[s:s + per], u, which)
        out[s:s + per] = _reduce(ad if which == "ad" else ks, red)
    return out


def _simulate(n, d, null, b, rng, opts):
    """Draw in small chunks so memory stays O(chunk * n * K)."""
    from .sample import whiten_batch
    k = projection_directions(d, opts.get("n_directions"), seed=int(opts.get("direction_seed", 0)),
                              axes=bool(opts.get("axes", True))).shape[1]
    per = max(1, min(b, _CHUNK_FLOATS // max(1, n * max(k, d))))
    out = np.empty(b)
    for s in range(0, b, per):
        m = min(per, b - s)
        x = rng.standard_normal((m, n, d))
        if null == "gaussian":
            x = whiten_batch(x)
        out[s:s + m] = _kernel(x, null=null, **opts)
    return out


def _shape_along(v: np.ndarray) -> dict[str, float]:
    from .diagnosis import bimodality

    m, sd = float(v.mean()), float(v.std())
    c = (v - m) / sd if sd > 0 else v - m
    g1 = float((c ** 3).mean())
    g2 = float((c ** 4).mean() - 3.0)
    # sample bimodality coefficient (SAS): > 5/9 (the uniform's) suggests bimodality,
    # beyond its standard error
    bc, se = bimodality(v) if v.size > 3 else (float("nan"), float("nan"))
    return {"mean": m, "sd": sd, "skewness": g1, "excess_kurtosis": g2,
            "bimodality_coefficient": float(bc), "bimodality_coefficient_se": float(se)}


#: a second mode is named when its dip beats counting noise by this many sd (see
#: :func:`gausstest.pairdist.count_modes`): flat projections are not bimodal
_MODE_Z = 4.0


def _modes_1d(v: np.ndarray) -> int:
    """Clear modes of the projected values (histogram of 30 bins between the 1% and 99%
    quantiles, smoothed, dips beyond counting noise; see
    :func:`gausstest.pairdist.count_modes`); 1 below n = 100."""
    if v.size < 100:
        return 1
    lo, hi = np.quantile(v, [0.01, 0.99])
    if not (np.isfinite(hi - lo) and hi - lo > 1e-9 * max(abs(lo), abs(hi))):
        return 1
    hist, _ = np.histogram(v, bins=30, range=(lo, hi))
    return count_modes(hist.astype(float), z=_MODE_Z)


def _describe(u: np.ndarray) -> str:
    top = np.argsort(-np.abs(u))[:3]
    return " ".join(f"{u[j]:+.2f}*z[{j}]" for j in top if abs(u[j]) >= 0.05)


def row_subsample(n: int, rows: int) -> np.ndarray:
    """Sorted indices of a seeded subsample of ``rows`` of ``n`` rows (fixed by n)."""
    return np.sort(np.random.default_rng([20261202, n]).choice(n, rows, replace=False))


def _observe(sample: Sample, null: str, opts: dict) -> Observation:
    n_all, d = sample.n, sample.d
    which, reduce, u = _options(opts, d)
    if n_all > MAX_ROWS:
        sample = sample.take(row_subsample(n_all, MAX_ROWS))
    n = sample.n
    # the projections a chunk of directions at a time (one pass over the rows each), their
    # EDF statistics on smaller sub-chunks: memory O(n * chunk), never n x K copies
    ad, ks = np.empty(u.shape[1]), np.empty(u.shape[1])
    for k0, p in projected_chunks(sample, null, u):
        def edf(sl, p=p, k0=k0):
            a, k = _edf_sorted(np.sort(np.swapaxes(p[:, sl], -1, -2), axis=-1), "both")
            ad[k0 + sl.start:k0 + sl.stop], ks[k0 + sl.start:k0 + sl.stop] = a, k

        for_each(sub_chunks(p.shape[1], n), edf)
        del p, edf
    per = ad if which == "ad" else ks
    stat = float(_reduce(per, reduce))
    worst = int(np.argmax(per))
    v = project(sample, null, u[:, worst])
    dist = ks / np.sqrt(n)
    top = np.argsort(-np.abs(u[:, worst]))[:5]
    details = {
        "statistic_name": {("ad", "max"): "max over directions of Anderson-Darling A^2",
                           ("ad", "mean"): "mean over directions of Anderson-Darling A^2",
                           ("ks", "max"): "max over directions of sqrt(n) KS distance",
                           ("ks", "mean"): "mean over directions of sqrt(n) KS distance"}
                          [(which, reduce)],
        "n_directions": int(u.shape[1]), "axes_included": bool(opts.get("axes", True)),
        "direction_seed": int(opts.get("direction_seed", 0)),
        "max_ks_distance": float(dist.max()), "mean_ks_distance": float(dist.mean()),
        "max_anderson_darling": float(ad.max()), "mean_anderson_darling": float(ad.mean()),
        "worst_direction_index": worst,
        "worst_direction_is_axis": bool(opts.get("axes", True)) and worst < d,
        "worst_direction": u[:, worst].tolist(),
        "worst_direction_loadings": {f"z[{j}]": float(u[j, worst]) for j in top
                                     if abs(u[j, worst]) >= 1e-12},
        "worst_direction_text": _describe(u[:, worst]),
        "worst_statistic": float(per[worst]), "worst_ks_distance": float(dist[worst]),
        "worst_along": _shape_along(v),
        "worst_along_modes": _modes_1d(v),
        "rows_used": int(n),
    }
    effect = float(dist.max() if reduce == "max" else dist.mean())
    return Observation(statistic=stat, effect=effect, details=details)


def _finding(r: TestResult) -> str:
    dt = r.details
    s = dt["worst_along"]
    where = (f"coordinate axis z[{dt['worst_direction_index']}]" if dt["worst_direction_is_axis"]
             else f"the worst direction ({dt['worst_direction_text']})")
    parts = []
    bc_excess = s["bimodality_coefficient"] - 5 / 9
    if dt.get("worst_along_modes", 1) >= 2 or (
            bc_excess > _MODE_Z * s.get("bimodality_coefficient_se", 0.0)
            and s["excess_kurtosis"] < -0.5):
        parts.append(f"bimodal along {where} (bimodality coefficient "
                     f"{s['bimodality_coefficient']:.2f}, excess kurtosis "
                     f"{s['excess_kurtosis']:.2f}): two clusters")
    elif s["excess_kurtosis"] > 1.0:
        parts.append(f"heavy tails along {where} (excess kurtosis {s['excess_kurtosis']:.2f})")
    elif s["excess_kurtosis"] < -0.8:
        parts.append(f"flat or bimodal along {where} (excess kurtosis "
                     f"{s['excess_kurtosis']:.2f}): light tails or two clusters")
    if abs(s["skewness"]) > 0.5:
        parts.append(f"skewed along {where} (skewness {s['skewness']:.2f})")
    if r.null == "standard":
        if abs(s["mean"]) > 0.1:
            parts.append(f"shifted along {where} (mean {s['mean']:+.2f}, prior 0)")
        if abs(s["sd"] - 1) > 0.1:
            parts.append(f"{'too wide' if s['sd'] > 1 else 'too narrow'} along {where} "
                         f"(sd {s['sd']:.2f}, prior 1)")
    if not parts:
        parts.append(f"the projection on {where} is not normal (KS distance "
                     f"{dt['worst_ks_distance']:.3f})")
    return "; ".join(parts)


PROJECTIONS = register(TestSpec(
    code="projections", family="projections", title="Random projections",
    nulls=("standard", "gaussian"), kernel=_kernel, observe=_observe,
    effect_name="KS distance between the worst (or mean) 1-D projection and N(0, 1)",
    simulate=_simulate, mc_max_n=MC_MAX_N, default_resamples=1999, finding=_finding,
    min_n=lambda d, null: 5 if null == "standard" else d + 3,
    # random directions act on whitened residuals: the statistic changes under z -> zA + b
    # (the residuals rotate), though its null law does not (see Notes)
    affine_invariant=False,
    # the directions follow the base seed (assess(rng=...), projections(rng=...)); seed 0
    # keeps the fixed default directions
    seed_options=lambda seed: {"direction_seed": stream_seed(seed, "projections:directions")},
))


def projections(
    z: Any, *, null: str = "standard", n_directions: int | None = None,
    statistic: str = "ad", reduce: str = "max", axes: bool = True, method: Any = "auto",
    nan_policy: str = "raise", rng: Any = None,
) -> TestResult:
    r"""Normality of 1-D projections u'z on the coordinate axes and many random directions.

    H0 (``null="standard"``): z ~ N(0, I_d), so u'z ~ N(0, 1) for every unit u (fully
    specified). H0 (``null="gaussian"``): z ~ N(mu, Sigma); the projections are taken
    of the scaled residuals y_i = S^{-1/2}(z_i - mean) (S the MLE covariance), each of
    which has sample mean 0 and variance 1 (a Lilliefors-type test).

    Parameters
    ----------
    z : array_like, shape (n, d)
    null : {"standard", "gaussian"}
    n_directions : int, optional
        Number of random directions; default max(50, 4d) capped at 500. The d
        coordinate axes are added on top when ``axes`` is True (latent failures are
        often axis-aligned, e.g. one collapsed or bimodal unit).
    statistic : {"ad", "ks"}
        Per-direction statistic against N(0, 1): Anderson-Darling A^2 (default; it
        weighs the tails) or sqrt(n) x the Kolmogorov-Smirnov distance.
    reduce : {"max", "mean"}
        Combine the per-direction statistics by their maximum (default: a departure
        confined to a few directions, e.g. two clusters along one axis, is diluted in
        the mean but dominates the max, and the max names the worst direction) or
        their mean (more power for diffuse departures spread over all directions).
    axes : bool
        Include the coordinate axes among the directions.
    method : "auto", "asymptotic", "monte_carlo" or a PValueMethod
        Monte Carlo only: B = 1999 N(0, I) samples (whitened under the composite
        null) at min(n, 400) rows (beyond d = 320 at least 1.25 d), projected on the
        same directions (B = 1999 as for the O(n^2) tests: each replicate costs n K
        sorted log-CDF values, and 4999 would make the first call at d = 64 take
        minutes).
    nan_policy : {"raise", "omit"}
    rng : None, int or Generator
        Seeds both the random directions and the Monte Carlo stream (each from its own
        derived stream); the directions never depend on the data.

    Returns
    -------
    TestResult
        ``statistic``: the max (or mean) of the per-direction statistic; ``effect``:
        the worst (or mean) 1-D KS distance between a projection's EDF and N(0, 1)
        (n-free; the max over K directions is biased upward by about
        sqrt(log K / n) at finite n); ``details``: ``worst_direction`` (unit vector),
        ``worst_direction_loadings`` (largest coordinates), ``worst_statistic``,
        ``worst_along`` (mean, sd, skewness, excess kurtosis, bimodality coefficient of
        u'z along it and its standard error: BC above 5/9 by more than 4 standard errors
        with negative excess kurtosis, or two modes whose dip beats counting noise,
        suggests two clusters; a flat law sits at 5/9), ``worst_along_modes``, the
        max and mean KS distances and A^2, ``n_directions`` and ``direction_seed``.

    Notes
    -----
    For each direction u_k, A^2_k is the Anderson-Darling statistic (Anderson &
    Darling 1954) of the values u_k'z_i (or u_k'y_i) against the N(0, 1) CDF, computed
    with log Phi and log(1 - Phi) from one ``ndtr`` per value on its smaller tail
    (:mod:`gausstest.normal_edf`: exact in both tails, on observed and simulated samples
    alike). The statistic is max_k A^2_k (or the mean). The A^2_k
    are dependent (projections on nearby directions are correlated), and their max has
    no standard law; the p-value is Monte Carlo with the same directions:
    (1 + #{T* >= T}) / (B + 1). Under the composite null the directions act on
    whitened residuals, whose joint law is the same for every mu, Sigma (the scaled
    residual matrix is Haar-distributed on its Stiefel manifold whatever Sigma), so
    the Monte Carlo is exact even though the statistic is not itself affine invariant.
    Each A^2_k has an n-free limit law, and so does their max over a fixed set of
    directions; the null is simulated at min(n, 400) rows, beyond d = 320 at the
    grid row (500, 700, 1000, ...) at or above 1.25 d: near n = d the law moves with n
    (at d = 380 the law at 400 rows was not that at 1500).
    Validated by simulation (size within the binomial band): fast, n = 50, d = 2 and
    n = 1500, d = 3; slow, R = 2000 at (50, 2), (200, 5), (1000, 20).

    References
    ----------
    Cuesta-Albertos, J. A., Fraiman, R. & Ransford, T. (2007). A sharp form of the
    Cramer-Wold theorem. J. Theoret. Probab. 20, 201-209. doi:10.1007/s10959-007-0060-7
    Cuesta-Albertos, J. A., del Barrio, E., Fraiman, R. & Matran, C. (2007). The random
    projection method in goodness of fit for functional data. Comput. Statist. Data
    Anal. 51(10), 4814-4831. doi:10.1016/j.csda.2006.09.007
    Anderson, T. W. & Darling, D. A. (1954). A test of goodness of fit.
    JASA 49(268), 765-769. doi:10.1080/01621459.1954.10501232

    Examples
    --------
    >>> import numpy as np
    >>> from gausstest import MonteCarlo
    >>> from gausstest.projections import projections
    >>> rng = np.random.default_rng(0)
    >>> z = rng.standard_normal((400, 5))
    >>> z[:, 2] += 1.5 * rng.choice([-1.0, 1.0], size=400)  # two clusters along z[2]
    >>> r = projections(z, null="gaussian", method=MonteCarlo(199))
    >>> r.pvalue < 0.01, r.details["worst_direction_index"]
    (True, 2)

    The worst of the 55 directions is the coordinate axis z[2], along which the sample
    is bimodal: two clusters the whitened data cannot hide.
    """
    options = {"statistic": statistic, "reduce": reduce, "n_directions": n_directions,
               "axes": bool(axes)}
    return run_test("projections", z, null=null, method=method, nan_policy=nan_policy,
                    rng=rng, options=options)
