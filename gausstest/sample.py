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
    NonFiniteError,
    ShapeError,
    SingularCovarianceError,
    TooFewSamplesError,
)

__all__ = ["Sample", "as_sample", "whiten_batch", "NULLS"]

NULLS = ("standard", "gaussian")

#: relative eigenvalue below which the covariance is called singular
SINGULAR_RTOL = 1e-10


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
    if data.shape[0] < 3:
        raise TooFewSamplesError(
            f"need at least 3 rows (samples); got {data.shape[0]}"
            + (f" after dropping {dropped} non-finite rows" if dropped else "")
        )
    return data, dropped


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
        """Eigenvalues (ascending) and eigenvectors of :attr:`cov`."""
        w, v = np.linalg.eigh(self.cov)
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
        w, v = self.eigh
        scale = max(float(w[-1]), np.finfo(float).tiny)
        small = np.flatnonzero(w <= SINGULAR_RTOL * scale)
        if small.size:
            direction = v[:, small[0]]
            top = np.argsort(-np.abs(direction))[:3]
            terms = " ".join(f"{direction[j]:+.3g}*z[{j}]" for j in top)
            raise SingularCovarianceError(
                f"the sample covariance is singular ({small.size} of {self.d} eigenvalues "
                f"are ~0; smallest {w[0]:.3g}); the data has no spread along {terms}. "
                "Drop constant or collinear dimensions, or use null='standard' "
                "(CLI: --null standard) to score the prior match, which names collapsed ones."
            )

    @cached_property
    def whitened(self) -> np.ndarray:
        """Scaled residuals y_i = S^{-1/2} (z_i - mean) with the symmetric root of the MLE S."""
        self.require_composite()
        w, v = self.eigh
        root_inv = (v / np.sqrt(w)) @ v.T
        return self.centered @ root_inv

    @cached_property
    def radii(self) -> np.ndarray:
        """Squared norms ||z_i||^2 (chi2(d) under the standard null)."""
        return np.einsum("ij,ij->i", self.data, self.data)

    @cached_property
    def mahalanobis(self) -> np.ndarray:
        """Squared Mahalanobis radii ||y_i||^2 = (z_i - mean)' S^{-1} (z_i - mean), S the MLE."""
        y = self.whitened
        return np.einsum("ij,ij->i", y, y)

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
    data, dropped = _validate(z, nan_policy)
    return Sample(data, dropped_rows=dropped)


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
