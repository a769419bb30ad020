"""The validated sample: one float64 (n, d) array and its lazily cached summaries.

Every test takes a :class:`Sample` (or anything :func:`as_sample` accepts) so that
the mean, covariance, eigendecomposition, whitened data and radii are computed
once per call of :func:`gausstest.assess`, however many tests use them.
"""

from __future__ import annotations

import mmap
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

#: float64 values per row block when summaries stream over a large sample (32 MiB); a
#: sample of at most this many values is one block, computed exactly as in memory
BLOCK_FLOATS = 1 << 22


def _mapped_file(arr: np.ndarray) -> str | None:
    """The file behind a whole, C-ordered np.memmap (as np.load(mmap_mode=...) returns),
    else None (views of a memmap keep a stale offset, so they are read through the map)."""
    if (isinstance(arr, np.memmap) and isinstance(arr.base, mmap.mmap)
            and arr.filename and arr.flags.c_contiguous and arr.dtype.kind in "biuf"):
        return arr.filename
    return None


def _finite_rows(arr: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows without NaN/inf, checked block by block (no n x d temporary)."""
    n, d = arr.shape
    if arr.dtype.kind not in "fc":
        return np.ones(n, dtype=bool)
    out = np.empty(n, dtype=bool)
    for r0, b in Sample(arr).blocks():
        np.isfinite(b).all(axis=1, out=out[r0:r0 + b.shape[0]])
    return out


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
    arr = _to_ndarray(z)
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
    if arr.dtype == np.float64 or n * d <= BLOCK_FLOATS:
        data = np.asarray(arr, dtype=np.float64)
    else:
        # large float32 / integer input (e.g. a memmap): keep it as it is and convert row
        # blocks to float64 when a statistic streams over them (Sample.blocks); no full copy
        data = arr
    finite_rows = _finite_rows(data)
    dropped = 0
    if not finite_rows.all():
        bad = np.flatnonzero(~finite_rows)
        if nan_policy == "raise":
            shown = ", ".join(str(i) for i in bad[:5]) + (", ..." if bad.size > 5 else "")
            raise NonFiniteError(
                f"{bad.size} of {n} rows contain NaN or inf (rows {shown}); "
                "remove them or pass nan_policy='omit' to drop them"
            )
        data = np.asarray(data[finite_rows], dtype=np.float64)
        dropped = int(bad.size)
    if data.shape[0] < 3:
        raise TooFewSamplesError(
            f"need at least 3 rows (samples); got {data.shape[0]}"
            + (f" after dropping {dropped} non-finite rows" if dropped else "")
        )
    return data, dropped


class Sample:
    """A validated (n, d) latent sample with cached summaries.

    Build it with :func:`as_sample`. All attributes are computed on first use.

    Attributes
    ----------
    source : ndarray, shape (n, d)
        The rows as given when that needs no copy: a float64 array, or a large float32 /
        integer array or memmap, which the linear-time statistics read in float64 row
        blocks (:meth:`blocks`) without a full float64 copy.
    data : ndarray, shape (n, d)
        The rows, float64 (the source itself when it is float64; otherwise a full copy,
        made on first use only).
    n, d : int
    dropped_rows : int
        Rows removed by ``nan_policy='omit'``.

    Notes
    -----
    Beyond :data:`BLOCK_FLOATS` values, the mean, covariances and radii are sums over
    row blocks of ``block_rows`` rows, accumulated in float64; they agree with the
    in-memory formulas to rounding (about 1e-15 relative). Up to it they are those formulas.
    """

    def __init__(self, data: np.ndarray, *, dropped_rows: int = 0):
        self.source = data
        self.n, self.d = data.shape
        self.dropped_rows = dropped_rows

    def __repr__(self) -> str:
        return f"Sample(n={self.n}, d={self.d})"

    @cached_property
    def data(self) -> np.ndarray:
        return np.asarray(self.source, dtype=np.float64)

    # -- streaming -------------------------------------------------------
    @property
    def block_rows(self) -> int:
        """Rows per float64 block when statistics stream over the sample."""
        return max(1, BLOCK_FLOATS // max(self.d, 1))

    @property
    def streamed(self) -> bool:
        """True when the summaries are computed over several row blocks."""
        return self.n > self.block_rows

    def blocks(self, rows: int | None = None):
        """Yield ``(r0, block)``: consecutive float64 row blocks of the sample."""
        rows = self.block_rows if rows is None else max(1, int(rows))
        if "data" in self.__dict__ or self.source.dtype == np.float64:
            src = self.data
            for r0 in range(0, self.n, rows):
                yield r0, src[r0:r0 + rows]
            return
        path = _mapped_file(self.source)
        if path is not None:
            # a whole .npy memmap: read its blocks from the file instead of touching the
            # mapping, so the pages read do not stay in this process's resident set
            src, width = self.source, self.d * self.source.dtype.itemsize
            with open(path, "rb") as fh:
                for r0 in range(0, self.n, rows):
                    m = min(rows, self.n - r0)
                    fh.seek(src.offset + r0 * width)
                    raw = np.fromfile(fh, dtype=src.dtype, count=m * self.d)
                    if raw.size != m * self.d:  # the file changed under us: use the map
                        raw = np.asarray(src[r0:r0 + m])
                    yield r0, raw.reshape(m, self.d).astype(np.float64)
            return
        for r0 in range(0, self.n, rows):
            yield r0, np.asarray(self.source[r0:r0 + rows], dtype=np.float64)

    def take(self, idx: np.ndarray) -> "Sample":
        """A new in-memory float64 sample of the rows ``idx`` (reads only those rows)."""
        idx = np.asarray(idx)
        path = _mapped_file(self.source)
        if path is None or idx.ndim != 1 or idx.dtype.kind not in "iu":
            return Sample(np.asarray(self.source[idx], dtype=np.float64))
        # row by row from the file: faulting scattered rows in through the map would make
        # the kernel map whole neighbourhoods of pages (fault-around), up to the whole file
        if idx.size and (idx.min() < -self.n or idx.max() >= self.n):
            raise IndexError(f"row index out of range for {self.n} rows")
        src = self.source
        width = self.d * src.dtype.itemsize
        buf = bytearray(width * idx.size)
        with open(path, "rb", buffering=0) as fh:
            for k, i in enumerate(idx.tolist()):
                fh.seek(src.offset + (i % self.n) * width)
                fh.readinto(memoryview(buf)[k * width:(k + 1) * width])
        rows = np.frombuffer(buf, dtype=src.dtype).reshape(idx.size, self.d)
        return Sample(rows.astype(np.float64))

    def _row_map(self, f) -> np.ndarray:
        """``f(block, r0)`` -> one value per row, concatenated over the blocks."""
        out = np.empty(self.n)
        for r0, b in self.blocks():
            out[r0:r0 + b.shape[0]] = f(b, r0)
        return out

    # -- moments ---------------------------------------------------------
    @cached_property
    def mean(self) -> np.ndarray:
        if not self.streamed:
            return self.data.mean(axis=0)
        total = np.zeros(self.d)
        for _, b in self.blocks():
            total += b.sum(axis=0)
        return total / self.n

    @cached_property
    def centered(self) -> np.ndarray:
        return self.data - self.mean

    @cached_property
    def cov(self) -> np.ndarray:
        """Maximum-likelihood covariance (divisor n)."""
        if not self.streamed:
            c = self.centered
            return (c.T @ c) / self.n
        m = self.mean
        acc = np.zeros((self.d, self.d))
        for _, b in self.blocks():
            c = b - m
            acc += c.T @ c
        return acc / self.n

    @cached_property
    def eigh(self) -> tuple[np.ndarray, np.ndarray]:
        """Eigenvalues (ascending) and eigenvectors of :attr:`cov`."""
        w, v = np.linalg.eigh(self.cov)
        return w, v

    @cached_property
    def second_moment(self) -> np.ndarray:
        """Uncentred second moment (1/n) Z'Z, the covariance about 0."""
        if not self.streamed:
            return (self.data.T @ self.data) / self.n
        acc = np.zeros((self.d, self.d))
        for _, b in self.blocks():
            acc += b.T @ b
        return acc / self.n

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
        root_inv = self.whitening
        return self.centered @ root_inv

    @cached_property
    def whitening(self) -> np.ndarray:
        """S^{-1/2}, the symmetric inverse root of the MLE covariance (y = (z - mean) S^{-1/2})."""
        self.require_composite()
        w, v = self.eigh
        return (v / np.sqrt(w)) @ v.T

    @cached_property
    def radii(self) -> np.ndarray:
        """Squared norms ||z_i||^2 (chi2(d) under the standard null)."""
        if not self.streamed:
            return np.einsum("ij,ij->i", self.data, self.data)
        return self._row_map(lambda b, r0: np.einsum("ij,ij->i", b, b))

    @cached_property
    def mahalanobis(self) -> np.ndarray:
        """Squared Mahalanobis radii ||y_i||^2 = (z_i - mean)' S^{-1} (z_i - mean), S the MLE."""
        if not self.streamed or "whitened" in self.__dict__:
            y = self.whitened
            return np.einsum("ij,ij->i", y, y)
        m, root_inv = self.mean, self.whitening

        def rows(b, r0):
            y = (b - m) @ root_inv
            return np.einsum("ij,ij->i", y, y)

        return self._row_map(rows)

    def prepared_blocks(self, null: str):
        """Yield ``(r0, block)`` of :meth:`prepared` without building it: raw float64 row
        blocks, or whitened ones."""
        check_null(null)
        if null == "standard":
            yield from self.blocks()
            return
        if "whitened" in self.__dict__:
            y = self.whitened
            for r0 in range(0, self.n, self.block_rows):
                yield r0, y[r0:r0 + self.block_rows]
            return
        m, root_inv = self.mean, self.whitening
        for r0, b in self.blocks():
            yield r0, (b - m) @ root_inv

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
