"""VAE posteriors: test the aggregate posterior of (mu, logvar) and name inactive units.

A VAE's encoder gives, for each input x_i, a diagonal Gaussian posterior
q(z | x_i) = N(mu_i, diag exp(logvar_i)). The aggregate posterior
q(z) = (1/n) sum_i q(z | x_i) is what the prior N(0, I) should match. Samples from it hide
inactive units: a unit whose mu_ij never moves and whose variance is 1 yields exactly
N(0, 1) samples and passes every normality test, while the decoder ignores it. Its posterior
means reveal it, so :func:`assess_posterior` reports both.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

import numpy as np

from .errors import ExtremeValueError, NonFiniteError, OptionError, ShapeError
from .sample import as_sample

__all__ = ["assess_posterior", "posterior_summary", "vae_like_posterior", "ACTIVE_VARIANCE",
           "ACTIVE_SHARE"]

#: Burda, Grosse & Salakhutdinov (2016): a unit is active when Cov_x(E_q[z_j | x]) > 0.01
ACTIVE_VARIANCE = 0.01
#: the scale-free version: a unit is active when its posterior means carry more than this
#: share of its aggregate variance, Var(mu_j) / (Var(mu_j) + E exp(logvar_j))
ACTIVE_SHARE = 0.01


def posterior_summary(mu: Any, logvar: Any) -> dict[str, Any]:
    """Exact moments of the aggregate posterior, active units and per-dimension KL.

    Returns a dict: ``mean`` (mean of mu), ``covariance`` (Cov(mu) + diag(E exp(logvar)),
    the exact covariance of q(z)), ``variance_of_means`` Var_i(mu_ij), ``mean_variance``
    E_i exp(logvar_ij), ``active_share`` Var(mu_j) / aggregate variance_j, ``active_burda``
    (Var(mu_j) > 0.01), ``active_calibrated`` (share > 0.01), ``inactive`` (units inactive by
    either rule), ``kl_per_dimension`` the average over x of KL(q(z_j | x) || N(0, 1)) in
    nats, ``kl_total``, and ``aggregate_kl``: KL(N(mean, covariance) || N(0, I)) of the
    aggregate's fitted Gaussian.
    """
    from .prior import gaussian_kl

    mu, logvar, _ = _validate(mu, logvar)
    var_mu = mu.var(axis=0)
    sig2 = np.exp(logvar)
    mean_var = sig2.mean(axis=0)
    cov = np.cov(mu, rowvar=False, bias=True).reshape(mu.shape[1], mu.shape[1]) + np.diag(mean_var)
    share = var_mu / (var_mu + mean_var)
    kl = 0.5 * (mu ** 2 + sig2 - 1.0 - logvar).mean(axis=0)
    burda = var_mu > ACTIVE_VARIANCE
    calibrated = share > ACTIVE_SHARE
    mean = mu.mean(axis=0)
    return {
        "n": int(mu.shape[0]), "d": int(mu.shape[1]),
        "mean": mean, "covariance": cov, "variance_of_means": var_mu, "mean_variance": mean_var,
        "active_share": share, "active_burda": burda, "active_calibrated": calibrated,
        "inactive": [int(j) for j in np.flatnonzero(~(burda & calibrated))],
        "kl_per_dimension": kl, "kl_total": float(kl.sum()),
        "aggregate_kl": gaussian_kl(mean, cov),
    }


def _validate(mu: Any, logvar: Any, nan_policy: str = "raise"
              ) -> tuple[np.ndarray, np.ndarray, int]:
    """(mu, logvar, inputs dropped for NaN / inf) as float64 (n, d) arrays."""
    if nan_policy not in ("raise", "omit"):
        raise OptionError(f"nan_policy must be 'raise' or 'omit'; got {nan_policy!r}")
    samples = []
    for name, arr in (("mu", mu), ("logvar", logvar)):
        try:
            samples.append(as_sample(arr, nan_policy=nan_policy))
        except NonFiniteError as exc:  # say which array
            raise NonFiniteError(f"{name}: {exc}",
                                 cli=f"{name}: {getattr(exc, 'cli_message', None) or exc}"
                                 ) from None
    sm, sl = samples
    if nan_policy == "omit":  # the rows (inputs) finite in both arrays
        rows_m = np.arange(sm.n) if sm.source_rows is None else np.asarray(sm.source_rows)
        rows_l = np.arange(sl.n) if sl.source_rows is None else np.asarray(sl.source_rows)
        both = np.intersect1d(rows_m, rows_l)
        if not both.size:
            raise NonFiniteError("every row has NaN or inf in mu or in logvar: nothing is "
                                 "left to test; check the encoder's outputs")
        m = sm.data[np.searchsorted(rows_m, both)]
        lv = sl.data[np.searchsorted(rows_l, both)]
    else:
        m, lv = sm.data, sl.data
    shape_m, shape_l = (sm.n + sm.dropped_rows, sm.d), (sl.n + sl.dropped_rows, sl.d)
    if shape_m != shape_l:
        raise ShapeError(f"mu and logvar must have the same shape (n, d); got {shape_m} and "
                         f"{shape_l}. Pass the encoder's means and log-variances for the same "
                         "inputs (CLI: --mu KEY --logvar KEY of one .npz).")
    if np.any(lv > 50) or np.any(lv < -60):
        raise ExtremeValueError("logvar holds values outside [-60, 50]: is it a log-variance (not a "
                         "standard deviation or a variance)? Pass log(sigma^2).")
    return m, lv, shape_m[0] - m.shape[0]


def _sample_aggregate(mu: np.ndarray, logvar: np.ndarray, seed: int) -> np.ndarray:
    eps = np.random.default_rng([seed, 20261202]).standard_normal(mu.shape)
    return mu + np.exp(0.5 * logvar) * eps


def assess_posterior(
    mu: Any, logvar: Any, *, null: str = "both", alpha: float = 0.05,
    tests: Sequence[str] | None = None, ignore: Sequence[str] = (), method: Any = "auto",
    rng: Any = None, weights: Any = None, nan_policy: str = "raise", progress: Any = None,
):
    """Test a VAE's aggregate posterior against the prior and name its inactive units.

    Parameters
    ----------
    mu, logvar : array_like, shape (n, d)
        The encoder's posterior means and log-variances log(sigma^2) for n inputs.
    null, alpha, tests, ignore, method, weights, progress
        As in :func:`gausstest.assess`.
    nan_policy : {"raise", "omit"}
        "omit" drops the inputs (rows) where mu or logvar is NaN or infinite.
    rng : None or int
        Seed of the one draw z_i ~ q(z | x_i) per input (and the base seed of the tests).

    Returns
    -------
    Report
        The report of :func:`gausstest.assess` on z_i = mu_i + exp(logvar_i / 2) eps_i (one
        draw per input: a sample of the aggregate posterior q(z)), with ``posterior``
        (:func:`posterior_summary`: exact mean and covariance of q(z), active units by
        Burda et al.'s rule Var(mu_j) > 0.01 and by the scale-free share Var(mu_j) /
        (Var(mu_j) + E sigma_j^2) > 0.01, KL(q(z_j | x) || N(0, 1)) per dimension averaged
        over x) and an ``inactive_units`` diagnosis naming every inactive unit, stated even
        when the samples pass every test.

    Notes
    -----
    The samples of q(z) are what a generative model's prior must match, so the questions
    and the verdict are about them. Inactive units do not make q(z) non-Gaussian (along
    them q(z_j) is the prior itself), so they do not change the verdict; the report says
    in words when the samples look Gaussian while units are inactive.

    References
    ----------
    Burda, Y., Grosse, R. & Salakhutdinov, R. (2016). Importance weighted autoencoders.
    ICLR. arXiv:1509.00519 (section 5.2, active units).

    Examples
    --------
    >>> import gausstest as gt
    >>> from gausstest.posterior import vae_like_posterior
    >>> mu, logvar = vae_like_posterior(500, 6, inactive=[1, 4], rng=0)
    >>> rep = gt.assess_posterior(mu, logvar, tests=["prior_moments", "radii"])
    >>> rep.posterior["inactive"]
    [1, 4]
    """
    from .battery import assess
    from .diagnosis import Diagnosis, describe_number
    from .pvalues import base_seed

    m, lv, dropped = _validate(mu, logvar, nan_policy)
    seed = base_seed(rng)
    z = _sample_aggregate(m, lv, seed)
    rep = assess(z, null=null, alpha=alpha, tests=tests, ignore=ignore, method=method, rng=seed,
                 weights=weights, progress=progress)
    summ = posterior_summary(m, lv)
    records = list(rep.diagnoses)
    findings = list(rep.findings)
    inactive = summ["inactive"]
    if inactive:
        var_mu, kl = summ["variance_of_means"], summ["kl_per_dimension"]
        listed = ", ".join(f"{j} (Var(mu) {describe_number(var_mu[j])}, KL "
                           f"{describe_number(kl[j])} nats)" for j in inactive[:16])
        more = f" and {len(inactive) - 16} more" if len(inactive) > 16 else ""
        mean_var = summ["mean_variance"]
        # "the prior's own noise" only where the posterior variance is the prior's (an
        # encoder that outputs a constant mu with logvar = -30 has a KL of 14.5 nats and an
        # aggregate of variance 1e-13 along the unit: collapsed, not the prior; sweep 7)
        off = [j for j in inactive if not 0.5 <= float(mean_var[j]) <= 2.0]
        tail = ("the aggregate posterior is the prior's own noise there" if not off else
                "the aggregate posterior is the prior's own noise there, except along "
                + ", ".join(f"{j} (E[sigma^2] {f'{float(mean_var[j]):.2g}'})" for j in off[:16])
                + ", where the posterior variance is not the prior's 1: the aggregate has "
                "variance about " + ", ".join(f'{float(var_mu[j] + mean_var[j]):.2g}'
                                              for j in off[:16])
                + " there, not 1" if len(off) < len(inactive) else
                "the posterior variance is not the prior's 1 either (E[sigma^2] "
                + ", ".join(f'{float(mean_var[j]):.2g}' for j in off[:16])
                + "): the aggregate posterior has variance about "
                + ", ".join(f'{float(var_mu[j] + mean_var[j]):.2g}' for j in off[:16])
                + " there, not the prior's 1")
        words = (f"{'unit' if len(inactive) == 1 else 'units'} {listed}{more} "
                 f"{'is' if len(inactive) == 1 else 'are'} inactive: the posterior means do "
                 "not move (Burda et al.: Var(mu) <= 0.01, or under 1% of the aggregate "
                 "variance), so the decoder ignores "
                 f"{'it' if len(inactive) == 1 else 'them'}; {tail}")
        if rep.passed:
            words += ("; the posterior samples look Gaussian (every test passes) while "
                      f"{len(inactive)} of {summ['d']} units are inactive")
        rec = Diagnosis(
            kind="inactive_units", question="prior_match", tests=(),
            check="Var_i(mu_ij) > 0.01 (Burda et al. 2016) and Var(mu_j) / aggregate variance "
                  "> 0.01", pvalue=float("nan"), dimensions=tuple(inactive),
            magnitude=float(max(var_mu[j] for j in inactive)),
            magnitude_name="largest variance of the posterior means", text=words,
            extra={"variance_of_means": {str(j): float(var_mu[j]) for j in inactive},
                   "kl": {str(j): float(kl[j]) for j in inactive}})
        records.insert(0, rec)
        findings.insert(0 if not rep.passed else 1, f"[prior match] {words}")
    info = {k: v for k, v in summ.items()}
    notes = list(rep.notes) + ([f"{dropped} input{'' if dropped == 1 else 's'} with NaN/inf in "
                                "mu or logvar dropped (nan_policy='omit', --nan-policy omit)"]
                               if dropped > 0 else []) + [
        f"tested on one draw z_i ~ q(z | x_i) per input (seed {seed}): a sample of the aggregate "
        "posterior q(z)"]
    return replace(rep, diagnoses=tuple(records), findings=tuple(findings), posterior=info,
                   notes=tuple(notes))


def vae_like_posterior(
    n: int, d: int, *, inactive: int | Sequence[int] = 2, rng: Any = None,
    posterior_sd: float = 0.3, inactive_mean_sd: float = 0.005,
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded (mu, logvar) of a VAE-like encoder with known inactive units.

    Active units: mu_ij ~ N(0, 1 - s^2) and logvar_ij = log(s^2) + N(0, 0.1^2), s =
    ``posterior_sd``, so the aggregate posterior is close to N(0, 1) along them. Inactive
    units: mu_ij ~ N(0, ``inactive_mean_sd``^2) and logvar_ij ~ N(0, 0.02^2): the posterior
    is the prior whatever the input, its samples are N(0, 1), and only mu reveals it.
    ``inactive`` is a count (the last units) or a list of unit indices.
    """
    g = np.random.default_rng(rng)
    idx = (list(range(d - int(inactive), d)) if isinstance(inactive, (int, np.integer))
           else sorted(int(j) for j in inactive))
    if any(j < 0 or j >= d for j in idx):
        raise ValueError(f"inactive units must be in [0, {d}); got {idx}")
    s2 = posterior_sd ** 2
    mu = g.standard_normal((n, d)) * np.sqrt(1 - s2)
    logvar = np.log(s2) + 0.1 * g.standard_normal((n, d))
    mu[:, idx] = inactive_mean_sd * g.standard_normal((n, len(idx)))
    logvar[:, idx] = 0.02 * g.standard_normal((n, len(idx)))
    return mu, logvar
