"""Pictures of a latent sample against N(0, I) (the ``plots`` extra: matplotlib).

Each picture answers one question a person asks of a latent sample, and draws
what N(0, I) would give at the same (n, d) beside it:

* :func:`radii_qq`: squared radii ``||z||^2`` against chi2(d) (prior match), or the
  squared Mahalanobis radii against their exact Beta law (shape). A thin shell is a
  flat line through the middle; heavy tails bend up at the right.
* :func:`worst_projection`: histogram of the sample along its worst direction (the
  one the ``projections`` test names) with the N(0, 1) density: two clusters show
  as two humps.
* :func:`marginal_qq`: normal Q-Q plots of the worst coordinates (those the
  ``marginals`` test names): a collapsed coordinate is a flat line.
* :func:`spectrum`: covariance eigenvalues against their law under N(0, I) at this
  (n, d) (a simulated 95% band per rank and the Marchenko-Pastur edges); collapsed
  and inflated directions are marked and named by their largest loadings.
* :func:`coverage_by_radius`: k-NN coverage of prior points, and precision of the
  latent points, by radius, against the range N(0, I) samples give: holes and
  shells show as dips at the radii they live at.

:func:`overview` puts them in one figure (``Report.plot()``), :func:`save_plots`
writes PNGs (``gausstest report --plots DIR``) and :func:`png_images` gives the
base64 PNGs the HTML report embeds. Every band is pointwise 95% under N(0, I) (or
the fitted Gaussian for the Beta law), simulated or exact, so a curve outside its
band in one place is not by itself a rejection: the tests decide, the pictures show
where. matplotlib is imported only here, and only through the object API (no
pyplot state, no display needed).
"""

from __future__ import annotations

import base64
import io
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from scipy import stats

from .sample import Sample, as_sample

__all__ = [
    "have_matplotlib", "PLOTS_HINT", "PANELS", "radii_qq", "worst_projection", "marginal_qq",
    "spectrum", "spectrum_flags", "coverage_by_radius", "overview", "panel_figures", "save_plots", "png_images",
]

#: what the HTML and errors say when matplotlib is missing
PLOTS_HINT = "pictures need matplotlib: pip install 'gausstest[plots]' (or pip install matplotlib)"

#: file stem and title of each picture :func:`panel_figures` draws
PANELS: tuple[tuple[str, str], ...] = (
    ("radii", "Squared radii against chi2(d)"),
    ("radii_beta", "Mahalanobis radii against their Beta law"),
    ("worst_projection", "Histogram along the worst direction"),
    ("marginals", "Q-Q plots of the worst coordinates"),
    ("spectrum", "Covariance eigenvalues against N(0, I)"),
    ("coverage", "k-NN coverage by radius"),
)

_MAX_POINTS = 2000  # plotted quantiles per Q-Q curve (all rows enter the quantiles)
_DATA = "#1f5fbf"
_NULL = "#888888"
_BAD = "#cf222e"


def have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _figure(figsize):
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(PLOTS_HINT) from None
    return Figure(figsize=figsize, layout="constrained")


def _axes(ax, figsize=(5.0, 4.0)):
    if ax is not None:
        return ax.figure, ax
    fig = _figure(figsize)
    return fig, fig.add_subplot()


def _sample_of(obj: Any) -> tuple[Sample, Any]:
    """(sample, report or None) from a Report (which keeps its sample) or any array."""
    from .report import Report

    if isinstance(obj, Report):
        if obj.sample is None:
            raise ValueError("this Report keeps no sample (it was not made by assess); "
                             "pass the latent array to the plot function instead")
        return obj.sample, obj
    return as_sample(obj), None


def _result(report, test: str, prefer: Sequence[str] = ("standard", "gaussian")):
    if report is None:
        return None
    for null in prefer:
        for r in report.results:
            if r.test == test and r.null == null:
                return r
    return None


def _plot_positions(n: int) -> np.ndarray:
    """Indices of at most _MAX_POINTS order statistics, always the extremes."""
    if n <= _MAX_POINTS:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, _MAX_POINTS)).astype(int))


def _qq(ax, observed: np.ndarray, ppf, *, label: str, band: bool = True) -> None:
    """Sorted ``observed`` against ``ppf`` of the plotting positions (i - 0.5) / n, with the
    pointwise 95% band of the order statistics (U_(i) ~ Beta(i, n - i + 1), mapped by ppf)."""
    x = np.sort(np.asarray(observed, dtype=float))
    n = x.size
    idx = _plot_positions(n)
    i = idx + 1.0
    theo = ppf((i - 0.5) / n)
    if band:
        lo = ppf(stats.beta.ppf(0.025, i, n - i + 1))
        hi = ppf(stats.beta.ppf(0.975, i, n - i + 1))
        ax.fill_between(theo, lo, hi, color=_NULL, alpha=0.25, lw=0,
                        label="95% band of the null law")
    ax.plot(theo, x[idx], ".", ms=3, color=_DATA, label=label)
    lim = [min(theo.min(), x.min()), max(theo.max(), x.max())]
    ax.plot(lim, lim, "-", color="black", lw=0.8)


def radii_qq(z: Any, *, null: str = "standard", ax=None):
    """Q-Q plot of squared radii: ``||z||^2`` against chi2(d) (``null="standard"``) or
    the squared Mahalanobis radii ``r`` against ``(n - 1) Beta(d/2, (n - d - 1)/2)``
    (``null="gaussian"``, exact for any n; Gnanadesikan & Kettenring 1972).

    Under the null the points follow the diagonal inside the grey band. A thin shell
    is a nearly flat run of points through the middle, a too-wide or heavy-tailed
    radial law bends up at the right, a too-narrow one down. Returns the figure.
    """
    sample, _ = _sample_of(z)
    fig, ax = _axes(ax)
    n, d = sample.n, sample.d
    if null == "standard":
        _qq(ax, sample.radii, lambda p: stats.chi2.ppf(p, d), label="||z||²")
        ax.set_xlabel(f"chi2({d}) quantile")
        ax.set_ylabel("sorted ||z||²")
        ax.set_title("Squared radii vs chi2(d)", fontsize=10)
    elif null == "gaussian":
        try:
            r = sample.mahalanobis
        except ValueError as exc:  # too few rows or singular covariance
            _unavailable(ax, "Mahalanobis radii", str(exc))
            return fig
        a, b = d / 2.0, (n - d - 1) / 2.0
        _qq(ax, r, lambda p: (n - 1) * stats.beta.ppf(p, a, b), label="(z-m)' S⁻¹ (z-m)")
        ax.set_xlabel(f"(n-1) Beta({d}/2, ({n}-{d}-1)/2) quantile")
        ax.set_ylabel("sorted squared Mahalanobis radius")
        ax.set_title("Mahalanobis radii vs their Beta law (fitted Gaussian)", fontsize=10)
    else:
        raise ValueError(f"null must be 'standard' or 'gaussian'; got {null!r}")
    ax.legend(fontsize=7, loc="upper left")
    return fig


def _unavailable(ax, what: str, why: str) -> None:
    import textwrap

    ax.text(0.5, 0.5, f"{what}: not available\n" + textwrap.fill(why, 50),
            ha="center", va="center", fontsize=7, transform=ax.transAxes, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])


def _worst_direction(sample: Sample, report, null: str) -> tuple[np.ndarray, str, str]:
    """(unit direction, its description, null it applies to) from the report's
    projections result, else computed as that test does (no p-value needed)."""
    r = _result(report, "projections", prefer=(null, "standard", "gaussian"))
    if r is not None:
        return (np.asarray(r.details["worst_direction"], dtype=float),
                str(r.details["worst_direction_text"]), r.null)
    from .projections import _per_direction, projection_directions

    x = sample.prepared(null)
    u = projection_directions(sample.d)
    ad, _ = _per_direction(x, u)
    worst = int(np.argmax(ad))
    from .projections import _describe

    return u[:, worst], _describe(u[:, worst]), null


def worst_projection(z: Any, report=None, *, null: str = "standard", ax=None, bins: int | None = None):
    """Histogram of the sample along its worst direction with the N(0, 1) density.

    The direction is the one the ``projections`` test of ``report`` names (the
    largest Anderson-Darling distance to N(0, 1) over the axes and max(50, 4d)
    seeded random directions); without a report it is found the same way. Under
    ``null="gaussian"`` the sample is whitened first. Two clusters show as two humps,
    a shift as a displaced hump, a collapse as a spike. Returns the figure.
    """
    sample, rep = _sample_of(z)
    report = report if report is not None else rep
    fig, ax = _axes(ax)
    u, text, used = _worst_direction(sample, report, null)
    try:
        v = sample.prepared(used) @ u
    except ValueError as exc:
        _unavailable(ax, "worst projection", str(exc))
        return fig
    lo, hi = min(v.min(), -4.0), max(v.max(), 4.0)
    nb = bins or int(np.clip(np.sqrt(v.size), 15, 80))
    ax.hist(v, bins=np.linspace(lo, hi, nb + 1), density=True, color=_DATA, alpha=0.6,
            label=f"u'z, n = {v.size}")
    t = np.linspace(lo, hi, 400)
    ax.plot(t, stats.norm.pdf(t), color="black", lw=1.2, label="N(0, 1) density")
    ax.set_xlabel("u'z" if used == "standard" else "u'y (whitened)")
    ax.set_ylabel("density")
    short = text if len(text) <= 60 else text[:57] + "..."
    ax.set_title(f"Worst direction u = {short}", fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    return fig


def _worst_dims(sample: Sample, report, null: str, k: int) -> tuple[list[int], str]:
    r = _result(report, "marginals", prefer=(null, "standard", "gaussian"))
    if r is not None:
        dims = [int(w["index"]) for w in r.details["worst"]][:k]
        if len(dims) >= min(k, sample.d):
            return dims, r.null
    # the same ranking without a report: KS distance of each coordinate to N(0, 1)
    x = sample.prepared(null)
    xs = np.sort(x, axis=0)
    n = x.shape[0]
    cdf = stats.norm.cdf(xs)
    grid = np.arange(1, n + 1)[:, None] / n
    ks = np.maximum(np.abs(grid - cdf), np.abs(grid - 1.0 / n - cdf)).max(axis=0)
    return [int(j) for j in np.argsort(-ks, kind="stable")[:k]], null


def marginal_qq(z: Any, report=None, *, null: str = "standard", k: int = 6, fig=None):
    """Normal Q-Q plots of the ``k`` worst coordinates (those the ``marginals`` test
    names, else by KS distance to N(0, 1)), each with the 95% band of N(0, 1) order
    statistics. Under ``null="gaussian"`` the whitened coordinates are shown. A
    collapsed coordinate is a flat line, a shifted one sits off the diagonal, a
    bimodal one is an S. ``fig`` may be a matplotlib (Sub)Figure to draw into.
    Returns the figure.
    """
    sample, rep = _sample_of(z)
    report = report if report is not None else rep
    dims, used = _worst_dims(sample, report, null, min(k, sample.d))
    cols = min(3, len(dims)) if len(dims) != 4 else 2
    rows = int(np.ceil(len(dims) / cols))
    owner = fig if fig is not None else _figure((3.0 * cols, 2.6 * rows))
    try:
        x = sample.prepared(used)
    except ValueError as exc:
        _unavailable(owner.add_subplot(), "marginal Q-Q", str(exc))
        return owner
    axes = owner.subplots(rows, cols, squeeze=False)
    for a, j in zip(axes.ravel(), dims):
        col = x[:, j]
        _qq(a, col, stats.norm.ppf, label=f"z[{j}]")
        a.set_title(f"{'z' if used == 'standard' else 'y'}[{j}]: mean {col.mean():+.2f}, "
                    f"sd {col.std():.3g}", fontsize=8)
        a.tick_params(labelsize=7)
    for a in axes.ravel()[len(dims):]:
        a.set_visible(False)
    owner.supxlabel("N(0, 1) quantile", fontsize=8)
    owner.supylabel("sorted coordinate", fontsize=8)
    return owner if fig is not None else owner


def _null_spectrum(n: int, d: int, draws: int, rng: Any) -> np.ndarray:
    """Sorted eigenvalues (ascending) of the MLE covariance of N(0, I_d) samples of n
    rows: n S ~ Wishart(n - 1, I) by Bartlett's decomposition when n - 1 >= d, else
    simulated from the rows themselves. Shape (draws, d)."""
    g = np.random.default_rng(rng)
    out = np.empty((draws, d))
    if n - 1 >= d:
        tri = np.tril_indices(d, -1)
        for t in range(draws):
            lower = np.zeros((d, d))
            lower[np.diag_indices(d)] = np.sqrt(g.chisquare(np.arange(n - 1, n - 1 - d, -1.0)))
            lower[tri] = g.standard_normal(tri[0].size)
            out[t] = np.linalg.eigvalsh(lower @ lower.T) / n
    else:
        for t in range(draws):
            x = g.standard_normal((n, d))
            x -= x.mean(axis=0)
            out[t] = np.linalg.eigvalsh(x.T @ x / n)
    return out


def spectrum_flags(z: Any, *, draws: int = 200, rng: Any = 0) -> dict[str, Any]:
    """Covariance eigenvalues (largest first) against their law under N(0, I) at this (n, d).

    Returns a dict: ``eigenvalues`` (descending) and ``eigenvectors`` (columns, same
    order), ``null_eigenvalues`` (draws x d, each row descending), ``low_cut`` (the 0.5%
    point of the smallest null eigenvalue), ``high_cut`` (the 99.5% point of the largest),
    ``below`` / ``inflated``: ranks (0-based) of the eigenvalues beyond them, and
    ``collapsed``: those of ``below`` under 0.1 of the median eigenvalue and of 1 (the
    report's word; a direction at 0.7 is below the prior's band, not collapsed). With
    ``draws`` = 200 and N(0, I) data a flag happens on about 1-2% of samples (1.7% of
    300 seeded samples at n = 500, d = 8; the cuts are themselves estimated).
    """
    sample = as_sample(z)
    n, d = sample.n, sample.d
    w, v = sample.eigh
    w, v = w[::-1], v[:, ::-1]
    null = np.sort(_null_spectrum(n, d, draws, rng), axis=1)[:, ::-1]
    low_cut = float(np.quantile(null[:, -1], 0.005))
    high_cut = float(np.quantile(null[:, 0], 0.995))
    return {"eigenvalues": w, "eigenvectors": v, "null_eigenvalues": null,
            "low_cut": low_cut, "high_cut": high_cut,
            "below": [int(i) for i in np.flatnonzero(w < low_cut)],
            "collapsed": [int(i) for i in np.flatnonzero(
                (w < low_cut) & (w < 0.1 * min(float(np.median(w)), 1.0)))],
            "inflated": [int(i) for i in np.flatnonzero(w > high_cut)]}


def spectrum(z: Any, report=None, *, ax=None, draws: int = 200, rng: Any = 0):
    """Covariance eigenvalues, largest first, against N(0, I) at the same (n, d).

    The grey band is the pointwise 95% range of each ranked eigenvalue of the MLE
    covariance of ``draws`` simulated N(0, I) samples of this (n, d) (exact Wishart
    draws); the dashed lines are the Marchenko-Pastur edges (1 +- sqrt(d / n))^2,
    their large-(n, d) limit. Eigenvalues below the 0.5% point of the smallest null
    eigenvalue are marked as below N(0, I) (collapsed under 0.1 of the median and of 1),
    above the 99.5% point of the largest as inflated; up to three of each are listed
    (rank, eigenvalue) with their largest loadings, unless a neighbour's eigenvalue is
    within 10% (then the direction is not determined). Returns the figure.
    """
    sample, _ = _sample_of(z)
    fig, ax = _axes(ax)
    n, d = sample.n, sample.d
    flags = spectrum_flags(sample, draws=draws, rng=rng)
    w, v, null = flags["eigenvalues"], flags["eigenvectors"], flags["null_eigenvalues"]
    rank = np.arange(1, d + 1)
    lo, hi = np.quantile(null, [0.025, 0.975], axis=0)
    floor = max(float(w.max()) * 1e-12, 1e-300)
    shown = np.maximum(w, floor)
    ax.fill_between(rank, lo, hi, color=_NULL, alpha=0.3, lw=0, step="mid",
                    label="95% band, N(0, I) at this (n, d)")
    gamma = d / n
    if gamma < 1:
        for edge in ((1 - np.sqrt(gamma)) ** 2, (1 + np.sqrt(gamma)) ** 2):
            ax.axhline(edge, color=_NULL, ls="--", lw=0.8)
    ax.axhline(1.0, color="black", lw=0.6)
    low_cut, high_cut = flags["low_cut"], flags["high_cut"]
    bad = np.zeros(d, dtype=bool)
    bad[flags["below"] + flags["inflated"]] = True
    ax.plot(rank[~bad], shown[~bad], "o", ms=4, color=_DATA, label="eigenvalues of cov(z)")
    if bad.any():
        ax.plot(rank[bad], shown[bad], "o", ms=6, color=_BAD, label="outside N(0, I)")
        marked = np.flatnonzero(bad)
        collapsed = set(flags["collapsed"])
        # name at most 3 low and 3 high directions by their largest loadings; a direction
        # whose eigenvalue is within 10% of a neighbour's has no loadings of its own
        # (near-equal eigenvalues span a subspace, inside which any basis will do)
        lines = []
        for i in [*marked[w[marked] > high_cut][:3], *marked[w[marked] < low_cut][-3:]]:
            what = ("collapsed" if i in collapsed else "below N(0, I)" if w[i] < low_cut
                    else "inflated")
            near = [k for k in (i - 1, i + 1)
                    if 0 <= k < d and abs(w[k] - w[i]) <= 0.1 * max(abs(w[i]), abs(w[k]))]
            if near:
                text = "(a subspace with its neighbours: no single direction)"
            else:
                j = np.argsort(-np.abs(v[:, i]))[:3]
                text = " ".join(f"{v[k, i]:+.2f}z[{k}]" for k in j if abs(v[k, i]) >= 0.2)
            lines.append(f"#{i + 1} {what} ({w[i]:.2g}): {text}")
        extra = len(marked) - len(lines)
        if extra > 0:
            lines.append(f"... and {extra} more outside the band")
        ax.text(0.98, 0.98, "\n".join(lines), transform=ax.transAxes, ha="right", va="top",
                fontsize=7, color=_BAD, bbox={"facecolor": "white", "alpha": 0.8, "lw": 0})
    ax.set_yscale("log")
    ax.set_xlabel("rank")
    ax.set_ylabel("eigenvalue (log scale)")
    ax.set_title("Covariance spectrum vs Marchenko-Pastur (dashed)", fontsize=10)
    ax.legend(fontsize=7, loc="best")
    return fig


def _per_point_coverage(y: np.ndarray, x: np.ndarray, r2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(covered per reference point, inside per latent point): the per-point flags
    behind :func:`gausstest.coverage.coverage_statistics` (same definition)."""
    d2 = (np.einsum("ij,ij->i", y, y)[:, None] + np.einsum("ij,ij->i", x, x)[None, :]
          - 2.0 * (y @ x.T))
    mask = d2 <= r2[None, :]
    return mask.any(axis=0), mask.any(axis=1)


def coverage_by_radius(z: Any, *, ax=None, bins: int = 10, draws: int = 19, k: int = 5,
                       max_n: int = 1000, rng: Any = 0):
    """k-NN coverage of the prior, and precision of the sample, by radius.

    The same construction as the ``coverage`` test (Naeem et al. 2020): a seeded
    reference sample x of N(0, I) (as many rows as the sample uses, at most
    ``max_n``), each reference point's ball reaching its k-th nearest reference
    neighbour. Blue: the fraction of reference points at radius ||x|| whose ball holds
    a latent point (coverage; a hole or a shell leaves radii uncovered). Orange: the
    fraction of latent points at radius ||z|| inside some reference ball (precision;
    mass off the prior falls). Grey: the 90% range of each curve for ``draws`` N(0, I)
    samples of the same size. Bins are deciles of the chi(d) law. Returns the figure.
    """
    from .coverage import _reference, _subsample, knn_sq_radii  # noqa: F401

    sample, _ = _sample_of(z)
    fig, ax = _axes(ax)
    d = sample.d
    y, _ = _subsample(sample.data, min(sample.n, max_n))
    m = y.shape[0]
    if m <= k:
        _unavailable(ax, "coverage", f"needs more than k = {k} rows")
        return fig
    x, r2 = _reference(m, d, k, 0)
    edges = np.sqrt(stats.chi2.ppf(np.linspace(0, 1, bins + 1), d))
    edges[-1] = np.inf
    mids = np.sqrt(stats.chi2.ppf((np.arange(bins) + 0.5) / bins, d))

    def binned(flags, radius):
        idx = np.clip(np.searchsorted(edges, radius, side="right") - 1, 0, bins - 1)
        tot = np.bincount(idx, minlength=bins)
        hit = np.bincount(idx, weights=flags.astype(float), minlength=bins)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(tot > 0, hit / np.maximum(tot, 1), np.nan)

    rx = np.linalg.norm(x, axis=1)
    g = np.random.default_rng(rng)
    null_cov, null_prec = [], []
    for _ in range(draws):
        s = g.standard_normal((m, d))
        c, p = _per_point_coverage(s, x, r2)
        null_cov.append(binned(c, rx))
        null_prec.append(binned(p, np.linalg.norm(s, axis=1)))
    cov, prec = _per_point_coverage(y, x, r2)
    ry = np.linalg.norm(y, axis=1)
    for curve, band, colour, label in (
            (binned(cov, rx), np.array(null_cov), _DATA, "coverage of prior points at radius r"),
            (binned(prec, ry), np.array(null_prec), "#e07b00", "precision of latent points at radius r")):
        with warnings.catch_warnings():  # a radius bin no row of a small sample reaches
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi = np.nanquantile(band, [0.05, 0.95], axis=0)
        ax.fill_between(mids, lo, hi, color=colour, alpha=0.15, lw=0)
        ax.plot(mids, curve, "o-", color=colour, ms=4, label=label)
    counts = np.bincount(np.clip(np.searchsorted(edges, ry, side="right") - 1, 0, bins - 1),
                         minlength=bins) / m
    ax2 = ax.twinx()
    ax2.bar(mids, counts, width=np.diff(mids).mean() * 0.5 if bins > 1 else 0.5,
            color=_NULL, alpha=0.25)
    ax2.axhline(1.0 / bins, color=_NULL, ls=":", lw=0.8)
    ax2.set_ylabel("share of latent rows per bin (dotted: N(0, I))", fontsize=7)
    ax2.tick_params(labelsize=7)
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlabel("radius r (bins: deciles of chi(d))")
    ax.set_ylabel("fraction")
    ax.set_title(f"k-NN coverage by radius (k = {k}, {m} rows; bands: N(0, I))", fontsize=10)
    ax.legend(fontsize=7, loc="lower center")
    return fig


def panel_figures(report_or_z: Any, report=None) -> list[tuple[str, str, Any]]:
    """Each picture as its own figure: [(stem, title, figure)], in :data:`PANELS` order.

    The Beta-law radii panel is left out when the composite null cannot be fitted
    (n <= d + 1 or a singular covariance)."""
    sample, rep = _sample_of(report_or_z)
    report = report if report is not None else rep
    out = []
    for stem, title in PANELS:
        if stem == "radii":
            fig = radii_qq(sample, null="standard")
        elif stem == "radii_beta":
            try:
                sample.require_composite()
            except ValueError:
                continue
            fig = radii_qq(sample, null="gaussian")
        elif stem == "worst_projection":
            fig = worst_projection(sample, report)
        elif stem == "marginals":
            fig = marginal_qq(sample, report)
        elif stem == "spectrum":
            fig = spectrum(sample, report)
        else:
            fig = coverage_by_radius(sample)
        out.append((stem, title, fig))
    return out


def overview(report_or_z: Any, report=None, *, title: str | None = None):
    """All pictures in one figure (what ``Report.plot()`` returns): radii against
    chi2(d) and against the Beta law, the worst direction, the worst coordinates, the
    covariance spectrum and coverage by radius."""
    sample, rep = _sample_of(report_or_z)
    report = report if report is not None else rep
    fig = _figure((16.0, 9.5))
    grid = fig.add_gridspec(2, 3)
    radii_qq(sample, null="standard", ax=fig.add_subplot(grid[0, 0]))
    beta_ax = fig.add_subplot(grid[0, 1])
    try:
        sample.require_composite()
        radii_qq(sample, null="gaussian", ax=beta_ax)
    except ValueError as exc:
        _unavailable(beta_ax, "Mahalanobis radii", str(exc))
    worst_projection(sample, report, ax=fig.add_subplot(grid[0, 2]))
    sub = fig.add_subfigure(grid[1, 0])
    marginal_qq(sample, report, k=4, fig=sub)
    sub.suptitle("Worst coordinates (normal Q-Q)", fontsize=10)
    spectrum(sample, report, ax=fig.add_subplot(grid[1, 1]))
    coverage_by_radius(sample, ax=fig.add_subplot(grid[1, 2]))
    head = title
    if head is None and report is not None:
        head = (f"{report.source + ': ' if report.source else ''}n = {sample.n}, d = {sample.d}, "
                f"verdict {report.verdict.upper()}")
    fig.suptitle(head or f"n = {sample.n}, d = {sample.d}", fontsize=12)
    return fig


def _png(fig, dpi: int = 90) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def save_plots(report_or_z: Any, folder: str | Path, *, stem: str = "latents",
               report=None, dpi: int = 110) -> list[Path]:
    """Write one PNG per picture and the overview into ``folder`` (created if missing),
    named ``<stem>-<picture>.png``; never overwrites anything but those names.
    Returns the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, _, fig in panel_figures(report_or_z, report):
        path = folder / f"{stem}-{name}.png"
        fig.savefig(path, dpi=dpi)
        written.append(path)
    path = folder / f"{stem}-overview.png"
    overview(report_or_z, report).savefig(path, dpi=dpi)
    written.append(path)
    return written


def png_images(report_or_z: Any, report=None, *, dpi: int = 96) -> list[dict[str, str]]:
    """The pictures as base64 PNGs for the HTML report: [{"name", "title", "png_base64"}]."""
    return [{"name": name, "title": title,
             "png_base64": base64.b64encode(_png(fig, dpi)).decode("ascii")}
            for name, title, fig in panel_figures(report_or_z, report)]
