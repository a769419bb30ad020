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

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Iterator

import numpy as np

from .sample import Sample, check_null
from .threads import worker_threads

__all__ = ["PASS_FLOATS", "EDF_FLOATS", "column_pass_floats", "column_chunks", "projected_chunks", "project",
           "sub_chunks", "for_each", "worker_threads"]

#: float64 values per chunk built in one pass over the rows (64 MiB)
PASS_FLOATS = 1 << 23
def column_pass_floats() -> int:
    """float64 values per column chunk of the per-column statistics: 3 x PASS_FLOATS (192
    MiB). Each chunk is a pass over the rows, so wider chunks mean fewer passes (6 instead
    of 16 over a 10^6 x 128 file), for memory the 1 GB budget of a report on such a file
    allows."""
    return 3 * PASS_FLOATS


#: float64 values per sub-chunk an EDF statistic is computed on, per worker thread (8 MiB;
#: the EDF code makes about a dozen temporaries of this size)
EDF_FLOATS = 1_000_000


def for_each(items: Iterable, fn: Callable[[object], None], workers: int | None = None) -> None:
    """Call ``fn`` on every item, on up to ``workers`` threads (:func:`worker_threads`).

    ``fn`` writes its results into disjoint slots, so the order of completion does not
    matter and the results are those of a serial loop. One item runs inline.
    """
    items = list(items)
    w = min(worker_threads() if workers is None else max(1, int(workers)), len(items))
    if w <= 1:
        for it in items:
            fn(it)
        return
    with ThreadPoolExecutor(max_workers=w) as ex:
        for _ in ex.map(fn, items):  # re-raises the first exception
            pass


def _width(total: int, n: int, floats: int) -> int:
    return max(1, min(total, floats // max(n, 1)))


def _spans(total: int, k: int, min_width: int) -> list[slice]:
    """Consecutive slices of ``k`` (>= min_width) of ``total``; a short last one is merged."""
    k = max(1, min_width, k)
    starts = list(range(0, total, k))
    if len(starts) > 1 and total - starts[-1] < min_width:
        starts.pop()
    return [slice(e0, starts[i + 1] if i + 1 < len(starts) else total)
            for i, e0 in enumerate(starts)]


def sub_chunks(width: int, n: int, floats: int | None = None,
               min_width: int = 1) -> list[slice]:
    """Slices of at most ``floats // n`` (default :data:`EDF_FLOATS`) of ``width`` columns,
    none narrower than ``min_width`` unless ``width`` itself is (a short last slice is
    merged into the one before)."""
    return _spans(width, _width(width, n, EDF_FLOATS if floats is None else floats), min_width)


def column_chunks(sample: Sample, floats: int | None = None,
                  min_width: int = 1) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(j0, x)``: the float64 columns j0:j0 + k of the sample as an (n, k) array
    in column-major order, so each column is contiguous for the per-column work (k >=
    ``min_width`` where d allows)."""
    n, d = sample.n, sample.d
    spans = _spans(d, _width(d, n, PASS_FLOATS if floats is None else floats), min_width)
    if not sample.streamed:
        x = sample.data
        for sl in spans:
            yield sl.start, np.asfortranarray(x[:, sl])
        return
    for sl in spans:
        out = np.empty((n, sl.stop - sl.start), order="F")
        for r0, b in sample.blocks(columns=sl):  # only these columns are converted
            out[r0:r0 + b.shape[0]] = b
        yield sl.start, out
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
