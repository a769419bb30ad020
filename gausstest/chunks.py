"""Column-wise passes over a large sample with bounded memory.

The per-column (marginals) and per-direction (projections) EDF statistics need each
column whole and sorted. Instead of materialising the float64 sample and n x K
projections at once (at n = 10^6, K = 640 that is 5 GB per copy), these helpers build
a chunk of columns at a time, at most ``floats`` float64 values, from one pass over the
sample's row blocks (:meth:`gausstest.sample.Sample.blocks`); the caller then reduces
the chunk in smaller sub-chunks. A sample that fits in one chunk is handed over as
before (the data itself, or one product ``x @ u``), so small samples compute exactly
what they always did.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from .sample import Sample, check_null

__all__ = ["PASS_FLOATS", "EDF_FLOATS", "column_chunks", "projected_chunks", "project",
           "sub_chunks"]

#: float64 values per chunk built in one pass over the rows (128 MiB)
PASS_FLOATS = 1 << 24
#: float64 values per sub-chunk an EDF statistic is computed on (16 MiB; the EDF code
#: makes about a dozen temporaries of this size)
EDF_FLOATS = 2_000_000


def _width(total: int, n: int, floats: int) -> int:
    return max(1, min(total, floats // max(n, 1)))


def sub_chunks(width: int, n: int, floats: int | None = None) -> Iterator[slice]:
    """Slices of at most ``floats // n`` (at least 1; default :data:`EDF_FLOATS`) of
    ``width`` columns."""
    k = _width(width, n, EDF_FLOATS if floats is None else floats)
    for e0 in range(0, width, k):
        yield slice(e0, min(width, e0 + k))


def column_chunks(sample: Sample, floats: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(j0, x)``: the float64 columns j0:j0 + k of the sample as an (n, k) array."""
    n, d = sample.n, sample.d
    k = _width(d, n, PASS_FLOATS if floats is None else floats)
    if not sample.streamed:
        x = sample.data
        for j0 in range(0, d, k):
            yield j0, x[:, j0:j0 + k]
        return
    for j0 in range(0, d, k):
        j1 = min(d, j0 + k)
        out = np.empty((n, j1 - j0))
        for r0, b in sample.blocks():
            out[r0:r0 + b.shape[0]] = b[:, j0:j1]
        yield j0, out
        del out  # let the caller free the chunk before the next one is built


def projected_chunks(sample: Sample, null: str, u: np.ndarray,
                     floats: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(k0, p)``: the projections ``prepared(null) @ u[:, k0:k0 + k]``, (n, k).

    For a streamed sample under the composite null the whitening is folded into the
    directions, (z - mean) @ (S^{-1/2} u), so no whitened copy is made (equal to
    whitening first up to rounding, about 1e-15 relative).
    """
    check_null(null)
    n, kk = sample.n, u.shape[1]
    k = _width(kk, n, PASS_FLOATS if floats is None else floats)
    if not sample.streamed:
        x = sample.prepared(null)
        for k0 in range(0, kk, k):
            yield k0, (x @ u if k >= kk else x @ u[:, k0:k0 + k])
        return
    for k0 in range(0, kk, k):
        yield k0, project(sample, null, u[:, k0:k0 + k])


def project(sample: Sample, null: str, w: np.ndarray) -> np.ndarray:
    """``prepared(null) @ w`` (w of shape (d,) or (d, k)) in one pass over the row blocks."""
    check_null(null)
    if not sample.streamed:
        return sample.prepared(null) @ w
    if null == "gaussian":
        m, w = sample.mean, sample.whitening @ w
    out = np.empty((sample.n, *w.shape[1:]))
    for r0, b in sample.blocks():
        if null == "gaussian":
            b = b - m
        out[r0:r0 + b.shape[0]] = b @ w
    return out
