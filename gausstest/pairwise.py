"""The blocked pairwise engine shared by every O(n^2) statistic.

Squared distances come from BLAS Gram blocks, ``||x_i||^2 + ||y_j||^2 - 2 x_i.y_j``,
clipped at 0; each block is reduced at once, so memory is O(block^2), never n x n.
Sums accumulate in float64 across blocks.

:func:`sqdist_reduce` is the fast path the default battery's quadratic statistics use:

* one GEMM per block gives the squared distances directly, from rows augmented with
  their squared norms (``[x, |x|^2, 1] . [-2y, 1, |y|^2]``), optionally pre-scaled, so a
  block is touched by the GEMM, one clip and the caller's reduction only (the plain
  Gram form adds three element-wise passes: scale and two broadcast adds);
* the blocks are shared out over :func:`gausstest.threads.engine_threads` threads (numpy's
  element-wise loops and the one-thread GEMM release the GIL), and the per-block sums are
  added in block order afterwards, so the result does not depend on the thread count.
"""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from .threads import blas_threads, engine_threads, run_parallel

__all__ = ["DEFAULT_BLOCK", "iter_sqdist_blocks", "pairwise_sum", "gram_sum", "sqdist_reduce"]

#: rows per block; a block of squared distances is DEFAULT_BLOCK^2 * 8 bytes (2 MiB); small blocks also skip more of the symmetric half
DEFAULT_BLOCK = 512
#: smallest block :func:`sqdist_reduce` splits a sample into (a smaller one passed in
#: explicitly is kept)
_MIN_SPLIT_BLOCK = 128


def iter_sqdist_blocks(
    x: np.ndarray, y: np.ndarray | None = None, *, block: int = DEFAULT_BLOCK,
) -> Iterator[tuple[int, int, np.ndarray, float]]:
    """Yield ``(i0, j0, D, weight)`` over blocks of squared distances.

    With ``y is None`` only blocks on or above the diagonal of the symmetric
    x-x matrix are produced, with ``weight`` 2 off the diagonal and 1 on it, so
    ``sum(weight * f(D).sum())`` is the sum over all ordered pairs (i, j).
    With ``y`` given, every x-y block is produced with weight 1.
    """
    x = np.asarray(x, dtype=np.float64)
    nx = x.shape[0]
    if nx > 4 * block:
        # a large pass: BLAS threads chosen on purpose (gausstest.threads), not the
        # library default, which oversubscribes a small shared machine (4.7x slower seen)
        with blas_threads():
            yield from _sqdist_blocks(x, y, block)
    else:
        yield from _sqdist_blocks(x, y, block)


def _sqdist_blocks(x: np.ndarray, y: np.ndarray | None, block: int):
    nx = x.shape[0]
    xx = np.einsum("ij,ij->i", x, x)
    if y is None:
        for i0 in range(0, nx, block):
            xi = x[i0:i0 + block]
            for j0 in range(i0, nx, block):
                xj = x[j0:j0 + block]
                d2 = xi @ xj.T
                d2 *= -2.0
                d2 += xx[i0:i0 + block, None]
                d2 += xx[None, j0:j0 + block]
                np.maximum(d2, 0.0, out=d2)
                if i0 == j0:
                    np.fill_diagonal(d2, 0.0)
                yield i0, j0, d2, (1.0 if i0 == j0 else 2.0)
    else:
        y = np.asarray(y, dtype=np.float64)
        yy = np.einsum("ij,ij->i", y, y)
        for i0 in range(0, nx, block):
            xi = x[i0:i0 + block]
            for j0 in range(0, y.shape[0], block):
                yj = y[j0:j0 + block]
                d2 = xi @ yj.T
                d2 *= -2.0
                d2 += xx[i0:i0 + block, None]
                d2 += yy[None, j0:j0 + block]
                np.maximum(d2, 0.0, out=d2)
                yield i0, j0, d2, 1.0


def pairwise_sum(
    x: np.ndarray, f: Callable[[np.ndarray], np.ndarray], y: np.ndarray | None = None, *,
    exclude_diagonal: bool = False, block: int = DEFAULT_BLOCK,
) -> float:
    """Sum of ``f(||x_i - y_j||^2)`` over all ordered pairs (or x-x pairs if ``y`` is None).

    ``f`` maps an array of squared distances to an array of the same shape and may
    work in place. ``exclude_diagonal`` drops the i == j terms of an x-x sum
    *before* summing, so a tiny off-diagonal sum is not lost against f(0).
    """
    total = 0.0
    for i0, j0, d2, weight in iter_sqdist_blocks(x, y, block=block):
        vals = f(d2)
        if exclude_diagonal and y is None and i0 == j0:
            np.fill_diagonal(vals, 0.0)
        total += weight * float(vals.sum())
    return total


def gram_sum(
    x: np.ndarray, f: Callable[[np.ndarray], np.ndarray], *, block: int = DEFAULT_BLOCK,
) -> float:
    """Sum over all ordered pairs of ``f(x_i . x_j)`` (inner products, diagonal included)."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    if n > 4 * block:
        with blas_threads():  # see iter_sqdist_blocks
            return _gram_sum(x, f, block)
    return _gram_sum(x, f, block)


def _gram_sum(x: np.ndarray, f: Callable[[np.ndarray], np.ndarray], block: int) -> float:
    n = x.shape[0]
    total = 0.0
    for i0 in range(0, n, block):
        xi = x[i0:i0 + block]
        for j0 in range(i0, n, block):
            g = xi @ x[j0:j0 + block].T
            total += (1.0 if i0 == j0 else 2.0) * float(f(g).sum())
    return total


def _augmented(x: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows a_i, b_j with a_i . b_j = scale * ||x_i - x_j||^2 (one GEMM per block)."""
    n, d = x.shape
    xx = np.einsum("ij,ij->i", x, x)
    a = np.empty((n, d + 2))
    a[:, :d] = x
    a[:, d] = xx
    a[:, d + 1] = 1.0
    b = np.empty((n, d + 2))
    np.multiply(x, -2.0, out=b[:, :d])
    b[:, d] = 1.0
    b[:, d + 1] = xx
    if scale != 1.0:
        b *= scale
    return a, b


def sqdist_reduce(
    x: np.ndarray, fn: Callable[[np.ndarray, bool], np.ndarray], size: int, *,
    scale: float = 1.0, block: int = DEFAULT_BLOCK, threads: int | None = None,
) -> np.ndarray:
    """``sum over blocks of weight * fn(S, on_diagonal)`` for the symmetric x-x pairs.

    ``S`` is a block of ``scale * ||x_i - x_j||^2`` (``scale`` may be negative), with
    the distances clipped at 0 and the diagonal of a diagonal block exactly 0; ``fn``
    returns ``size`` sums and may work in place on ``S``. Blocks on and above the
    diagonal are visited, with weight 2 off it and 1 on it, so the total runs over all
    ordered pairs (i, j), i == j included unless ``fn`` drops them on a diagonal block.
    The work is shared over ``threads`` (default :func:`gausstest.threads.engine_threads`)
    and the block sums are added in a fixed order: the result is the same for any thread
    count.
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    # a diagonal block is computed whole, twice the pairs it needs: with at least four
    # row blocks (of >= 128 rows) that waste is a quarter at most, not all of it
    block = min(block, max(_MIN_SPLIT_BLOCK, -(-n // 4)))
    a, b = _augmented(x, scale)
    starts = range(0, n, block)
    blocks = [(i0, j0) for i0 in starts for j0 in starts if j0 >= i0]
    out = np.zeros((len(blocks), size))
    clip = np.maximum if scale >= 0 else np.minimum

    def work(k: int) -> None:
        i0, j0 = blocks[k]
        s = a[i0:i0 + block] @ b[j0:j0 + block].T
        clip(s, 0.0, out=s)
        if i0 == j0:
            np.fill_diagonal(s, 0.0)
        out[k] = fn(s, i0 == j0)
        if i0 != j0:
            out[k] *= 2.0

    w = engine_threads() if threads is None else max(1, int(threads))
    with blas_threads(1):
        run_parallel(work, len(blocks), w if len(blocks) >= 4 else 1)
    return out.sum(axis=0)
