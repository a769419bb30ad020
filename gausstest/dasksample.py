"""Dask arrays: exact sufficient statistics over every row, the rest on a stated subsample.

A ``dask.array`` of shape (n, d) (or a zarr store opened through ``dask.array.from_zarr``)
may not fit in memory. :func:`gausstest.assess` then

* computes the column sums, the centred Gram matrix and the centred third and fourth
  column moments over **all** rows as Dask reductions (two passes over the data, float64
  accumulation): the mean, the MLE covariance and each column's skewness and excess
  kurtosis are exact. ``prior_moments`` (alias ``prior_match``), whose statistic is a function of the mean and the
  covariance alone, runs on them, at n = all rows;
* draws a seeded subsample of rows through Dask (only the chunks holding them are read)
  and runs every other test on it, in memory.

The report's notes say which statistic saw how many rows; each result's ``n`` is the
number of rows it used. Dask is an optional extra (``pip install 'gausstest[dask]'``);
gausstest imports it only when it is handed a Dask array.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import DtypeError, InputError, NonFiniteError, ShapeError, TooFewSamplesError
from .sample import Sample

__all__ = ["is_dask_array", "DaskMoments", "dask_moments", "dask_subsample", "subsample_rows",
           "EXACT_TESTS"]

#: tests whose statistic needs only the exact all-row summaries (mean, covariance)
EXACT_TESTS = ("prior_moments", "prior_match", "mean_zero")

#: rows of the in-memory subsample: 100,000, fewer where d makes that over 2^24 values
SUBSAMPLE_ROWS = 100_000
SUBSAMPLE_FLOATS = 1 << 24


def is_dask_array(z: Any) -> bool:
    """True for a ``dask.array.Array`` (checked without importing dask)."""
    t = type(z)
    return t.__module__.startswith("dask.") and t.__name__ == "Array" and hasattr(z, "dask")


def subsample_rows(n: int, d: int, rows: int | None = None) -> int:
    """Rows drawn into memory for the tests that need the data itself."""
    m = SUBSAMPLE_ROWS if rows is None else int(rows)
    return int(min(n, max(1, min(m, SUBSAMPLE_FLOATS // max(d, 1)))))


@dataclass(frozen=True, kw_only=True)
class DaskMoments:
    """Exact summaries of every row of a Dask array (float64 accumulation)."""

    n: int
    d: int
    mean: np.ndarray
    #: maximum-likelihood covariance (divisor n)
    cov: np.ndarray
    #: per-column skewness g1 = m3 / m2^1.5 and excess kurtosis g2 = m4 / m2^2 - 3 (the
    #: biased moment estimators, as scipy.stats.skew / kurtosis)
    skewness: np.ndarray
    excess_kurtosis: np.ndarray
    nonfinite_rows: int


def _check(x: Any) -> tuple[int, int]:
    if x.ndim != 2:
        raise ShapeError(f"z must be 2-D (n, d); got a Dask array of shape {x.shape}")
    n, d = x.shape
    if not (isinstance(n, (int, np.integer)) and np.isfinite(n)):
        raise ShapeError("the Dask array has unknown chunk sizes (its row count is nan); "
                         "call z.compute_chunk_sizes() first")
    kind = np.dtype(x.dtype).kind
    if kind not in "biuf":
        raise DtypeError(f"z has non-numeric dtype {x.dtype}; pass a numeric (n, d) Dask array")
    if d == 0:
        raise ShapeError(f"z has no columns (shape {x.shape})")
    if n < 3:
        raise TooFewSamplesError(f"need at least 3 rows (samples); got {n}")
    return int(n), int(d)


def dask_moments(x: Any) -> DaskMoments:
    """Mean, covariance and per-column moments of every row, as two Dask passes.

    Raises :class:`NonFiniteError` if any row holds NaN or inf (filter them with Dask
    first: Dask arrays with dropped rows have unknown chunk sizes).
    """
    import dask
    import dask.array as da

    n, d = _check(x)
    x64 = x.astype(np.float64)
    bad_rows = (~da.isfinite(x64).all(axis=1)).sum()
    total, bad = dask.compute(x64.sum(axis=0), bad_rows)
    if int(bad):
        raise NonFiniteError(
            f"{int(bad)} of {n} rows contain NaN or inf; drop them with Dask first, e.g. "
            "z = z[da.isfinite(z).all(axis=1)].compute_chunk_sizes()")
    mean = total / n
    c = x64 - mean
    gram, m3, m4 = dask.compute(c.T @ c, (c ** 3).sum(axis=0), (c ** 4).sum(axis=0))
    cov = np.asarray(gram) / n
    var = np.diag(cov).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        skew = (np.asarray(m3) / n) / var ** 1.5
        kurt = (np.asarray(m4) / n) / var ** 2 - 3.0
    return DaskMoments(n=n, d=d, mean=mean, cov=cov, skewness=skew, excess_kurtosis=kurt,
                       nonfinite_rows=0)


def dask_subsample(x: Any, rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` rows drawn without replacement by a seeded generator, read through Dask
    (only the chunks that hold them are computed): (row indices, float64 array)."""
    n = int(x.shape[0])
    idx = np.sort(np.random.default_rng([int(seed), 13]).choice(n, rows, replace=False))
    return idx, np.asarray(x[idx].compute(), dtype=np.float64)


def dask_samples(x: Any, *, seed: int, rows: int | None = None,
                 nan_policy: str = "raise") -> tuple[Sample, Sample, list[str]]:
    """(sample for the exact tests, in-memory subsample, notes) of a Dask array."""
    if nan_policy != "raise":
        raise InputError("nan_policy='omit' is not available for Dask arrays; drop the rows "
                         "with Dask first: z = z[da.isfinite(z).all(axis=1)].compute_chunk_sizes()")
    mom = dask_moments(x)
    m = subsample_rows(mom.n, mom.d, rows)
    _, sub = dask_subsample(x, m, seed)
    sub_sample = Sample(sub)
    exact = Sample(sub)
    # the exact all-row summaries; prior_moments reads only n, d, mean and cov
    exact.n = mom.n
    exact.__dict__["mean"] = mom.mean
    exact.__dict__["cov"] = mom.cov
    j_s = int(np.nanargmax(np.abs(mom.skewness)))
    j_k = int(np.nanargmax(np.abs(mom.excess_kurtosis)))
    exact_names = ", ".join(EXACT_TESTS)
    notes = [
        f"Dask array of {mom.n} x {mom.d}: the mean, the covariance and the per-column moments "
        f"are exact over all {mom.n} rows (Dask reductions); the tests that need only these "
        f"({exact_names}) use them (n = {mom.n})",
        f"every other test ran on a seeded subsample of {m} of {mom.n} rows drawn through Dask "
        f"(seed {seed})",
        f"all rows: largest |skewness| {mom.skewness[j_s]:+.3g} (dimension {j_s}), largest "
        f"|excess kurtosis| {mom.excess_kurtosis[j_k]:+.3g} (dimension {j_k}); 0 for a Gaussian",
    ]
    return exact, sub_sample, notes
