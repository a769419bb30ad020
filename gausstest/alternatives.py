"""Seeded generators of the ways a latent sample fails to be N(0, I).

Each generator is a function ``name(n, d, *, rng=None, **params) -> ndarray (n, d)``
(float64), seeded through ``np.random.default_rng(rng)``, so the same ``rng`` gives
the same sample. :data:`ALTERNATIVES` maps a registry name to
``(function, default params, short description)``; :func:`sample` draws from it by
name. Several registry names share one function with different parameters (e.g.
``t3`` ... ``t30`` all use :func:`multivariate_t`).

Unless a generator says otherwise its output has mean 0 and covariance I, so that
under the *standard* null (z ~ N(0, I)) it is detected by its *shape* and not by a
trivial location or scale change; the generators whose whole point is location or
scale (:func:`scale_isotropic`, :func:`mean_shift`, ...) say what they change.
Names in :data:`GAUSSIAN_MEMBERS` are Gaussian (non-degenerate): under the
composite null (z ~ N(mu, Sigma)) a rejection on them is a type I error, not power.

Groups
------
* prior mismatch (Gaussian, wrong parameters): ``scale_iso``, ``scale_dims``,
  ``mean_shift``, ``equicorrelated``, ``collapsed``, ``collapsed_constant``,
  ``low_rank``, ``normal_affine``;
* shape: Gaussian mixtures, multivariate t, uniform in cube/ball, thin shell,
  skew-normal, chi2/lognormal/Laplace marginals, Pearson type II, location and
  scale mixtures of the classical power studies;
* coverage: ``hole`` (a ball of mass removed off-centre), ``shell``;
* moment-blind alternatives: ``gh_marginals`` (marginals with the first five
  moments of N(0, 1)) and ``mardia_matched`` (a radial law with Mardia's skewness
  0 and kurtosis d(d+2), exactly as N(0, I)).

The classical alternatives (``hz_*``, ``sr_*``, ``eh_*``) follow the *families*
used by Henze & Zirkler (1990), Szekely & Rizzo (2005) and Ebner & Henze (2020);
their parameters are the ones stated in each description. The papers' tables
could not be checked line by line while writing this module, so treat the
parameter choice as "in the style of" the study, not as a reproduction of it (see
``tests/atlas/published_power.csv``).

References
----------
Azzalini, A. & Dalla Valle, A. (1996). The multivariate skew-normal distribution.
Biometrika 83, 715-726. doi:10.1093/biomet/83.4.715
Henze, N. & Zirkler, B. (1990). A class of invariant consistent tests for
multivariate normality. Comm. Statist. Theory Methods 19, 3595-3617.
doi:10.1080/03610929008830400
Szekely, G. J. & Rizzo, M. L. (2005). A new test for multivariate normality.
J. Multivariate Anal. 93, 58-80. doi:10.1016/j.jmva.2003.12.002
Ebner, B. & Henze, N. (2020). Tests for multivariate normality -- a critical review
with emphasis on weighted L2-statistics. TEST 29, 845-892.
doi:10.1007/s11749-020-00740-0

Examples
--------
>>> from gausstest.alternatives import sample, ALTERNATIVES
>>> z = sample("t5", 500, 3, rng=0)
>>> z.shape
(500, 3)
>>> bool(abs(z.var() - 1) < 0.3)
True

A multivariate t with 5 degrees of freedom, rescaled to unit covariance: its
second moments match N(0, I), its tails do not.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
from scipy import stats

__all__ = [
    "ALTERNATIVES", "GAUSSIAN_MEMBERS", "sample", "list_alternatives",
    "normal", "normal_affine", "scale_isotropic", "scale_dims", "mean_shift",
    "equicorrelated", "collapsed", "collapsed_constant", "low_rank",
    "gaussian_mixture", "location_mixture", "scale_mixture", "multivariate_t",
    "uniform_cube", "uniform_ball", "spherical_shell", "gaussian_hole", "skew_normal",
    "gh_marginals", "mardia_matched", "iid_marginals", "pearson_type_ii",
    "GH_VALUES", "GH_PROBS",
]


def _rng(rng: Any) -> np.random.Generator:
    return np.random.default_rng(rng)


def _check(n: int, d: int) -> None:
    if int(n) != n or n < 1 or int(d) != d or d < 1:
        raise ValueError(f"n and d must be positive integers; got n = {n!r}, d = {d!r}")


def _directions(m: int, d: int, g: np.random.Generator) -> np.ndarray:
    """m uniform directions on the unit sphere S^{d-1}."""
    u = g.standard_normal((m, d))
    return u / np.linalg.norm(u, axis=1, keepdims=True)


# -- Gaussian members: the prior-match failures ---------------------------------------

def normal(n: int, d: int, *, rng: Any = None) -> np.ndarray:
    """N(0, I_d): the standard null itself (size reference)."""
    _check(n, d)
    return _rng(rng).standard_normal((n, d))


def normal_affine(n: int, d: int, *, rng: Any = None, condition: float = 10.0,
                  mean_scale: float = 1.0) -> np.ndarray:
    """N(mu, Sigma) with a random mean (entries N(0, mean_scale^2)) and a random
    covariance of condition number ``condition`` (eigenvalues log-spaced in
    [1/sqrt(c), sqrt(c)], random eigenvectors). A member of the composite null;
    used for the size of affine-invariant tests."""
    _check(n, d)
    g = _rng(rng)
    q, _ = np.linalg.qr(g.standard_normal((d, d)))
    ev = np.exp(np.linspace(-0.5, 0.5, d) * math.log(condition)) if d > 1 else np.ones(1)
    root = (q * np.sqrt(ev)) @ q.T
    mu = mean_scale * g.standard_normal(d)
    return g.standard_normal((n, d)) @ root + mu


def scale_isotropic(n: int, d: int, *, rng: Any = None, scale: float = 1.2) -> np.ndarray:
    """N(0, scale^2 I): every coordinate has standard deviation ``scale``."""
    _check(n, d)
    return scale * _rng(rng).standard_normal((n, d))


def scale_dims(n: int, d: int, *, rng: Any = None, scale: float = 2.0,
               k: int = 1) -> np.ndarray:
    """N(0, diag): the first ``k`` coordinates have standard deviation ``scale``, the
    others 1."""
    _check(n, d)
    z = _rng(rng).standard_normal((n, d))
    z[:, : min(k, d)] *= scale
    return z


def mean_shift(n: int, d: int, *, rng: Any = None, delta: float = 0.3) -> np.ndarray:
    """N(mu, I) with ||mu|| = ``delta`` along (1, ..., 1)/sqrt(d)."""
    _check(n, d)
    return _rng(rng).standard_normal((n, d)) + delta / math.sqrt(d)


def equicorrelated(n: int, d: int, *, rng: Any = None, rho: float = 0.3) -> np.ndarray:
    """N(0, (1 - rho) I + rho 11'): unit variances, every correlation ``rho``
    (0 <= rho < 1)."""
    _check(n, d)
    if not 0 <= rho < 1:
        raise ValueError(f"rho must be in [0, 1); got {rho}")
    g = _rng(rng)
    common = g.standard_normal((n, 1))
    return math.sqrt(1 - rho) * g.standard_normal((n, d)) + math.sqrt(rho) * common


def collapsed(n: int, d: int, *, rng: Any = None, k: int = 1,
              variance: float = 1e-3) -> np.ndarray:
    """N(0, diag): the first ``k`` coordinates have variance ``variance`` (an
    inactive VAE dimension seen through its posterior means)."""
    _check(n, d)
    z = _rng(rng).standard_normal((n, d))
    z[:, : min(k, d)] *= math.sqrt(variance)
    return z


def collapsed_constant(n: int, d: int, *, rng: Any = None, k: int = 1,
                       value: float = 0.0) -> np.ndarray:
    """N(0, I) except that the first ``k`` coordinates are exactly ``value``: a
    singular sample (the composite null cannot even be fitted)."""
    _check(n, d)
    z = _rng(rng).standard_normal((n, d))
    z[:, : min(k, d)] = value
    return z


def low_rank(n: int, d: int, *, rng: Any = None, rank: int = 2,
             noise: float = 0.05) -> np.ndarray:
    """A rank-``rank`` Gaussian sample plus small isotropic noise.

    z = sqrt(d / r) U Q' + noise * e with U ~ N(0, I_r) and Q a random d x r matrix
    with orthonormal columns (drawn from ``rng``), so E||z||^2 = d (1 + noise^2):
    the total variance of the prior, squeezed into r directions. Gaussian
    (covariance (d/r) QQ' + noise^2 I), so not an alternative under the composite
    null.
    """
    _check(n, d)
    g = _rng(rng)
    r = max(1, min(rank, d))
    q, _ = np.linalg.qr(g.standard_normal((d, r)))
    return math.sqrt(d / r) * g.standard_normal((n, r)) @ q.T + noise * g.standard_normal((n, d))


# -- shape alternatives --------------------------------------------------------------

def gaussian_mixture(n: int, d: int, *, rng: Any = None, k: int = 2,
                     separation: float = 3.0, standardize: bool = False) -> np.ndarray:
    """Equal-weight mixture of ``k`` unit-covariance Gaussians.

    The centres are ``separation / 2`` times unit vectors: for k = 2 they are
    +-(separation / 2) e_1 (distance ``separation`` apart); for k > 2, k random
    directions drawn from ``rng`` (re-centred to mean 0). Not rescaled unless
    ``standardize`` (then the population covariance, I + C'C/k, is whitened, so
    the mixture has mean 0 and covariance I).
    """
    _check(n, d)
    g = _rng(rng)
    if k == 2:
        centres = np.zeros((2, d))
        centres[0, 0], centres[1, 0] = separation / 2, -separation / 2
    else:
        centres = (separation / 2) * _directions(k, d, g)
        centres -= centres.mean(axis=0)
    labels = g.integers(0, k, size=n)
    z = g.standard_normal((n, d)) + centres[labels]
    if standardize:
        cov = np.eye(d) + centres.T @ centres / k
        w, v = np.linalg.eigh(cov)
        z = z @ (v / np.sqrt(w)) @ v.T
    return z


def location_mixture(n: int, d: int, *, rng: Any = None, p: float = 0.9,
                     shift: float = 3.0) -> np.ndarray:
    """p N(0, I) + (1 - p) N(shift * 1, I): the contaminated normal of the power
    studies (every coordinate of the second component shifted by ``shift``).
    Not rescaled."""
    _check(n, d)
    g = _rng(rng)
    z = g.standard_normal((n, d))
    z[g.random(n) >= p] += shift
    return z


def scale_mixture(n: int, d: int, *, rng: Any = None, p: float = 0.5,
                  scale: float = 3.0) -> np.ndarray:
    """p N(0, I) + (1 - p) N(0, scale^2 I). Not rescaled."""
    _check(n, d)
    g = _rng(rng)
    z = g.standard_normal((n, d))
    z[g.random(n) >= p] *= scale
    return z


def multivariate_t(n: int, d: int, *, rng: Any = None, nu: float = 5.0,
                   unit_covariance: bool = True) -> np.ndarray:
    """Multivariate t with ``nu`` degrees of freedom: z = x / sqrt(W / nu), x ~ N(0, I),
    W ~ chi2(nu).

    With ``unit_covariance`` (default) it is multiplied by sqrt((nu - 2) / nu) so
    that its covariance is I (needs nu > 2); otherwise its scale matrix is I and
    its covariance nu / (nu - 2) I.
    """
    _check(n, d)
    if unit_covariance and nu <= 2:
        raise ValueError(f"unit covariance needs nu > 2; got nu = {nu}")
    g = _rng(rng)
    z = g.standard_normal((n, d)) / np.sqrt(g.chisquare(nu, size=(n, 1)) / nu)
    return z * math.sqrt((nu - 2) / nu) if unit_covariance else z


def uniform_cube(n: int, d: int, *, rng: Any = None) -> np.ndarray:
    """Uniform in the cube [-sqrt(3), sqrt(3)]^d (mean 0, covariance I)."""
    _check(n, d)
    return _rng(rng).uniform(-math.sqrt(3), math.sqrt(3), size=(n, d))


def uniform_ball(n: int, d: int, *, rng: Any = None) -> np.ndarray:
    """Uniform in the ball of radius sqrt(d + 2) (mean 0, covariance I)."""
    _check(n, d)
    g = _rng(rng)
    r = math.sqrt(d + 2) * g.random((n, 1)) ** (1.0 / d)
    return r * _directions(n, d, g)


def spherical_shell(n: int, d: int, *, rng: Any = None, width: float = 0.05) -> np.ndarray:
    """A thin shell: uniform directions, radius uniform in sqrt(d) [1 - w, 1 + w].

    N(0, I) has ||z|| concentrated near sqrt(d) with standard deviation about
    1/sqrt(2); this shell has the right typical radius but a spread of only
    ``width * sqrt(d / 3)``. Covariance (E R^2 / d) I = (1 + w^2 / 3) I.
    """
    _check(n, d)
    g = _rng(rng)
    r = math.sqrt(d) * (1 + width * g.uniform(-1, 1, size=(n, 1)))
    return r * _directions(n, d, g)


def hole_geometry(d: int, *, mass: float = 0.1, offset: float = 1.0) -> tuple[np.ndarray, float]:
    """Centre and radius of the hole of :func:`gaussian_hole`: the ball around
    ``offset * e_1`` holding N(0, I)-mass ``mass``
    (radius^2 = noncentral chi2(d, offset^2) quantile)."""
    centre = np.zeros(d)
    centre[0] = offset
    radius = math.sqrt(stats.ncx2.ppf(mass, d, offset**2)) if offset > 0 else \
        math.sqrt(stats.chi2.ppf(mass, d))
    return centre, radius


def gaussian_hole(n: int, d: int, *, rng: Any = None, mass: float = 0.1,
                  offset: float = 1.0) -> np.ndarray:
    """N(0, I) with an off-centre ball removed, by rejection.

    The ball is centred at ``offset * e_1`` and its radius chosen so it holds
    N(0, I)-probability ``mass`` (see :func:`hole_geometry`); the result is N(0, I)
    conditioned to lie outside it. Not rescaled (its mean moves slightly away from
    the hole).
    """
    _check(n, d)
    if not 0 < mass < 0.9:
        raise ValueError(f"mass must be in (0, 0.9); got {mass}")
    g = _rng(rng)
    centre, radius = hole_geometry(d, mass=mass, offset=offset)
    out = np.empty((0, d))
    while out.shape[0] < n:
        m = int((n - out.shape[0]) / (1 - mass) * 1.1) + 16
        x = g.standard_normal((m, d))
        keep = np.sum((x - centre) ** 2, axis=1) > radius**2
        out = np.vstack([out, x[keep]])
    return out[:n]


def skew_normal(n: int, d: int, *, rng: Any = None, alpha: float = 5.0,
                joint: bool = False, standardize: bool = True) -> np.ndarray:
    """Azzalini skew-normal, shape ``alpha``.

    With ``joint=False`` (default) the coordinates are independent SN(alpha):
    z_j = delta |u_0j| + sqrt(1 - delta^2) u_1j, delta = alpha / sqrt(1 + alpha^2).
    With ``joint=True`` one |u_0| is shared by all coordinates (the
    Azzalini-Dalla Valle multivariate SN with equal shape along 1/sqrt(d)).
    ``standardize`` subtracts the mean delta sqrt(2/pi) and divides by the standard
    deviation sqrt(1 - 2 delta^2 / pi) of each coordinate.
    """
    _check(n, d)
    g = _rng(rng)
    delta = alpha / math.sqrt(1 + alpha**2)
    u0 = np.abs(g.standard_normal((n, 1) if joint else (n, d)))
    z = delta * u0 + math.sqrt(1 - delta**2) * g.standard_normal((n, d))
    if standardize:
        m = delta * math.sqrt(2 / math.pi)
        z = (z - m) / math.sqrt(1 - m**2)
    return z


#: the three-point Gauss-Hermite law: 0 w.p. 2/3, +-sqrt(3) w.p. 1/6 each. Its
#: moments 1-5 equal those of N(0, 1) (0, 1, 0, 3, 0); its sixth is 9, not 15.
GH_VALUES = np.array([-math.sqrt(3.0), 0.0, math.sqrt(3.0)])
GH_PROBS = np.array([1 / 6, 2 / 3, 1 / 6])


def gh_marginals(n: int, d: int, *, rng: Any = None, smooth: float = 0.3) -> np.ndarray:
    """Independent marginals with the first five moments of N(0, 1), not Gaussian.

    Each coordinate is x = sqrt(1 - s^2) T + s e with T the three-point
    Gauss-Hermite law (:data:`GH_VALUES`, :data:`GH_PROBS`) and e ~ N(0, 1),
    s = ``smooth`` in [0, 1). Because T matches N(0, 1) in moments 1-5 and the
    normal family is closed under convolution, x does too for every s:
    E x = E x^3 = E x^5 = 0, E x^2 = 1, E x^4 = 3; but
    E x^6 = 15 - 6 (1 - s^2)^3 (trimodal density for small s). Mardia's
    skewness and kurtosis, and any test built on moments up to four, have no
    power against it.
    """
    _check(n, d)
    if not 0 <= smooth < 1:
        raise ValueError(f"smooth must be in [0, 1); got {smooth}")
    g = _rng(rng)
    t = g.choice(GH_VALUES, size=(n, d), p=GH_PROBS)
    return math.sqrt(1 - smooth**2) * t + smooth * g.standard_normal((n, d))


def mardia_matched(n: int, d: int, *, rng: Any = None, radial: str = "lognormal") -> np.ndarray:
    """A spherical law with Mardia's population skewness 0 and kurtosis d(d + 2).

    z = R U with U uniform on the sphere and R independent of U. Covariance is
    (E R^2 / d) I and Mardia's kurtosis E||z||^4 = E R^4, so matching N(0, I) needs
    E R^2 = d and Var R^2 = 2d; symmetry makes every third moment 0, hence
    Mardia's skewness E[(z'w)^3] = 0 (w an independent copy). ``radial`` picks the law of R^2 with that
    mean and variance:

    * "lognormal": R^2 = exp(N(m, s^2)), s^2 = log(1 + 2/d), m = log d - s^2/2;
    * "two_shell": R^2 = d +- sqrt(2d) with probability 1/2 each (needs d >= 2; at
      d = 2 half the points sit at the origin).

    Not Gaussian: R^2 is not chi2(d) (radial tests catch it).
    """
    _check(n, d)
    g = _rng(rng)
    if radial == "lognormal":
        s2 = math.log1p(2.0 / d)
        r2 = np.exp(math.log(d) - s2 / 2 + math.sqrt(s2) * g.standard_normal((n, 1)))
    elif radial == "two_shell":
        if d < 2:
            raise ValueError("two_shell needs d >= 2")
        r2 = d + math.sqrt(2 * d) * np.where(g.random((n, 1)) < 0.5, -1.0, 1.0)
    else:
        raise ValueError(f"radial must be 'lognormal' or 'two_shell'; got {radial!r}")
    return np.sqrt(np.maximum(r2, 0.0)) * _directions(n, d, g)


_MARGINALS: dict[str, tuple[Callable[[np.random.Generator, tuple, float], np.ndarray],
                            Callable[[float], tuple[float, float]]]] = {
    # draw(g, shape, param), (mean, sd)(param)
    "chi2": (lambda g, s, k: g.chisquare(k, size=s), lambda k: (k, math.sqrt(2 * k))),
    "lognormal": (lambda g, s, sig: g.lognormal(0.0, sig, size=s),
                  lambda sig: (math.exp(sig**2 / 2),
                               math.sqrt((math.exp(sig**2) - 1) * math.exp(sig**2)))),
    "laplace": (lambda g, s, b: g.laplace(0.0, b, size=s), lambda b: (0.0, math.sqrt(2) * b)),
    "exponential": (lambda g, s, lam: g.exponential(1 / lam, size=s), lambda lam: (1 / lam, 1 / lam)),
    "beta": (lambda g, s, a: g.beta(a, a, size=s),
             lambda a: (0.5, math.sqrt(1 / (4 * (2 * a + 1))))),
}


def iid_marginals(n: int, d: int, *, rng: Any = None, family: str = "chi2",
                  param: float = 5.0, standardize: bool = True) -> np.ndarray:
    """Independent, identically distributed non-normal coordinates.

    ``family``: "chi2" (``param`` = degrees of freedom), "lognormal" (``param`` =
    sigma of the log), "laplace" (scale), "exponential" (rate), "beta" (Beta(a, a),
    a = ``param``). ``standardize`` (default) makes each coordinate mean 0,
    variance 1 using the population moments (affine-invariant tests are unaffected;
    tests of the standard null then see shape, not a trivial mean shift).
    """
    _check(n, d)
    try:
        draw, moments = _MARGINALS[family]
    except KeyError:
        raise ValueError(f"family must be one of {sorted(_MARGINALS)}; got {family!r}") from None
    z = np.asarray(draw(_rng(rng), (n, d), param), dtype=np.float64)
    if standardize:
        m, s = moments(param)
        z = (z - m) / s
    return z


def pearson_type_ii(n: int, d: int, *, rng: Any = None, m: float = 0.0,
                    standardize: bool = True) -> np.ndarray:
    """Spherical Pearson type II law, density proportional to (1 - ||x||^2)^m on the
    unit ball (m > -1; m = 0 is the uniform ball). R^2 ~ Beta(d/2, m + 1).
    ``standardize`` rescales to covariance I (E R^2 = d / (d + 2m + 2))."""
    _check(n, d)
    if m <= -1:
        raise ValueError(f"m must be > -1; got {m}")
    g = _rng(rng)
    r2 = g.beta(d / 2, m + 1, size=(n, 1))
    z = np.sqrt(r2) * _directions(n, d, g)
    if standardize:
        z *= math.sqrt(d + 2 * m + 2)
    return z


# -- the registry --------------------------------------------------------------------

ALTERNATIVES: dict[str, tuple[Callable[..., np.ndarray], dict[str, Any], str]] = {
    # size references
    "normal": (normal, {}, "N(0, I): the standard null"),
    "normal_affine": (normal_affine, {"condition": 10.0},
                      "N(mu, Sigma), random mu and Sigma (condition 10): composite null"),
    # prior mismatch (Gaussian)
    "scale_iso": (scale_isotropic, {"scale": 1.2}, "N(0, 1.44 I): every sd 1.2"),
    "scale_iso_small": (scale_isotropic, {"scale": 0.8}, "N(0, 0.64 I): every sd 0.8"),
    "scale_dims": (scale_dims, {"scale": 2.0, "k": 1}, "one coordinate with sd 2"),
    "mean_shift": (mean_shift, {"delta": 0.3}, "N(mu, I), ||mu|| = 0.3 along 1"),
    "equicorrelated": (equicorrelated, {"rho": 0.3}, "unit variances, all correlations 0.3"),
    "collapsed": (collapsed, {"k": 1, "variance": 1e-3}, "one coordinate with variance 1e-3"),
    "collapsed_constant": (collapsed_constant, {"k": 1},
                           "one coordinate exactly 0 (singular sample)"),
    "low_rank": (low_rank, {"rank": 2, "noise": 0.05},
                 "rank-2 Gaussian with total variance d, plus noise sd 0.05"),
    # mixtures
    "mixture2_sep2": (gaussian_mixture, {"k": 2, "separation": 2.0},
                      "2 unit Gaussians, centres 2 apart"),
    "mixture2_sep4": (gaussian_mixture, {"k": 2, "separation": 4.0},
                      "2 unit Gaussians, centres 4 apart"),
    "mixture2_sep6": (gaussian_mixture, {"k": 2, "separation": 6.0},
                      "2 unit Gaussians, centres 6 apart"),
    "mixture10_sep3": (gaussian_mixture, {"k": 10, "separation": 3.0},
                       "10 unit Gaussians, centres 1.5 from the origin in random directions"),
    "mixture10_sep6": (gaussian_mixture, {"k": 10, "separation": 6.0},
                       "10 unit Gaussians, centres 3 from the origin in random directions"),
    # heavy tails
    "t3": (multivariate_t, {"nu": 3.0}, "multivariate t, nu = 3, unit covariance"),
    "t5": (multivariate_t, {"nu": 5.0}, "multivariate t, nu = 5, unit covariance"),
    "t10": (multivariate_t, {"nu": 10.0}, "multivariate t, nu = 10, unit covariance"),
    "t30": (multivariate_t, {"nu": 30.0}, "multivariate t, nu = 30, unit covariance"),
    "t5_raw": (multivariate_t, {"nu": 5.0, "unit_covariance": False},
               "multivariate t, nu = 5, scale I (covariance 5/3 I)"),
    # light tails, geometry, coverage
    "uniform_cube": (uniform_cube, {}, "uniform in [-sqrt 3, sqrt 3]^d"),
    "uniform_ball": (uniform_ball, {}, "uniform in the ball of radius sqrt(d + 2)"),
    "shell": (spherical_shell, {"width": 0.05}, "thin shell, radius sqrt(d) (1 +- 0.05)"),
    "hole": (gaussian_hole, {"mass": 0.1, "offset": 1.0},
             "N(0, I) minus a ball of mass 0.1 centred at e_1"),
    # skew
    "skew_normal": (skew_normal, {"alpha": 5.0}, "independent standardized SN(5) coordinates"),
    "skew_normal_joint": (skew_normal, {"alpha": 5.0, "joint": True},
                          "multivariate SN(5) with one shared half-normal"),
    # moment-blind
    "gh_marginals": (gh_marginals, {"smooth": 0.3},
                     "marginals with the first five moments of N(0,1) (smoothed 3-point law)"),
    "mardia_matched": (mardia_matched, {"radial": "lognormal"},
                       "spherical, Mardia skewness 0 and kurtosis d(d+2), lognormal R^2"),
    # classical power-study families (parameters as stated)
    "hz_chi2_marginals": (iid_marginals, {"family": "chi2", "param": 5.0},
                          "Henze-Zirkler (1990) style: iid chi2(5) coordinates (standardized)"),
    "hz_lognormal_marginals": (iid_marginals, {"family": "lognormal", "param": 0.5},
                               "Henze-Zirkler (1990) style: iid lognormal(0, 0.5) coordinates "
                               "(standardized)"),
    "sr_location_mixture": (location_mixture, {"p": 0.9, "shift": 3.0},
                            "Szekely-Rizzo (2005) style: 0.9 N(0, I) + 0.1 N(3*1, I)"),
    "sr_location_mixture_half": (location_mixture, {"p": 0.5, "shift": 3.0},
                                 "0.5 N(0, I) + 0.5 N(3*1, I)"),
    "sr_scale_mixture": (scale_mixture, {"p": 0.5, "scale": 3.0},
                         "0.5 N(0, I) + 0.5 N(0, 9 I)"),
    "eh_laplace_marginals": (iid_marginals, {"family": "laplace", "param": 1.0},
                             "Ebner-Henze (2020) style: iid Laplace coordinates (standardized)"),
    "eh_pearson_ii": (pearson_type_ii, {"m": 0.0},
                      "Ebner-Henze (2020) style: spherical Pearson type II, m = 0 (standardized)"),
    "eh_beta_marginals": (iid_marginals, {"family": "beta", "param": 2.0},
                          "iid Beta(2, 2) coordinates (standardized): light tails"),
}

#: registry names whose law is a non-degenerate Gaussian: under null="gaussian" a
#: rejection there is a type I error ("size"), not power
GAUSSIAN_MEMBERS = frozenset({
    "normal", "normal_affine", "scale_iso", "scale_iso_small", "scale_dims", "mean_shift",
    "equicorrelated", "collapsed", "low_rank",
})


def list_alternatives() -> list[tuple[str, str]]:
    """(name, description) of every registered alternative, in registry order."""
    return [(name, desc) for name, (_, _, desc) in ALTERNATIVES.items()]


def sample(name: str, n: int, d: int, *, rng: Any = None, **params: Any) -> np.ndarray:
    """Draw an (n, d) float64 sample from the alternative registered as ``name``.

    ``params`` override the registered defaults. The same ``rng`` (int seed or
    Generator state) gives the same sample.

    Examples
    --------
    >>> from gausstest.alternatives import sample
    >>> sample("hole", 4, 2, rng=1).shape
    (4, 2)
    """
    try:
        fn, defaults, _ = ALTERNATIVES[name]
    except KeyError:
        raise ValueError(
            f"unknown alternative {name!r}; known: {', '.join(ALTERNATIVES)}"
        ) from None
    z = fn(int(n), int(d), rng=rng, **{**defaults, **params})
    return np.ascontiguousarray(z, dtype=np.float64)
