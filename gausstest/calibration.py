"""Shipped null calibration: simulated null quantiles of the default battery over an (n, d) grid.

The default battery's Monte Carlo nulls are simulated once, off the user's machine, by
the committed, seeded and resumable script ``tests/calibration/make_tables.py``, with
the same kernels and the same rule for the rows simulated (``min(n, cap)``) that
:class:`~gausstest.pvalues.MonteCarlo` uses. Each grid cell keeps the mean and
standard deviation of the simulated statistics and the standardized quantiles
``(q - mean) / sd`` at fixed survival levels (:data:`LEVELS`); the table ships inside
the package (``gausstest/data/calibration.npz``) and is loaded lazily.

At (n, d) between grid points the null law is interpolated from the four surrounding
cells, bilinearly in (log n, log d): the standardized quantile curves linearly, the
standard deviation (and the mean, where the cells' means share a sign) geometrically,
which is exact for statistics whose scale is a power of n and d; where a statistic's
null mean and sd are known functions of (n, d) far from a power law (Mardia's skewness,
the energy statistic, Henze-Zirkler, whose scale is exponential in d) the cells are
divided by them first. Henze-Zirkler beyond d = 20, whose law is skewed and
heavy-tailed there, is put on one scale by its exact null mean and a known scale, and
its central 80% spread is interpolated instead of its sd (:data:`_LOCATION_SCALE`). It is
interpolated in d up to d = 32, and up to d = 256 between tabled d at most 30% apart
(20% beyond d = 128, 15% beyond 200; its rows hold the extra d 40, 56, 80, 100, 144,
160, 200 and 224, :data:`EXTRA_D`); between grid n beyond d = 20 only where the lower
grid n is at least 1.2 d (under the composite null beyond d = 200 only at d = 256, whose
rows add n = 350, 450, 600 and 850, :data:`EXTRA_N`), and in d under the composite null
where n >= 2d. Beyond d = 256 its cells are put in units of its constant term
n (1 + 2 beta^2)^{-d/2} instead (:func:`hz_high_d_terms`, :data:`_HIGH_D`), and
interpolated between tabled d (256, 300 at its 1000-row cap, 384, 512) at most 1.5 apart
and between rows at most 25% apart, the lower at least 1.2 d (under the composite null
below n = 2d at the same n / d).
Beyond the last tabled d (512) a law is read in that column by a rule its cells
support (:data:`_BEYOND`: as it is, on its reference scale, with its spread at the same
n / d, or through the number of parts of a maximum); Henze-Zirkler is not.
The p-value is the interpolated survival function at the observed statistic:
log-linear between levels, and beyond the last level the table resolves (about 3/B) an
exponential tail fitted to its last decade, floored at :data:`P_FLOOR`; at a grid cell,
a statistic that is one of the cell's atoms (coverage) gets P(T >= t) counted in the
cell's draws (:func:`table_survival`). The off-grid
size and the agreement with fresh Monte Carlo are checked in ``tests/size/`` and
``tests/test_calibration.py``.

:class:`Shipped` is the p-value method; :class:`~gausstest.pvalues.Auto` uses it
wherever the table covers (test, null, options, n, d), and falls back to on-demand
Monte Carlo (cached) elsewhere.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Any, Mapping

import numpy as np

from .pvalues import PValueMethod
from .results import PValueInfo

__all__ = [
    "LEVELS", "P_FLOOR", "TABLE_FILE", "N_GRID", "D_GRID", "Shipped", "table_for",
    "key_rows", "sim_rows", "canonical_options", "summarize", "cell_seed",
]

#: survival levels S at which each cell stores its standardized quantile (descending):
#: the body every 0.01, the upper tail on a log scale down to 1e-5
LEVELS = np.unique(np.concatenate([
    [0.9999, 0.999, 0.995], np.arange(0.99, 0.5, -0.01), np.geomspace(0.5, 1e-5, 71),
]))[::-1].copy()
#: indices of the survival levels 0.9 and (nearest) 0.1: the central 80% spread
_SPREAD_LEVELS = (int(np.argmin(np.abs(LEVELS - 0.9))), int(np.argmin(np.abs(LEVELS - 0.1))))
#: smallest p-value a shipped table reports (its tail beyond ~3/B is extrapolated)
P_FLOOR = 1e-6
#: packaged table (under gausstest/data)
TABLE_FILE = "calibration.npz"
#: the grids: n (rows used by the statistic) and d
N_GRID: tuple[int, ...] = (10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 400, 500, 700, 1000,
                           2000, 5000, 20000)
D_GRID: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64, 96, 128, 192,
                           256, 384, 512)
#: tests whose null law depends on n beyond the rows simulated (a tuning parameter that
#: grows with n): their table is keyed by n itself, up to the largest grid n
_KEYED_BY_N = {"henze_zirkler"}
#: largest d at which a test's law is interpolated between any two grid values of d.
#: Henze-Zirkler's T - 1 moves like exp(-c d), c depending on beta: at 12 points with
#: 21 <= d <= 30 the table's p-values differ from the empirical law of 6000 fresh draws
#: by 0.002-0.010 on average (0.001-0.011 at d <= 20), sizes in band. Beyond, see
#: :data:`_D_INTERPOLATION_MAX_GAP`.
_D_INTERPOLATED_UP_TO = {"henze_zirkler": 32}
_COVERAGE_EXTRA_D = tuple(sorted(
    set(range(1, 65)).union({72, 80, 100, 112, 144, 160, 200, 224, 300, 320, 400, 448})
    - set(D_GRID)))
#: extra grid values of d for one test, simulated only at some rows n: {n: extra d}.
#: Henze-Zirkler's law moves too fast in d to interpolate far (below), so its rows get
#: 40, 56, 80, 144, 160 and 224 and the common latent sizes 100 and 200; its 1000-row cap,
#: the key every larger sample uses beyond d = 20 (it runs on at most 1000 rows), also
#: gets 112 and 300. Mardia's skewness and the energy statistic under the composite null
#: are not interpolated from cells near n = d (:data:`_NEAR_D_LIMIT`), so between d = 96
#: and 128 at 150-200 rows they would be Monte Carlo; the common latent sizes 100 and 200
#: get cells there (and at 300-400 rows between d = 192 and 256)
EXTRA_D: dict[str, dict[int, tuple[int, ...]]] = {
    "henze_zirkler": {
        **{n: (40, 56, 80, 100, 144, 160, 200, 224) for n in N_GRID if n < 1000},
        1000: (40, 56, 80, 100, 112, 144, 160, 200, 224, 300),
        # the extra rows of d = 200, 224 and 256 (EXTRA_N) hold 200 and 224 too
        600: (200, 224), 850: (200, 224),
    },
    "mardia_skewness": {150: (100,), 200: (100,), 300: (200,), 400: (200,)},
    "energy": {150: (100,), 200: (100,), 300: (200,), 400: (200,)},
    # coverage is a count, its law has atoms of 3-11% mass at every d, and it is conditional
    # on a reference sample of each d: between two tabled d its p-value was up to 0.05 off
    # a fresh Monte Carlo one at the same sample ((250, 9), (600, 11)). Every d up to 64
    # and the common wider latent sizes get cells at the rows the statistic uses
    "coverage": {n: _COVERAGE_EXTRA_D for n in (100, 150, 200, 300, 400, 500, 700, 1000)},
}
#: extra grid values of n for one test, simulated only at some d: {d: extra n}. Beyond
#: d = 200 Henze-Zirkler's composite law moves too fast in n to interpolate between the
#: grid rows 40% apart (:data:`_N_INTERPOLATION_MAX_GAP`); at d = 256 its rows are 11-21%
#: apart, and it is interpolated between them; at 384 and 512 too, in the coordinates of
#: :data:`_HIGH_D`
EXTRA_N: dict[str, dict[int, tuple[int, ...]]] = {
    "henze_zirkler": {200: (600, 850), 224: (600, 850), 256: (350, 450, 600, 850),
                      384: (450, 600, 850), 512: (600, 850)},
}
#: beyond :data:`_D_INTERPOLATED_UP_TO`: ((up to d, largest ratio of the two tabled d
#: around d), ...), the tabled d being the grid and the extra d both rows hold; beyond the
#: last d, see :data:`_HIGH_D`. Checked by ``validate.py interp`` against 4000 fresh draws (2000
#: at n = 1000) under both nulls, every size in band: between d 1.14-1.28 apart up to
#: d = 128, at (100, 36), (120, 44), (150, 36), (180, 36), (200, 70), (250, 60), (450, 60),
#: (600, 72), (800, 76), (700, 90), (500, 110), (1000, 120) (p-values 0.002-0.014 off on
#: average), and 1.2 apart from 160 to 192 at (400, 175), (600, 175), (1000, 175). Between
#: 128 and 160 (1.25 apart) the composite null failed at n < 1000 (0.062 / 0.007 at (500,
#: 150), 0.048 / 0.003 at (600, 150)): hence the extra d = 144, and between 128, 144 and
#: 160 every size was in band at (300, 136), (400, 150), (500, 150), (600, 150), (700,
#: 152), (1000, 140) under both nulls and (150, 140), (250, 150) under the standard one
#: (the standard null at (400, 150) was 0.0612 with one seed, 0.0522 with another; five
#: more standard points with that seed in band). Between 128 and 192 the p-values were
#: 0.02-0.06 off. Beyond 200 the standard null failed 1.28 apart (size 0.080 at (500,
#: 230) between 200 and 256, 0.148 at (1000, 340) between 300 and 384); with the extra d =
#: 224 (200, 224, 256: 12% and 14% apart) every size was in band: the composite null at
#: (500, 210), (500, 230), (700, 212), (1000, 240), 0.0455-0.0575, the standard one at
#: (200, 230), (300, 210), (400, 240), (500, 230), (600, 250), (700, 212), (1000, 240) on
#: the liberal side (0.0495-0.0595 at 0.05, mean 0.055; 0.009-0.014 at 0.01). Beyond 256,
#: tabled d only: with trial cells at d = 336, 432 and 480 on the 1000-row cap (11-14%
#: apart) the standard null's size was 0.083 at (1000, 360), 0.099 at (1000, 410) and
#: 0.101 at (1000, 455) (1500 draws; 0.052 at (1000, 280) between 256 and 300). Beyond
#: 256 the cells are now interpolated in other coordinates, :data:`_HIGH_D`.
_D_INTERPOLATION_MAX_GAP = {"henze_zirkler": ((128, 1.3), (200, 1.2), (256, 1.15))}
#: under the composite null, interpolation in d beyond d = 20 also needs n >= ratio * d:
#: whitening n rows in d dimensions shapes the law fast near n = d; checked down to n =
#: 2.27 d ((50, 22), (60, 24), (75, 28), (120, 44), (100, 36), (200, 70))
_D_INTERPOLATION_MIN_RATIO = {("henze_zirkler", "gaussian"): 2.0}
#: (test, null) interpolated between grid values of n, beyond d = 20, only where the lower
#: of the two grid n is at least ratio * d. Near n = d Henze-Zirkler's law is narrow and
#: moves fast with n (at d = 384 its excess is 2.5e-58 with an sd 360 times smaller at n =
#: 500 and 50 times larger at n = 700). Put on one scale by its exact mean and a known
#: scale (:data:`_LOCATION_SCALE`) it interpolates between grid n down to n = 1.25 d
#: (``validate.py interp``, 4000 fresh draws, both nulls, sizes in band at (60, 40), (85,
#: 56), (110, 64), (170, 128), (250, 128), (350, 192), (450, 256), (550, 192), (650, 192),
#: (650, 200), (900, 192), (450, 100), (600, 96), (600, 128), (850, 128), ...); with a
#: lower row at n = 1.04 d it did not: composite size 0.031 at (250, 192) from n = 200,
#: standard 0.040 at (450, 384) from 400. (Divided by the simulated mean and sd, as before
#: this rule, the standard null's size was 0.021 at (650, 192), 0.025 at (900, 192) and
#: 0.036 at (600, 96): the sd of this heavy-tailed law is set by a few close pairs.)
_N_INTERPOLATION_MIN_RATIO = {("henze_zirkler", "standard"): 1.2,
                              ("henze_zirkler", "gaussian"): 1.2}
#: (test, null) -> (d, ratio, largest d): beyond d, interpolated between grid values of n
#: only where the two rows are at most ratio apart, and not beyond the largest d.
#: Henze-Zirkler's composite law between the grid rows beyond d = 200 (40% apart): size
#: 0.039 at (600, 256), 0.031 at (450, 384), 0.0003 at (800, 512) (up to 200 the sizes
#: held; above). Between its extra rows at d = 256 (:data:`EXTRA_N`, 11-21% apart) it held
#: (``validate.py interp``, 4000 draws: 0.046-0.053 at (525, 256), (650, 256), (800, 256),
#: (900, 256)); at d = 384 and 512 it did not (0.034 at (775, 384), 0.0295 at (925, 512)
#: from cells at B = 10,000) until the cells there were put in units of the constant
#: term (:data:`_HIGH_D`).
_N_INTERPOLATION_MAX_GAP = {("henze_zirkler", "gaussian"): (200, 1.25, 256)}
#: options each shipped test is calibrated at; a call with other values falls back to
#: Monte Carlo. ``None`` as a value: any value is fine (the option does not change the
#: compared quantity).
_DEFAULTS: dict[str, dict[str, Any]] = {
    "mardia_skewness": {"correction": None},
    "mardia_kurtosis": {},
    "henze_zirkler": {},  # beta and default_beta are checked in canonical_options
    "energy": {},
    "radii": {"statistic": "ad"},
    "projections": {"statistic": "ad", "reduce": "max", "n_directions": None,
                    "direction_seed": 0, "axes": True},
    "coverage": {"k": 5, "n_reference": None, "max_n": 1000, "reference_seed": 0},
}
SHIPPED_TESTS = tuple(_DEFAULTS)


def cell_seed(code: str, null: str, n: int, d: int) -> int:
    """Seed of one grid cell's simulation (fixed, so the script reproduces the table)."""
    import zlib

    return int(np.random.SeedSequence([20261202, zlib.crc32(f"{code}:{null}".encode()), n, d])
               .generate_state(1)[0])


def sim_rows(spec: Any, n: int, d: int) -> int:
    """Rows a null at (n, d) is simulated at: ``min(n, cap)``, as Monte Carlo does."""
    return spec.sim_rows(n, d)


def key_rows(spec: Any, n: int, d: int) -> int:
    """The table's n coordinate for a sample of n rows: the rows simulated, except for
    tests whose law depends on n itself beyond them (Henze-Zirkler's beta)."""
    return n if spec.code in _KEYED_BY_N else sim_rows(spec, n, d)


def canonical_options(code: str, n: int, d: int) -> dict[str, Any]:
    """The options a grid cell is simulated with (what ``observe`` sets by default)."""
    if code == "henze_zirkler":
        from .charfun import hz_beta

        return {"beta": hz_beta(n, d), "default_beta": True}
    return {}


def _options_match(code: str, opts: Mapping[str, Any], n: int, d: int) -> bool:
    defaults = _DEFAULTS.get(code)
    if defaults is None:
        return False
    if code == "henze_zirkler":
        from .charfun import hz_beta

        beta = opts.get("beta")
        return bool(opts.get("default_beta")) and beta is not None and math.isclose(
            float(beta), hz_beta(n, d), rel_tol=1e-12) and set(opts) <= {"beta", "default_beta"}
    for key, value in opts.items():
        if key not in defaults:
            return False
        want = defaults[key]
        if want is not None and value != want:
            return False
    # the projections table is for its default number of directions (None, or that number
    # spelled out); n_directions = 2000 at (200, 8) had read it: size 0.19 at 0.05
    k = opts.get("n_directions") if code == "projections" else None
    if k is not None and int(k) != _projection_directions(d):
        return False
    return True


def summarize(stats: np.ndarray, two_sided: bool = False) -> tuple[float, float, np.ndarray]:
    """Mean, sd and standardized quantiles at :data:`LEVELS` of simulated statistics.

    Levels below 3/B (where fewer than three draws lie beyond) are NaN: the lookup
    extrapolates there.
    """
    t = np.abs(stats) if two_sided else np.asarray(stats, dtype=float)
    t = np.sort(t)
    b = t.size
    mean = float(t.mean())
    sd = float(t.std(ddof=1))
    if not sd > 0:
        sd = max(abs(mean), 1.0) * 1e-12
    q = np.quantile(t, 1.0 - LEVELS, method="linear")
    z = (q - mean) / sd
    z[LEVELS < 3.0 / b] = np.nan
    return mean, sd, z


def _skewness_reference(null: str):
    """Mean and sd of Mardia's n b1 / 6 in its limit law: chi2(f), f = d(d+1)(d+2)/6, under
    the composite null (k-corrected, so the mean is f at every n); chi2(f - d) +
    (d+4)/2 chi2(d) under the standard null (uncentred; see
    :func:`gausstest.moments._skew_standard_sf`)."""
    def ref(n: int, d: int) -> tuple[float, float]:
        f = d * (d + 1) * (d + 2) / 6.0
        if null == "gaussian":
            return f, math.sqrt(2.0 * f)
        a = (d + 4) / 2.0
        return f - d + a * d, math.sqrt(2.0 * (f - d) + 2.0 * a * a * d)
    return ref


def _energy_reference(n: int, d: int) -> tuple[float, float]:
    """E||Y - Y'|| = sqrt(2) E chi_d for Y, Y' ~ N(0, I_d): the null mean of n V is this
    times a constant to 4 digits from d = 2 to 256 (1.000 under the standard null, 0.375
    under the composite one, in the tables themselves); the sd is left as it is."""
    return math.sqrt(2.0) * math.sqrt(2.0) * math.exp(math.lgamma((d + 1) / 2.0)
                                                      - math.lgamma(d / 2.0)), 1.0


def _hz_reference(null: str):
    """Null mean and sd of Henze-Zirkler's T - 1 at beta = hz_beta(n, d), a = 1 + 2 beta^2,
    w = (1 + beta^2)(1 + 3 beta^2). Under the standard null they are exact at every n
    (from the U-statistic split of the pair sum, Hoeffding 1948):
    E = -a^{-d/2}, Var = 2 (n - 1)/n E h^2 + 4/n (w^{-d/2} - a^{-d}) with
    E h^2 = (1 + 4 beta^2)^{-d/2} - 2 w^{-d/2} + a^{-d}; under the composite null they are
    Henze & Zirkler's (1990) limits. Both fall like exp(-c d) with c depending on beta,
    which moves with n and d: dividing by them leaves ratios that are smooth in (n, d).
    (Beyond d ~ 30 the variance sits in pairs closer than any sample of n rows holds, and
    the simulated sd falls below it, smoothly: 0.8-1.0 of it at d = 48.)"""
    def ref(n: int, d: int) -> tuple[float, float]:
        from .charfun import hz_beta

        b2 = hz_beta(n, d) ** 2
        a = 1 + 2 * b2
        w = (1 + b2) * (1 + 3 * b2)
        if null == "standard":
            eh2 = (1 + 4 * b2) ** (-d / 2) - 2 * w ** (-d / 2) + a ** (-d)
            var = 2 * (n - 1) / n * eh2 + 4 / n * (w ** (-d / 2) - a ** (-d))
            return -(a ** (-d / 2)), math.sqrt(var)
        mean = -(a ** (-d / 2)) * (1 + d * b2 / a + d * (d + 2) * b2 * b2 / (2 * a * a))
        var = (2 * (1 + 4 * b2) ** (-d / 2)
               + 2 * a ** (-d) * (1 + 2 * d * b2 ** 2 / a ** 2
                                  + 3 * d * (d + 2) * b2 ** 4 / (4 * a ** 4))
               - 4 * w ** (-d / 2) * (1 + 3 * d * b2 ** 2 / (2 * w)
                                      + d * (d + 2) * b2 ** 4 / (2 * w ** 2)))
        return mean, math.sqrt(var)
    return ref


def hz_composite_moments(n: int, d: int) -> tuple[float, float]:
    """Exact null mean of Henze-Zirkler's T - 1 under the composite null, and the sd of its
    leverage term, at beta = hz_beta(n, d), for n > d + 1.

    With the MLE covariance the whitened rows have Gram matrix n P, P the projection on a
    uniformly random d-dimensional subspace of the n - 1 dimensional space orthogonal to
    the ones vector. A fixed unit vector of that space projects onto it with squared length
    B ~ Beta(d/2, (n - 1 - d)/2); so D_jk = 2n B and D_j = (n - 1) B in law, and with
    L(t) = E exp(-t B) = 1F1(d/2; (n - 1)/2; -t) (Kummer's function,
    :func:`scipy.special.hyp1f1`), b2 = beta^2:

    E(T - 1) = (n - 1) L(n b2) - 2n (1 + b2)^{-d/2} L((n - 1) b2 / (2(1 + b2)))
               + n (1 + 2 b2)^{-d/2}.

    Beyond d ~ 60 the leverage term -2 (1 + b2)^{-d/2} sum_j f(B_j), f(B) = e^{-s B}, carries
    the law; the B_j sum to d n / (n - 1), so its variance is about n times that of the
    part of f(B) not linear in B: n (Var f - Cov(f, B)^2 / Var B). That sd is a scale, not
    the law's (the pair term adds to it below d ~ 200): the tables divide by it."""
    from scipy.special import hyp1f1

    from .charfun import hz_beta

    def laplace_beta(a: float, b: float, t: float) -> float:  # E exp(-t B), B ~ Beta(a, b)
        return float(hyp1f1(a, a + b, -t))

    b2 = hz_beta(n, d) ** 2
    a, b = d / 2.0, (n - 1 - d) / 2.0
    s = (n - 1) * b2 / (2 * (1 + b2))
    l1 = laplace_beta(a, b, s)
    mean = ((n - 1) * laplace_beta(a, b, n * b2) - 2 * n * (1 + b2) ** (-d / 2) * l1
            + n * (1 + 2 * b2) ** (-d / 2))
    eb, vb = a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))
    cov = eb * laplace_beta(a + 1, b, s) - l1 * eb
    var = laplace_beta(a, b, 2 * s) - l1 * l1 - cov * cov / vb
    return mean, 2 * (1 + b2) ** (-d / 2) * math.sqrt(n * max(var, 0.0))


#: (test, null) -> (d above which it applies, (n, d) -> (location, scale)): the cells are
#: put on one scale before they are interpolated: their quantiles become (q - location) /
#: spread, spread = q(0.1) - q(0.9) the cell's central 80% range, interpolated linearly,
#: and the spread's ratio to the scale geometrically. Henze-Zirkler beyond d = 20: its law
#: is skewed and heavy-tailed there (a few close pairs), so its simulated sd is noisy, and
#: under the composite null Henze & Zirkler's limit moments are off by factors of 5-100
#: (sign included, near n = d); the exact means (:func:`hz_composite_moments`, and the
#: standard null's in :func:`_hz_reference`) with the leverage scale, or the standard
#: null's exact sd, follow it. Between grid n at (850, 128), (650, 200) and (900, 256)
#: under the composite null the p-values were 0.025-0.057 off the empirical law of 4000
#: fresh draws on average with the limit moments and the simulated sd, 0.002-0.008 with
#: these.
_LOCATION_SCALE = {("henze_zirkler", "gaussian"): (20, hz_composite_moments),
                   ("henze_zirkler", "standard"): (20, _hz_reference("standard"))}


def hz_high_d_terms(n: int, d: int) -> tuple[float, float, float]:
    """Henze-Zirkler's law at high d in closed-form terms, at beta = hz_beta(n, d), b2 =
    beta^2, a = 1 + 2 b2: ``(c0, log_m, scale)``.

    T - 1 = P - M + c0 with c0 = n a^{-d/2} (the constant term), P >= 0 the pair sum and
    M = 2 (1 + b2)^{-d/2} sum_j exp(-b2 D_j / (2(1 + b2))) the leverage term. Beyond d ~
    256 each summand of P and M is lognormal-like with a log-sd of several units, so
    their sums sit far below their means and are carried by the few largest terms; the
    law of T - 1 is then an O(c0) law in units of c0 (the standard null), and under the
    composite null, where whitening pins the radii near sqrt(d), c0 - (T - 1) = M - P > 0
    is a small positive fraction of c0 whose logarithm moves smoothly with (n, d).
    ``log_m`` = log(E M / c0) under the composite null, from D_j = (n - 1) B,
    B ~ Beta(d/2, (n - 1 - d)/2) (:func:`hz_composite_moments`):
    E M / c0 = 2 (a / (1 + b2))^{d/2} 1F1(d/2; (n - 1)/2; -s), s = (n - 1) b2 / (2(1 + b2));
    ``scale`` = s sd(B), the sd of the exponent -s B of each leverage summand."""
    from scipy.special import hyp1f1

    from .charfun import hz_beta

    b2 = hz_beta(n, d) ** 2
    a = 1 + 2 * b2
    c0 = n * a ** (-d / 2)
    if n <= d + 1:
        return c0, math.nan, math.nan
    s = (n - 1) * b2 / (2 * (1 + b2))
    ab, bb = d / 2.0, (n - 1 - d) / 2.0
    log_m = (math.log(2.0) + d / 2.0 * (math.log(a) - math.log1p(b2))
             + math.log(float(hyp1f1(ab, ab + bb, -s))))
    scale = s * math.sqrt(ab * bb / ((ab + bb) ** 2 * (ab + bb + 1)))
    return c0, log_m, scale


@dataclass(frozen=True)
class _Coordinates:
    """Where a test's quantiles are interpolated: y = to(q, n, d) (monotone, level by
    level), put on one scale by (location, scale) = loc_scale(n, d) as in
    :meth:`_Table._quantiles_spread`, and mapped back by back(y, n, d)."""
    loc_scale: Any
    how: str
    to: Any = None
    back: Any = None


def _hz_std_high_d(n: int, d: int) -> tuple[float, float]:
    c0 = hz_high_d_terms(n, d)[0]
    return c0, c0


def _hz_log_gap(q: np.ndarray, n: int, d: int) -> np.ndarray:
    """log(1 - q / c0): the log of (M - P) / c0 (:func:`hz_high_d_terms`); NaN where q >= c0."""
    v = 1.0 - q / hz_high_d_terms(n, d)[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(v > 0, np.log(np.where(v > 0, v, 1.0)), np.nan)


def _hz_log_gap_back(y: np.ndarray, n: int, d: int) -> np.ndarray:
    return hz_high_d_terms(n, d)[0] * -np.expm1(y)


#: (test) -> d beyond which a test's cells are interpolated in other coordinates, with
#: their own rule for which cells (:meth:`_Table._cells_high_d`). Henze-Zirkler beyond
#: d = 256 (:func:`hz_high_d_terms`): the exact mean and sd that put its cells on one
#: scale below are set by pairs closer than any sample holds, and fall like exp(-c d)
#: with c moving with beta: between d = 256 and 384 (1000 rows) their ratios to the
#: cells' spread moved by factors of 10^3, and interpolated p-values at nominal 0.05 were
#: 0.004 (standard) and 0.025 (composite) at d = 300; in units of c0 they were 0.048 and
#: 0.052 (the cell (1000, 300) held out, interpolated from d = 256 and 384).
_HIGH_D: dict[str, int] = {"henze_zirkler": 256}
_HIGH_D_COORDS = {
    ("henze_zirkler", "standard"): _Coordinates(
        _hz_std_high_d, "quantiles of (T - 1) / (n (1 + 2 beta^2)^{-d/2}) in units of their "
        "central 80% spread"),
    ("henze_zirkler", "gaussian"): _Coordinates(
        lambda n, d: hz_high_d_terms(n, d)[1:], "quantiles of log(1 - (T - 1) / (n (1 + 2 "
        "beta^2)^{-d/2})) about its closed-form leverage mean, in units of their central 80% "
        "spread; below n = 2d, between d at the same n / d", _hz_log_gap, _hz_log_gap_back),
}
#: beyond :data:`_HIGH_D`: tabled d (a column's rows, any of them) at most this far apart,
#: rows at most :data:`_HIGH_D_N_GAP` apart with the lower one at least
#: :data:`_HIGH_D_N_RATIO` d, at each of the two d
_HIGH_D_D_GAP = 1.5
_HIGH_D_SAME_RATIO_BELOW = 2.0
_HIGH_D_N_GAP = 1.25
_HIGH_D_N_RATIO = 1.2
#: (test, null) -> ratio: an interpolation (more than one cell) may not use a cell with
#: n < ratio * d. Under the composite null Mardia's skewness and the energy statistic
#: narrow and shift fast as n nears d (whitening pins the sample), and an interpolation
#: that leans on a row near d is off (``validate.py interp``, R = 1000, size at alpha =
#: 0.05 for skewness / energy): 0.136 / 0.111 at (450, 384) from the rows 400 and 500,
#: 0.161 / 0.145 at (240, 192) from 200 and 300, 0.151 / 0.151 at (420, 300), 0.083 / 0.073
#: at (25, 16) from 20 and 30; with 15% of the weight on such cells 0.090-0.118 at (405,
#: 273), (114, 70), (209, 137), (478, 346), (463, 305), (137, 84). From cells at 1.3-1.4 d
#: they held, except skewness from the row 500 at d = 384 (1.30 d), slightly liberal at
#: 0.01: 0.058 / 0.021 at (600, 384), 0.057 / 0.020 at (560, 384) (energy there 0.058 /
#: 0.015, 0.057 / 0.019; skewness at (813, 512) and (700, 450), from the row 700 at d =
#: 512 (1.37 d), 0.063 / 0.012 and 0.055 / 0.014). So no weight at all on cells below
#: 1.35 d (skewness) and 1.3 d (energy): Monte Carlo there, drawn as whitened Gram
#: matrices (:func:`gausstest.pvalues.whitened_gram`; 6.9 s for a first report at (300,
#: 250)); d = 100 has cells at 150 and 200 rows, :data:`EXTRA_D`. Mardia's kurtosis, radii and projections held at the
#: failing points (0.039-0.063).
_NEAR_D_LIMIT = {("mardia_skewness", "gaussian"): 1.35, ("energy", "gaussian"): 1.3}


#: (test, null) -> (n, d) -> (mean, sd) of the null law's leading terms, by which a cell's mean
#: and sd are divided before they are interpolated in d (and multiplied back after).
#: * Mardia's skewness has a mean of order d^3 / 6 and an sd of order d^1.5: between
#:   d = 32 and 48 a geometric interpolation of the raw mean is 0.1-0.2 sd off (size 0.042
#:   at alpha = 0.05 at (175, 40), R = 10,000).
#: * The energy statistic's composite-null law is narrow (mean 3.3, sd 0.009 at d = 40), so
#:   an interpolation error of 2e-4 in its mean moved the size to 0.057-0.060 there.
#: * Henze-Zirkler's mean and sd fall like exp(-c d), c set by beta(n, d): between grid n
#:   and grid d alike, only their ratios to :func:`_hz_reference` are smooth (up to
#:   d = 20; beyond, :data:`_LOCATION_SCALE`).
_REFERENCE = {("mardia_skewness", nl): _skewness_reference(nl) for nl in ("standard", "gaussian")}
_REFERENCE.update({("energy", nl): _energy_reference for nl in ("standard", "gaussian")})
_REFERENCE.update({("henze_zirkler", nl): _hz_reference(nl) for nl in ("standard", "gaussian")})


@dataclass(frozen=True)
class _Table:
    code: str
    null: str
    n_grid: np.ndarray
    d_grid: np.ndarray
    b: np.ndarray        # (Nn, Nd) draws per cell, 0 = not simulated
    mean: np.ndarray     # (Nn, Nd)
    sd: np.ndarray       # (Nn, Nd)
    z: np.ndarray        # (Nn, Nd, L) standardized quantiles
    extra: Mapping[str, np.ndarray] | None = None  # per-cell extras (coverage pilot moments)

    def covers(self, n: int, d: int) -> bool:
        return self._cells(n, d) is not None

    @staticmethod
    def _bracket(grid: np.ndarray, v: float) -> tuple[int, int, float] | None:
        """(lower, upper, weight of upper) of v on the grid, in log coordinates."""
        if v < grid[0] or v > grid[-1]:
            return None
        j = int(np.searchsorted(grid, v))
        if grid[j] == v:
            return j, j, 0.0
        lo, hi = j - 1, j
        w = (math.log(v) - math.log(grid[lo])) / (math.log(grid[hi]) - math.log(grid[lo]))
        return lo, hi, w

    def _d_nodes(self, rows: tuple[int, ...]) -> np.ndarray:
        """Indices of the d values tabled at each of these grid rows: the d grid and the
        extra d (:data:`EXTRA_D`) that all of them hold."""
        extra = EXTRA_D.get(self.code)
        if not extra:
            return np.arange(self.d_grid.size)
        held = [set(extra.get(int(self.n_grid[i]), ())) for i in rows]
        common = set(D_GRID).union(set.intersection(*held))
        return np.array([j for j, v in enumerate(self.d_grid) if int(v) in common])

    def _n_nodes(self, d: int) -> np.ndarray:
        """Indices of the rows n tabled at d: the n grid, and the extra n
        (:data:`EXTRA_N`) simulated at exactly this d, or, off the tabled d, at both
        tabled d around it (Henze-Zirkler's composite law between d = 200 and 256 at 500-
        1000 rows: the grid rows there are 40% apart, too far to interpolate, and its first
        answer had been a minute of Monte Carlo)."""
        by_d = EXTRA_N.get(self.code, {})
        extra = by_d.get(d)
        tabled = sorted(set(D_GRID).union(*(set(v) for v in EXTRA_D.get(self.code, {}).values())))
        if extra is None and by_d and d not in tabled:
            below = [t for t in tabled if t < d]
            above = [t for t in tabled if t > d]
            if below and above:
                extra = tuple(sorted(set(by_d.get(below[-1], ())) & set(by_d.get(above[0], ()))))
        extra = extra or ()
        return np.array([i for i, v in enumerate(self.n_grid) if int(v) in N_GRID + extra])

    def _cells(self, n: int, d: int):
        rule = _beyond(self.code, self.null, d)
        if rule is not None:
            split = self._beyond_cells(n, d, rule)
            return None if split is None else list({(i, j): (i, j, 1.0)
                                                    for i, j, _ in split[0] + split[1]}.values())
        if d > _HIGH_D.get(self.code, d):
            return self._cells_high_d(n, d)
        cells = self._cells_general(n, d)
        ratio = _NEAR_D_LIMIT.get((self.code, self.null))
        if cells and ratio and len(cells) > 1 and any(
                self.n_grid[i] < ratio * self.d_grid[j] for i, j, _ in cells):
            return None
        return cells

    def _cells_general(self, n: int, d: int):
        rows = self._n_nodes(d)
        bn = self._bracket(self.n_grid[rows], n)
        if bn is None:
            return None
        bn = (int(rows[bn[0]]), int(rows[bn[1]]), bn[2])
        nodes = self._d_nodes(tuple(sorted({bn[0], bn[1]})))
        bd = self._bracket(self.d_grid[nodes], d)
        if bd is None:
            return None
        bd = (int(nodes[bd[0]]), int(nodes[bd[1]]), bd[2])
        if bd[0] != bd[1]:  # between tabled values of d
            if d > _D_INTERPOLATED_UP_TO.get(self.code, d):
                gap = next((g for up_to, g in _D_INTERPOLATION_MAX_GAP[self.code] if d <= up_to),
                           None)
                if gap is None or self.d_grid[bd[1]] > gap * self.d_grid[bd[0]]:
                    return None  # off the tabled d where this law does not interpolate
            ratio_d = _D_INTERPOLATION_MIN_RATIO.get((self.code, self.null))
            if ratio_d and d > 20 and n < ratio_d * d:
                return None
        if bn[0] != bn[1]:  # between grid values of n
            ratio = _N_INTERPOLATION_MIN_RATIO.get((self.code, self.null))
            if ratio and d > 20 and self.n_grid[bn[0]] < ratio * d:
                return None
            limits = _N_INTERPOLATION_MAX_GAP.get((self.code, self.null))
            if limits and d > limits[0] and (
                    d > limits[2] or self.n_grid[bn[1]] > limits[1] * self.n_grid[bn[0]]):
                return None
        (n0, n1, wn), (d0, d1, wd) = bn, bd
        cells = [(n0, d0, (1 - wn) * (1 - wd)), (n1, d0, wn * (1 - wd)),
                 (n0, d1, (1 - wn) * wd), (n1, d1, wn * wd)]
        cells = [c for c in cells if c[2] > 0]
        if any(self.b[i, j] <= 0 for i, j, _ in cells):
            return None
        return cells

    def _cells_high_d(self, n: int, d: int):
        """Cells beyond :data:`_HIGH_D`: at the two tabled d around d (at most
        :data:`_HIGH_D_D_GAP` apart) among those whose rows bracket the row wanted there,
        the two rows around it at each (which may differ between them). The row wanted at
        a tabled d' is n, except under the composite null below n =
        :data:`_HIGH_D_SAME_RATIO_BELOW` d, where it is n d' / d (at most the column's last
        row), the same n / d: near n = d whitening shapes the law through n / d, and at
        fixed n it moves too fast between d. Held out one at a time, the composite-null
        cell (600, 384) interpolated from d = 256 and 512 at n = 600 gave p = 0.006 at its
        own 0.05 quantile, at n / d = 1.56 (rows 400 and 800) 0.054; (700, 384) 0.025 and
        0.062; (450, 384) from the cells (300, 256) and (600, 512) 0.048. With fresh draws
        at n >= 2d the same n did better ((1000, 333): size 0.048 against 0.0415 at the
        same n / d, R = 2000)."""
        def rows_at(j: int):
            rows = np.flatnonzero(self.b[:, j] > 0)
            if not rows.size:
                return None
            want = n
            if self.null == "gaussian" and n < _HIGH_D_SAME_RATIO_BELOW * d:
                want = min(n * float(self.d_grid[j]) / d, float(self.n_grid[rows[-1]]))
            br = self._bracket(self.n_grid[rows], want)
            if br is None:
                return None
            i0, i1, w = int(rows[br[0]]), int(rows[br[1]]), br[2]
            if i0 != i1 and (self.n_grid[i0] < _HIGH_D_N_RATIO * self.d_grid[j]
                             or self.n_grid[i1] > _HIGH_D_N_GAP * self.n_grid[i0]):
                return None
            return i0, i1, w

        low = _HIGH_D[self.code]
        usable = [(j, br) for j in range(self.d_grid.size) if self.d_grid[j] >= low
                  and (br := rows_at(j)) is not None]
        below = [(j, br) for j, br in usable if self.d_grid[j] <= d]
        above = [(j, br) for j, br in usable if self.d_grid[j] >= d]
        if not below or not above:
            return None
        (j0, b0), (j1, b1) = below[-1], above[0]
        if self.d_grid[j1] > _HIGH_D_D_GAP * self.d_grid[j0]:
            return None
        return self._two_columns(d, (j0, b0), (j1, b1))

    def _beyond_cells(self, n: int, d: int, rule: _Beyond):
        """(location cells, spread cells) in the last tabled column for d beyond it: the
        rows around n, and around n * 512 / d where ``rule.same_ratio``; none below
        ``rule.min_ratio`` d, nor an interpolation that leans on a row nearer d than
        :data:`_NEAR_D_LIMIT` allows."""
        last = D_GRID[-1]
        if n < rule.min_ratio * d:
            return None
        near = _NEAR_D_LIMIT.get((self.code, self.null))

        def around(want: float, col: int):
            j = int(np.flatnonzero(self.d_grid == col)[0])
            rows = np.array([i for i in self._n_nodes(col) if self.b[i, j] > 0], dtype=int)
            if rule.clamp and rows.size:
                want = min(max(want, float(self.n_grid[rows[0]])), float(self.n_grid[rows[-1]]))
            br = self._bracket(self.n_grid[rows], want) if rows.size else None
            if br is None:
                return None
            i0, i1, w = int(rows[br[0]]), int(rows[br[1]]), br[2]
            if i0 != i1 and near and self.n_grid[i0] < near * col:
                return None
            return [(i, j, wk) for i, wk in ((i0, 1.0 - w), (i1, w)) if wk > 0]

        loc = around(n, last)
        if not rule.same_ratio:
            spread = loc
        else:
            # the spread at this n / d from the largest tabled d (of 192-512) whose rows
            # bracket it tightly, w (1 - w) log(gap)^2 <= 0.01 (the error of a linear read
            # of a smooth curve), else the tightest (energy at (950, 600), n / d = 1.58: the
            # 512 column's rows 700 and 1000 put its sd 5% low and the size at 0.070;
            # d = 256 holds the row 400 = 1.56 d)
            best = None
            for col in sorted((int(v) for v in D_GRID if 192 <= v <= last), reverse=True):
                cells = around(n * col / d, col)
                if cells is None:
                    continue
                w = cells[-1][2] if len(cells) > 1 else 0.0
                gap = (math.log(self.n_grid[cells[1][0]] / self.n_grid[cells[0][0]])
                       if len(cells) > 1 else 0.0)
                err = w * (1.0 - w) * gap * gap
                if best is None or err < best[0] - 1e-12:
                    best = (err, cells)
                if err <= 0.01:
                    break
            spread = None if best is None else best[1]
        return None if loc is None or spread is None else (loc, spread)

    def _quantiles_beyond(self, n: int, d: int, rule: _Beyond, loc, spread) -> np.ndarray:
        """Quantiles beyond the last tabled d (:class:`_Beyond`): the location from the
        cells ``loc``, the sd and standardized quantiles from ``spread``, each over
        ``rule.scale`` at its cell and back at (n, d)."""
        last = D_GRID[-1]

        def ref(nn: int, dd: int) -> tuple[float, float]:
            return (1.0, 1.0) if rule.scale is None else rule.scale(nn, dd)

        means = np.array([self.mean[i, j] / ref(int(self.n_grid[i]), last)[0] for i, j, _ in loc])
        w_loc = np.array([wk for *_, wk in loc])
        if np.all(means > 0) or np.all(means < 0):  # geometric, keeping the sign
            mean = float(np.sign(means[0]) * math.exp(w_loc @ np.log(np.abs(means))))
        else:
            mean = float(w_loc @ means)
        log_sd = sum(wk * math.log(self.sd[i, j] / ref(int(self.n_grid[i]), int(self.d_grid[j]))[1])
                     for i, j, wk in spread)
        z = sum(wk * self.z[i, j].astype(float) for i, j, wk in spread)
        m0, s0 = ref(n, d)
        q = mean * m0 + math.exp(log_sd) * s0 * z
        if rule.parts is None:
            return q
        # the level S at d is the level 1 - (1 - S)^(K_512 / K) of the column's law
        power = rule.parts(last) / rule.parts(d)
        ok = np.isfinite(q)
        s_col = -np.expm1(power * np.log1p(-LEVELS))
        out = np.interp(np.log(s_col), np.log(LEVELS[ok][::-1]), q[ok][::-1])
        out[s_col < LEVELS[ok][-1]] = np.nan  # beyond the column's resolved tail
        return out

    def _two_columns(self, d: int, lo, hi) -> list[tuple[int, int, float]]:
        """Cells and weights from two columns (j, (row0, row1, weight of row1)) around d,
        linear in log d between them."""
        (j0, b0), (j1, b1) = lo, hi
        d0, d1 = float(self.d_grid[j0]), float(self.d_grid[j1])
        wd = 0.0 if j0 == j1 else (math.log(d) - math.log(d0)) / (math.log(d1) - math.log(d0))
        cells = [(b0[0], j0, (1 - b0[2]) * (1 - wd)), (b0[1], j0, b0[2] * (1 - wd)),
                 (b1[0], j1, (1 - b1[2]) * wd), (b1[1], j1, b1[2] * wd)]
        merged: dict[tuple[int, int], float] = {}
        for i, j, wk in cells:
            if wk > 0:
                merged[(i, j)] = merged.get((i, j), 0.0) + wk
        return [(i, j, wk) for (i, j), wk in merged.items()]

    def quantiles(self, n: int, d: int) -> tuple[np.ndarray, int, list[tuple[int, int]]]:
        """Interpolated null quantiles at :data:`LEVELS` (NaN where not resolved).

        Where a test's null mean and sd follow a known function of d far from a power law
        (:data:`_REFERENCE`), the cells' mean and sd are divided by it before they are
        interpolated and multiplied back after."""
        rule = _beyond(self.code, self.null, d)
        if rule is not None:
            split = self._beyond_cells(n, d, rule)
            assert split is not None
            cells = list({(i, j): (i, j) for i, j, _ in split[0] + split[1]})
            return (self._quantiles_beyond(n, d, rule, *split),
                    int(min(self.b[i, j] for i, j in cells)),
                    [(int(self.n_grid[i]), int(self.d_grid[j])) for i, j in cells])
        cells = self._cells(n, d)
        assert cells is not None
        w = np.array([c[2] for c in cells])
        at = [(int(self.n_grid[i]), int(self.d_grid[j])) for i, j, _ in cells]
        b = int(min(self.b[i, j] for i, j, _ in cells))
        coords = coordinates(self.code, self.null, d)
        if coords is not None and len(cells) > 1:
            return self._quantiles_spread(n, d, cells, w, coords), b, at
        ref = _REFERENCE.get((self.code, self.null))
        m0 = np.ones(len(cells)) if ref is None else np.array(
            [ref(int(self.n_grid[i]), int(self.d_grid[j]))[0] for i, j, _ in cells])
        s0 = np.ones(len(cells)) if ref is None else np.array(
            [ref(int(self.n_grid[i]), int(self.d_grid[j]))[1] for i, j, _ in cells])
        means = np.array([self.mean[i, j] for i, j, _ in cells]) / m0
        sds = np.array([self.sd[i, j] for i, j, _ in cells]) / s0
        if np.all(means > 0) or np.all(means < 0):  # geometric, keeping the sign
            mean = float(np.sign(means[0]) * math.exp(w @ np.log(np.abs(means))))
        else:
            mean = float(w @ means)
        sd = math.exp(w @ np.log(sds))
        if ref is not None:
            mean, sd = mean * ref(n, d)[0], sd * ref(n, d)[1]
        z = sum(wk * self.z[i, j].astype(float) for (i, j, _), wk in zip(cells, w))
        return mean + sd * z, b, at

    def _quantiles_spread(self, n, d, cells, w, coords: _Coordinates) -> np.ndarray:
        """Quantiles interpolated on a location and the central 80% spread, in the
        coordinates ``coords`` (:data:`_LOCATION_SCALE`, :data:`_HIGH_D_COORDS`)."""
        log_spread, u = 0.0, 0.0
        for (i, j, _), wk in zip(cells, w):
            cn, cd = int(self.n_grid[i]), int(self.d_grid[j])
            loc, scale = coords.loc_scale(cn, cd)
            q = self.mean[i, j] + self.sd[i, j] * self.z[i, j].astype(float)
            if coords.to is not None:
                q = coords.to(q, cn, cd)
            spread = abs(float(q[_SPREAD_LEVELS[1]] - q[_SPREAD_LEVELS[0]]))
            log_spread += wk * math.log(spread / scale)
            u = u + wk * (q - loc) / spread
        loc, scale = coords.loc_scale(n, d)
        y = loc + math.exp(log_spread) * scale * u
        return y if coords.back is None else coords.back(y, n, d)


def coordinates(code: str, null: str, d: int) -> _Coordinates | None:
    """The coordinates a test's cells are interpolated in at d (None: standardized)."""
    if d > _HIGH_D.get(code, d):
        return _HIGH_D_COORDS[(code, null)]
    loc_scale = _LOCATION_SCALE.get((code, null))
    if loc_scale is not None and d > loc_scale[0]:
        return _Coordinates(loc_scale[1], "quantiles about the exact null mean, in units of "
                            "their central 80% spread")
    return None


def survival(t: float, q: np.ndarray, discrete: bool = False) -> tuple[float, bool]:
    """p = S(t) from quantiles ``q`` at :data:`LEVELS`; also whether it was extrapolated.

    ``discrete``: the statistic has atoms (coverage's counts), and a t at a stored quantile
    is read as an atom. A continuous statistic is interpolated everywhere: read as an atom,
    a value that merely fell within the float32 tolerance of a stored quantile (about one
    in 5,000) got the log-midpoint of two levels, 0.017 above its p-value at p = 0.23."""
    ok = np.isfinite(q)
    s, qq = LEVELS[ok], np.maximum.accumulate(q[ok])
    if math.isinf(t):  # an overflowed statistic (values near 1e300): beyond every level
        return (P_FLOOR, True) if t > 0 else (float(s[0]), False)
    # An atom of a discrete statistic (coverage's counts) is a run of equal stored
    # quantiles; P(T >= t) at it lies between the highest level whose quantile is t and the
    # level above (whose quantile is below t), and the log-midpoint of the two is taken.
    # The quantiles are stored as float32 standardized values, so an atom comes back up to
    # ~1e-7 sd off t: values within ``tol`` of t count as t (a strict comparison skipped
    # the whole atom: at the coverage cell (300, 48) an atom of mass 0.016 at
    # P(T >= t) = 0.058 read as p = 0.049, and the size at alpha = 0.05 was 0.059).
    tol = 1e-6 * float(qq[-1] - qq[0]) + 1e-12 * abs(t)
    if t <= qq[0] + tol:
        return float(s[0]), False
    if t <= qq[-1] + tol:
        k = int(np.searchsorted(qq, t - tol, side="left"))  # qq[k-1] < t - tol <= qq[k]
        if discrete and qq[k] <= t + tol:  # t is a stored quantile: an atom (k >= 1 here)
            return float(math.sqrt(s[k] * s[k - 1])), False
        lo, hi = k - 1, k
        if qq[hi] <= qq[lo]:
            return float(s[hi]), False
        f = (t - qq[lo]) / (qq[hi] - qq[lo])
        return float(math.exp((1 - f) * math.log(s[lo]) + f * math.log(s[hi]))), False
    # exponential tail through the last decade the table resolves
    last = s.size - 1
    ref = int(np.searchsorted(-s, -10.0 * s[last]))  # first level <= 10 x the last
    ref = min(ref, last - 1)
    span = qq[last] - qq[ref]
    if span <= 0:
        return P_FLOOR, True
    rate = math.log(s[ref] / s[last]) / span
    p = s[last] * math.exp(-rate * (t - qq[last]))
    return float(max(p, P_FLOOR)), True


#: atoms kept per cell of a discrete statistic (:func:`atoms_of`)
MAX_ATOMS = 1024


def atoms_of(stats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The atoms of simulated statistics (values drawn more than once: a continuous law
    repeats none), the :data:`MAX_ATOMS` heaviest, as (value, share of draws >= value),
    NaN-padded. Coverage counts reference balls and latent points: at 100-300 rows its
    atoms are 1-8% of the mass each (150-550 of them; 256 kept 92% of the mass at (300,
    48), and p-values there were still 0.02 off), and the quantiles at :data:`LEVELS` (0.04 apart near
    p = 0.3) placed P(T >= t) at an atom only to within their spacing (p-values up to 0.037
    from a fresh Monte Carlo one on the cell's own grid point)."""
    t = np.sort(np.asarray(stats, dtype=float))
    vals, first, counts = np.unique(t, return_index=True, return_counts=True)
    keep = np.flatnonzero(counts >= 2)
    keep = keep[np.argsort(-counts[keep], kind="stable")[:MAX_ATOMS]]
    keep.sort()
    out_t = np.full(MAX_ATOMS, np.nan)
    out_s = np.full(MAX_ATOMS, np.nan)
    out_t[:keep.size] = vals[keep]
    out_s[:keep.size] = (t.size - first[keep]) / t.size
    return out_t, out_s


def atom_survival(t: float, atom_t: np.ndarray, atom_s: np.ndarray) -> float | None:
    """P(T >= t) when t is one of a cell's atoms (to a relative 1e-9), else None."""
    ok = np.isfinite(atom_t)
    if not ok.any() or not math.isfinite(t):
        return None
    vals, surv = atom_t[ok], atom_s[ok]
    k = int(np.argmin(np.abs(vals - t)))
    return float(surv[k]) if abs(vals[k] - t) <= 1e-9 * max(1.0, abs(t)) else None


def table_survival(table: _Table, q: np.ndarray, cells: list[tuple[int, int]], d: int,
                   t: float) -> tuple[float, bool, bool]:
    """p = P(T >= t) from a table's quantiles ``q`` read from ``cells`` at d: the count in
    the cell's draws when t is one of its atoms (a discrete statistic at its own grid
    point), else :func:`survival`. Returns (p, extrapolated, at an atom)."""
    if len(cells) == 1 and cells[0][1] == d and table.extra and "atom_t" in table.extra:
        i = int(np.flatnonzero(table.n_grid == cells[0][0])[0])
        j = int(np.flatnonzero(table.d_grid == cells[0][1])[0])
        exact = atom_survival(t, table.extra["atom_t"][i, j], table.extra["atom_s"][i, j])
        if exact is not None:
            return exact, False, True
    p, extrapolated = survival(t, q, discrete=bool(table.extra) and "atom_t" in table.extra)
    return p, extrapolated, False


_LOCK = threading.Lock()
_TABLES: dict[tuple[str, str], _Table] | None = None


def _load_tables() -> dict[tuple[str, str], _Table]:
    global _TABLES
    with _LOCK:
        if _TABLES is not None:
            return _TABLES
        tables: dict[tuple[str, str], _Table] = {}
        try:
            ref = resources.files("gausstest") / "data" / TABLE_FILE
            with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as f:
                for key in {k.rsplit("/", 1)[0] for k in f.files}:
                    code, null = key.split(":")
                    tables[(code, null)] = _Table(
                        code=code, null=null, n_grid=f[f"{key}/n_grid"], d_grid=f[f"{key}/d_grid"],
                        b=f[f"{key}/b"], mean=f[f"{key}/mean"], sd=f[f"{key}/sd"], z=f[f"{key}/z"],
                        extra={k.rsplit("/", 1)[1]: f[k] for k in f.files
                               if k.startswith(key + "/")
                               and k.rsplit("/", 1)[1] in ("moments", "atom_t", "atom_s")},
                    )
        except (FileNotFoundError, OSError, KeyError, ValueError):
            tables = {}
        _TABLES = tables
        return tables


def table_for(code: str, null: str) -> _Table | None:
    """The shipped table of (test, null), or None."""
    return _load_tables().get((code, null))


def coverage_moments(n_used: int, m: int, d: int, k: int, seed: int) -> np.ndarray | None:
    """Shipped pilot moments of the coverage statistics at a grid cell (default options),
    or None: the values the seeded pilot computes, so shipped and computed agree."""
    if m != n_used or k != 5 or seed != 0:
        return None
    table = table_for("coverage", "standard")
    if table is None or not table.extra or "moments" not in table.extra:
        return None
    i = np.flatnonzero(table.n_grid == n_used)
    j = np.flatnonzero(table.d_grid == d)
    if not (i.size and j.size) or table.b[i[0], j[0]] <= 0:
        return None
    mom = np.array(table.extra["moments"][i[0], j[0]], dtype=float)
    return mom if np.isfinite(mom).all() else None


#: rows below which a test's statistic is too discrete for quantile tables (coverage and
#: precision are fractions of n: at (35, 2) the tabled size was 0.069): Monte Carlo there,
#: which is cheap at such n
_MIN_TABLED_ROWS = {"coverage": 100}


@dataclass(frozen=True)
class _Beyond:
    """How a law is read beyond the last tabled d (512), from that column alone.

    The location comes from the column's rows around n (``scale``'s first term times the
    cells' mean over it, which does not move with d at a fixed n); the spread (the sd over
    ``scale``'s second term) and the standardized quantiles from the rows around n
    itself, or, where whitening n rows in d dimensions shapes the law through n / d,
    around n * 512 / d (``same_ratio``)."""
    min_ratio: float
    same_ratio: bool
    scale: Any  # (n, d) -> (mean, sd) reference, or None for (1, 1)
    why: str
    #: the law is n-stable: beyond the column's rows, read its last (or first) row
    clamp: bool = False
    #: d -> K: the statistic is a maximum over K(d) nearly independent parts, so
    #: S_d(t) = 1 - (1 - S_512(t))^(K(d) / K(512))
    parts: Any = None


#: (test, null) -> :class:`_Beyond`, checked in the tables' own cells at d = 96-512 and by
#: fresh draws beyond 512 (``tests/calibration/beyond_last_d.py``, tables in
#: ``tests/size/high_d_interp.md``):
#: * the radii test's composite-null law (A^2 of the whitened radii's Beta PIT) does not
#:   move with d at a fixed n from d = 256 to 512: mean 0.513-0.525, sd 0.284-0.297 at
#:   n = 700, 1000 and 2000 (B = 4000-10,000);
#: * the energy statistic under the standard null: its mean over sqrt(2) E||Y - Y'|| is
#:   1.000 and its sd 0.99-1.02 at every tabled (n, d) from d = 192 to 512, the 95% and
#:   99% standardized quantiles 1.65-1.75 and 2.33-2.55 with no trend in d;
#: * Mardia's skewness under the composite null: its k-corrected mean is exactly
#:   d(d+1)(d+2)/6, and its sd over sqrt(2 f) is a function of n / d (0.898 and 0.923 at
#:   n / d = 1.95 for d = 256 and 512, 1.126 and 1.136 at 3.9), its quantiles standardized
#:   1.59-1.74 (95%) and 2.26-2.44 (99%) from d = 192 to 512;
#: * the energy statistic under the composite null: its mean over E||Y - Y'|| is
#:   0.375 + 0.035 / n at every d from 96 to 512 (0.3750349 at (1000, 512), 0.3750355 at
#:   (1000, 256)), and d times its sd a function of n / d (0.2210 at (500, 256), 0.2218 at
#:   (1000, 512); 0.2835 at (500, 192), 0.2789 at (1000, 384));
#: * projections: its composite-null law does not move with n / d either (d = 256: mean
#:   1.497-1.503, sd 0.230-0.236 at rows 300-500, 1.17-1.95 d; d = 192: 1.482 at 200 rows,
#:   1.04 d, 1.484 at 400), so it is read at any n > d + 1.
_BEYOND: dict[tuple[str, str], _Beyond] = {
    ("radii", "gaussian"): _Beyond(1.35, False, None, "this law does not move with d at a "
                                   "fixed n beyond d = 256"),
    ("energy", "standard"): _Beyond(0.0, False, _energy_reference, "in units of sqrt(2) "
                                    "E||Y - Y'||, this law does not move with d beyond 192"),
    ("mardia_skewness", "gaussian"): _Beyond(
        1.35, True, _skewness_reference("gaussian"), "mean d(d+1)(d+2)/6 exactly; sd over "
        "sqrt(2 f) and standardized quantiles from the rows at the same n / d"),
    ("energy", "gaussian"): _Beyond(
        1.3, True, lambda n, d: (_energy_reference(n, d)[0], 1.0 / d), "mean over "
        "E||Y - Y'|| at the same n (it does not move with d); d times the sd and the "
        "standardized quantiles from the rows at the same n / d"),
    ("coverage", "standard"): _Beyond(
        0.0, False, None, "standardized by its own pilot moments, this law does not move "
        "with d from d = 150: 95% and 99% standardized quantiles 1.73-1.94 and 2.71-3.05 at "
        "150-1000 rows from d = 192 to 512"),
    ("projections", "standard"): _Beyond(
        0.0, False, None, "the maximum over K directions: S(t) = 1 - (1 - S_512(t))^(K / "
        "K_512), K = d + 500; its n-stable law read at the column's nearest rows",
        clamp=True, parts=lambda d: d + _projection_directions(d)),
    ("projections", "gaussian"): _Beyond(
        0.0, False, None, "the maximum over K directions: S(t) = 1 - (1 - S_512(t))^(K / "
        "K_512), K = d + 500; its n-stable law read at the column's nearest rows",
        clamp=True, parts=lambda d: d + _projection_directions(d)),
}


def _projection_directions(d: int) -> int:
    from .projections import default_n_directions

    return default_n_directions(d)


def _beyond(code: str, null: str, d: int) -> _Beyond | None:
    return _BEYOND.get((code, null)) if d > D_GRID[-1] else None


def applies(spec: Any, n: int, d: int, null: str, opts: Mapping[str, Any]) -> bool:
    """Does the shipped table calibrate this call (test, null, options, n, d)?"""
    table = table_for(spec.code, null)
    if table is None or not _options_match(spec.code, opts, n, d):
        return False
    if sim_rows(spec, n, d) < _MIN_TABLED_ROWS.get(spec.code, 0):
        return False
    return table.covers(key_rows(spec, n, d), d)


@dataclass(frozen=True)
class Shipped(PValueMethod):
    """p-value from the shipped null table (see the module docstring)."""

    def compute(self, spec, observed, n, d, null, options, seed):
        if not applies(spec, n, d, null, options):
            raise ValueError(
                f"no shipped null table covers {spec.code} under null={null!r} at n = {n}, "
                f"d = {d} with these options; use method='monte_carlo'")
        table = table_for(spec.code, null)
        key = key_rows(spec, n, d)
        q, b, cells = table.quantiles(key, d)
        t = abs(observed) if spec.two_sided else observed
        p, extrapolated, exact_atom = table_survival(table, q, cells, d, float(t))
        rows = sim_rows(spec, n, d)
        coords = coordinates(spec.code, null, d)
        how = coords.how if coords is not None else "standardized quantiles"
        rule = _beyond(spec.code, null, d)
        if rule is not None:
            at = f"from the grid cell{'s' if len(cells) > 1 else ''} "
        elif len(cells) == 1:
            at = "at the grid point "
        else:
            at = f"interpolated (bilinear in log n, log d, {how}) from {len(cells)} grid cells "
        cell_txt = ", ".join(f"({cn}, {cd})" for cn, cd in cells)
        where = f"n = {rows}" + ("" if rows == n else " rows (the null law is n-stable beyond)")
        fitted = ", each fitted and whitened" if null == "gaussian" else ""
        if rule is not None:  # the cells' own (n, d), not this sample's
            desc = (f"shipped null table: >= {b} N(0, I) samples per cell{fitted}; {at}"
                    f"{cell_txt}")
        else:
            desc = (f"shipped null table: >= {b} N(0, I) samples per cell at {where}, d = {d}"
                    f"{fitted}; {at}{cell_txt}")
        if rule is not None:
            desc += f"; read in the last tabled d = {D_GRID[-1]} ({rule.why})"
        if extrapolated:
            desc += f"; beyond the simulated tail: exponential extrapolation, floored at {P_FLOOR:g}"
        if exact_atom:
            desc += "; the statistic is one of the cell's atoms: P(T >= t) counted there"
        q95 = float(np.interp(0.05, LEVELS[::-1], q[::-1]))
        return p, PValueInfo(method="table", description=desc, n_resamples=b, seed=None,
                             n_simulated=rows, cache="shipped", null_quantile_95=q95)


def fill_cache(
    n: int, d: int, *, tests: list[str] | None = None, null: str = "both", seed: int = 0,
    out: Any = None,
) -> list[tuple[str, str, str]]:
    """Simulate and cache, ahead of time, every Monte Carlo null that ``assess`` would need
    at (n, d) and that no shipped table or exact law covers (``gausstest calibrate``).

    Returns (code, null, what) for each test and null: "law", "table", "cached" or "built".
    """
    from .battery import DEFAULT_BATTERY, MAX_QUADRATIC_N, select_tests
    from .pvalues import MonteCarlo, simulate_null, stream_seed
    from .registry import get_spec

    done = []
    for code, nul in select_tests(tests if tests else list(DEFAULT_BATTERY), null):
        spec = get_spec(code)
        rows = n
        if spec.quadratic and rows > MAX_QUADRATIC_N:
            rows = MAX_QUADRATIC_N
        limit = spec.subsample_above(d) if spec.subsample_above is not None else None
        if limit is not None and rows > limit:
            rows = limit
        if rows < spec.min_n(d, nul) or (nul == "gaussian" and rows <= d + 1):
            done.append((code, nul, "too few rows"))
            if out is not None:
                print(f"{code:<18} {nul:<9} too few rows (not run at n = {n}, d = {d})",
                      file=out, flush=True)
            continue
        opts = canonical_options(code, rows, d)
        if spec.asymptotic is not None and (
                spec.asymptotic_valid is None or spec.asymptotic_valid(rows, d, nul, opts)):
            what = "law"
        elif applies(spec, rows, d, nul, opts):
            what = "table"
        else:
            n_sim = spec.sim_rows(rows, d, opts)
            b = MonteCarlo().n_resamples or spec.resamples(n_sim, d)
            _, state = simulate_null(spec, n_sim, d, nul, opts, b,
                                     stream_seed(seed, f"{code}:{nul}"))
            what = "cached" if state == "hit" else "built"
        done.append((code, nul, what))
        if out is not None:
            print(f"{code:<18} {nul:<9} {what}", file=out, flush=True)
    return done
