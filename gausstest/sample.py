"""The validated sample: one float64 (n, d) array and its lazily cached summaries.

Every test takes a :class:`Sample` (or anything :func:`as_sample` accepts) so that
the mean, covariance, eigendecomposition, whitened data and radii are computed
once per call of :func:`gausstest.assess`, however many tests use them.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

import numpy as np

from .errors import (
    DtypeError,
    ExtremeValueError,
    NonFiniteError,
    ShapeError,
    SingularCovarianceError,
    TooFewSamplesError,
)

__all__ = ["Sample", "as_sample", "whiten_batch", "NULLS", "ExtremeCells", "extreme_cells"]

NULLS = ("standard", "gaussian")

#: relative eigenvalue below which the covariance is called singular
SINGULAR_RTOL = 1e-10

#: largest |value| whose squares, and sums of them, stay finite in float64
SQUARES_SAFE = 1e150


def _to_ndarray(z: Any) -> np.ndarray:
    """Convert any array-like (numpy, memmap, list, ``__array__``/``__dlpack__``) to ndarray."""
    if isinstance(z, np.ndarray):
        return z
    if hasattr(z, "__array__"):
        try:
            return np.asarray(z)
        except Exception as exc:  # torch: requires_grad / CUDA tensors refuse __array__
            if not hasattr(z, "__dlpack__"):
                raise DtypeError(
                    f"could not convert {type(z).__name__} to a numpy array ({exc}). "
                    "Detach it and move it to the CPU first, e.g. z.detach().cpu()."
                ) from None
    if hasattr(z, "__dlpack__"):
        try:
            return np.from_dlpack(z)
        except Exception as exc:
            raise DtypeError(
                f"could not read {type(z).__name__} through __dlpack__ ({exc}). "
                "Move the array to the CPU first (e.g. .cpu() or jax.device_get)."
            ) from None
    try:
        return np.asarray(z)
    except Exception as exc:
        raise DtypeError(f"could not convert {type(z).__name__} to an array: {exc}") from None


def _validate(z: Any, nan_policy: str) -> tuple[np.ndarray, int]:
    if nan_policy not in ("raise", "omit"):
        raise ValueError(f"nan_policy must be 'raise' or 'omit'; got {nan_policy!r}")
    masked = isinstance(z, np.ma.MaskedArray) and bool(np.ma.getmaskarray(z).any())
    if masked:
        # masked entries are missing values: they become NaN, so nan_policy decides
        if z.dtype.kind not in "biuf":
            raise DtypeError(f"z has non-numeric dtype {z.dtype}; pass a numeric (n, d) array")
        z = np.ma.asarray(z).astype(np.float64).filled(np.nan)
    arr = _to_ndarray(z)
    if isinstance(arr, np.ma.MaskedArray):
        arr = np.ma.getdata(arr)
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise DtypeError(
                "z has object dtype with non-numeric entries; pass a numeric (n, d) array"
            ) from None
    if arr.dtype.kind == "c":
        raise DtypeError("z is complex; gausstest needs real-valued latents")
    if arr.dtype.kind not in "biuf":
        raise DtypeError(
            f"z has non-numeric dtype {arr.dtype}; pass a numeric (n, d) array"
        )
    if arr.ndim != 2:
        hint = " Use z[:, None] for d = 1." if arr.ndim == 1 else ""
        if arr.ndim > 2:
            hint = f" Flatten the trailing axes, e.g. z.reshape({arr.shape[0]}, -1)."
        raise ShapeError(f"z must be 2-D (n, d); got shape {arr.shape}.{hint}")
    n, d = arr.shape
    if d == 0:
        raise ShapeError(f"z has no columns (shape {arr.shape})")
    data = np.asarray(arr, dtype=np.float64)
    finite_rows = np.isfinite(data).all(axis=1)
    dropped = 0
    kept = None
    if not finite_rows.all():
        bad = np.flatnonzero(~finite_rows)
        if nan_policy == "raise":
            shown = ", ".join(str(i + 1) for i in bad[:5]) + (", ..." if bad.size > 5 else "")
            what = "NaN, inf or masked values" if masked else "NaN or inf"
            head = (f"{bad.size} of {n} rows contain {what} "
                    f"(row{'s' if bad.size > 1 else ''} {shown}, counting from 1); remove them or ")
            raise NonFiniteError(head + "pass nan_policy='omit' to drop them",
                                 cli=head + "pass --nan-policy omit to drop them")
        data = data[finite_rows]
        dropped = int(bad.size)
        kept = np.flatnonzero(finite_rows)
    if data.shape[0] < 3:
        raise TooFewSamplesError(
            f"need at least 3 rows (samples); got {data.shape[0]}"
            + (f" after dropping {dropped} non-finite rows" if dropped else "")
        )
    return data, dropped, kept


class Sample:
    """A validated float64 (n, d) latent sample with cached summaries.

    Build it with :func:`as_sample`. All attributes are computed on first use.

    Attributes
    ----------
    data : ndarray, shape (n, d)
        The rows, float64 (a read-only view when the input was already float64).
    n, d : int
    dropped_rows : int
        Rows removed by ``nan_policy='omit'``.
    """

    def __init__(self, data: np.ndarray, *, dropped_rows: int = 0):
        self.data = data
        self.n, self.d = data.shape
        self.dropped_rows = dropped_rows
        #: index of each row in the caller's input (None: row i is input row i)
        self.source_rows: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"Sample(n={self.n}, d={self.d})"

    # -- moments ---------------------------------------------------------
    @cached_property
    def mean(self) -> np.ndarray:
        return self.data.mean(axis=0)

    @cached_property
    def centered(self) -> np.ndarray:
        return self.data - self.mean

    @cached_property
    def cov(self) -> np.ndarray:
        """Maximum-likelihood covariance (divisor n)."""
        c = self.centered
        return (c.T @ c) / self.n

    @cached_property
    def eigh(self) -> tuple[np.ndarray, np.ndarray]:
        """Eigenvalues (ascending) and eigenvectors of :attr:`cov`.

        Where the covariance overflows float64 (values beyond ~1e154), they are computed
        on the data scaled by a power of two and scaled back: eigenvalues beyond float64
        are inf, the eigenvectors exact.
        """
        cov = self.cov
        if np.isfinite(cov).all():
            w, v = np.linalg.eigh(cov)
            return w, v
        exponent = int(np.frexp(float(np.max(np.abs(self.data))))[1])
        x = np.ldexp(self.data, -exponent)
        c = x - x.mean(axis=0)
        w, v = np.linalg.eigh((c.T @ c) / self.n)
        with np.errstate(over="ignore"):
            w = np.ldexp(w, 2 * exponent)
        return w, v

    @cached_property
    def second_moment(self) -> np.ndarray:
        """Uncentred second moment (1/n) Z'Z, the covariance about 0."""
        return (self.data.T @ self.data) / self.n

    # -- composite-null ingredients ---------------------------------------
    def require_composite(self) -> None:
        """Raise unless the composite null (whitening) is possible for this sample."""
        if self.n <= self.d + 1:
            raise TooFewSamplesError(
                f"the composite null (null='gaussian') needs n > d + 1 to estimate the "
                f"covariance; got n = {self.n}, d = {self.d}. Use null='standard' or more rows."
            )
        self._whitening  # noqa: B018 - raises SingularCovarianceError

    @cached_property
    def _whitening(self) -> tuple[np.ndarray, np.ndarray]:
        """(residuals, inverse root) whose product is the whitened sample.

        The usual path is the symmetric root of the MLE covariance. Where that
        covariance is not finite or spans more than 1/SINGULAR_RTOL (a sample scaled by
        1e200 or 1e-200, one cell of 3e6 or 1e18 among N(0, 1) values), whitening is
        done on the data scaled by a power of two (exact) and, if needed, equilibrated
        by each coordinate's standard deviation, whose correlation matrix is well
        conditioned unless the data truly has no spread along some direction. The
        composite-null statistics are affine invariant, so they are unchanged (up to a
        rotation of the whitened rows, which rotation-invariant tests do not see).
        """
        cov = self.cov
        if np.isfinite(cov).all():
            w, v = self.eigh
            scale = max(float(w[-1]), np.finfo(float).tiny)
            if w[0] > SINGULAR_RTOL * scale:
                return self.centered, (v / np.sqrt(w)) @ v.T
        # scale by a power of two so that the largest |value| is in [0.5, 1): exact
        top = float(np.max(np.abs(self.data)))
        factor = 2.0 ** -np.frexp(top)[1] if top > 0 else 1.0
        x = self.data * factor
        c = x - x.mean(axis=0)
        s = (c.T @ c) / self.n
        w, v = np.linalg.eigh(s)
        if w[0] > SINGULAR_RTOL * max(float(w[-1]), np.finfo(float).tiny):
            return c, (v / np.sqrt(w)) @ v.T
        sd = np.sqrt(np.diag(s))
        # spread at the rounding level of a column's own values is no spread at all
        flat = np.flatnonzero(sd <= 1e-12 * np.max(np.abs(x), axis=0))
        if flat.size:
            raise SingularCovarianceError(
                f"the sample covariance is singular: dimension{'s' if flat.size > 1 else ''} "
                f"{', '.join(f'z[{j}]' for j in flat[:5])} {'are' if flat.size > 1 else 'is'} "
                "constant. Drop constant or collinear dimensions, or use null='standard' "
                "(CLI: --null standard) to score the prior match, which names collapsed ones.")
        ce = c / sd
        r = (ce.T @ ce) / self.n
        w, v = np.linalg.eigh(r)
        small = np.flatnonzero(w <= SINGULAR_RTOL * max(float(w[-1]), np.finfo(float).tiny))
        if not small.size:
            return ce, (v / np.sqrt(w)) @ v.T
        direction = v[:, small[0]] / sd
        direction /= np.linalg.norm(direction)
        top3 = np.argsort(-np.abs(direction))[:3]
        terms = " ".join(f"{direction[j]:+.3g}*z[{j}]" for j in top3)
        raise SingularCovarianceError(
            f"the sample covariance is singular ({small.size} of {self.d} eigenvalues of the "
            f"correlation matrix are ~0; smallest {w[0]:.3g}); the data has no spread along "
            f"{terms}. Drop constant or collinear dimensions, or use null='standard' "
            "(CLI: --null standard) to score the prior match, which names collapsed ones."
        )

    @cached_property
    def scale_free_data(self) -> np.ndarray:
        """:attr:`data` itself, or, where its magnitude is beyond 2^(+-128) (fourth powers
        would overflow or underflow float64), the data scaled by a power of two (exact).

        For statistics that are invariant to scaling (every composite-null statistic):
        ordinary data gives identical numbers, extreme data the same answer as at scale 1.
        """
        top = float(np.max(np.abs(self.data)))
        if top == 0.0 or 2.0 ** -128 < top < 2.0 ** 128:
            return self.data
        return self.data * 2.0 ** -np.frexp(top)[1]

    @cached_property
    def whitened(self) -> np.ndarray:
        """Scaled residuals y_i = S^{-1/2} (z_i - mean) with the symmetric root of the MLE S
        (for covariances too wide in range for float64, an equivalent root; see
        :attr:`_whitening`)."""
        self.require_composite()
        residuals, root_inv = self._whitening
        return residuals @ root_inv

    @cached_property
    def radii(self) -> np.ndarray:
        """Squared norms ||z_i||^2 (chi2(d) under the standard null)."""
        return np.einsum("ij,ij->i", self.data, self.data)

    @cached_property
    def mahalanobis(self) -> np.ndarray:
        """Squared Mahalanobis radii ||y_i||^2 = (z_i - mean)' S^{-1} (z_i - mean), S the MLE."""
        y = self.whitened
        return np.einsum("ij,ij->i", y, y)

    def require_finite_squares(self, code: str, limit: float = SQUARES_SAFE) -> None:
        """Refuse, naming ``code``, a sample whose squared norms (or, with ``limit`` =
        1e70, fourth powers) would overflow float64."""
        top = float(np.max(np.abs(self.data)))
        if top > limit:
            raise ExtremeValueError(
                f"{code}: values up to {top:.3g} are too large for its statistic under the "
                "standard null (squared distances overflow float64). Such a sample is not "
                "N(0, I): prior_moments says so for any finite values; the composite null "
                "(null='gaussian') is scale free. Or rescale the data.")

    def prepared(self, null: str) -> np.ndarray:
        """The array a test sees under ``null``: raw data, or the whitened residuals."""
        check_null(null)
        return self.data if null == "standard" else self.whitened


def check_null(null: str) -> None:
    if null not in NULLS:
        raise ValueError(f"null must be one of {NULLS}; got {null!r}")


def as_sample(z: Any, *, nan_policy: Literal["raise", "omit"] = "raise") -> Sample:
    """Validate any (n, d) array-like into a :class:`Sample`.

    Accepts numpy arrays and memmaps, nested lists, and foreign arrays (torch, jax,
    cupy on CPU) through ``__array__`` or ``__dlpack__``; a :class:`Sample` is returned
    unchanged.

    Raises
    ------
    ShapeError, DtypeError, NonFiniteError, TooFewSamplesError
        With a message naming the problem and the fix.
    """
    if isinstance(z, Sample):
        return z
    data, dropped, kept = _validate(z, nan_policy)
    sample = Sample(data, dropped_rows=dropped)
    sample.source_rows = kept
    return sample


#: family-wise probability that a Gaussian sample of any (n, d) has a cell named an outlier
OUTLIER_ALPHA = 1e-6
#: cells examined per column (the farthest from its median)
_OUTLIER_CANDIDATES = 10


class ExtremeCells:
    """Cells no Gaussian sample holds: outliers, named by row (from 1) and dimension.

    Each candidate cell (the farthest from its column's median) is compared with the
    other rows of its column by the leave-one-out t statistic
    t = (z_ij - mean_-i) / (sd_-i sqrt(1 + 1/(n - 1))), which is exactly t(n - 2)
    distributed when the column is normal (any mean and variance), and named when
    t exceeds the Bonferroni critical value over all n d cells at :data:`OUTLIER_ALPHA`:
    a Gaussian sample of any (n, d) has a named cell with probability below 1e-6.
    """

    def __init__(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray,
                 t: np.ndarray, critical: float):
        self.rows, self.cols, self.values, self.t = rows, cols, values, t
        self.critical = critical

    def __len__(self) -> int:
        return int(self.rows.size)

    def describe(self, source_rows: np.ndarray | None = None) -> str:
        """One line naming the most extreme cell (rows counted from 1)."""
        rows = self.rows if source_rows is None else source_rows[self.rows]
        k = int(np.argmax(self.t))
        head = (f"row {rows[k] + 1} (counting from 1) has z[{self.cols[k]}] = "
                f"{self.values[k]:.4g}, {self.t[k]:.3g} sd from the other rows' mean of that "
                f"dimension (beyond {self.critical:.3g}, which a Gaussian sample of this size "
                f"reaches with probability < {OUTLIER_ALPHA:g})")
        if len(self) == 1:
            return "outlier: " + head
        listed = sorted(set((rows + 1).tolist()))
        shown = ", ".join(str(r) for r in listed[:8]) + (", ..." if len(listed) > 8 else "")
        return (f"outliers: {len(self)} values in {len(listed)} rows (rows {shown}); the most "
                "extreme: " + head)


def extreme_cells(data: np.ndarray) -> ExtremeCells:
    """The cells of ``data`` (n, d) that no Gaussian sample would hold (see :class:`ExtremeCells`)."""
    from scipy import stats

    n, d = data.shape
    critical = float(stats.t.isf(OUTLIER_ALPHA / (2.0 * n * d), n - 2)) if n >= 3 else np.inf
    rows, cols, ts = [], [], []
    k = min(n, _OUTLIER_CANDIDATES)
    inflate = np.sqrt(1.0 + 1.0 / (n - 1)) if n > 1 else 1.0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for j in range(d):  # one column at a time: memory O(n), also for memmaps
            col = np.asarray(data[:, j], dtype=np.float64)
            top = float(np.max(np.abs(col)))
            if top == 0.0 or not np.isfinite(top):
                continue
            col = col * 2.0 ** -np.frexp(top)[1]  # exact; keeps the squares finite
            dist = np.abs(col - np.median(col))
            mean = float(col.mean())
            ss = float(((col - mean) ** 2).sum())
            for i in np.argpartition(-dist, k - 1)[:k]:
                delta = float(col[i]) - mean
                ss_rest = ss - n / (n - 1) * delta * delta
                if ss_rest > 1e-8 * ss:  # the update is accurate to ~1e-8 relative
                    sd = np.sqrt(ss_rest / (n - 2)) if n > 2 else 0.0
                    gap = n / (n - 1) * abs(delta)
                else:  # the cell carries nearly all the spread: recompute without it
                    others = np.delete(col, i)
                    sd = float(others.std(ddof=1))
                    gap = abs(float(col[i]) - float(others.mean()))
                t = gap / (sd * inflate) if sd > 0 else (np.inf if gap > 0 else 0.0)
                if t > critical:
                    rows.append(int(i))
                    cols.append(j)
                    ts.append(t)
    r = np.asarray(rows, dtype=np.intp)
    c = np.asarray(cols, dtype=np.intp)
    values = np.asarray(data[r, c], dtype=np.float64) if r.size else np.zeros(0)
    return ExtremeCells(r, c, values, np.asarray(ts, dtype=np.float64), critical)


def whiten_batch(x: np.ndarray) -> np.ndarray:
    """Whiten each sample of a batch ``(B, n, d)`` with its own mean and MLE covariance.

    Used by Monte Carlo calibration under the composite null so that simulated
    samples are fitted exactly as the observed one is.
    """
    c = x - x.mean(axis=-2, keepdims=True)
    n = x.shape[-2]
    s = np.matmul(np.swapaxes(c, -1, -2), c) / n
    w, v = np.linalg.eigh(s)
    root_inv = np.matmul(v / np.sqrt(w)[..., None, :], np.swapaxes(v, -1, -2))
    return np.matmul(c, root_inv)
