"""p-value methods: objects that do the work, so adding one never touches test code.

* :class:`Asymptotic` -- the test's limit law (or exact formula), which states
  where it was validated by simulation.
* :class:`MonteCarlo` -- simulate the same statistic on N(0, I) samples of the same
  (n, d) (whitened too under the composite null):
  ``p = (1 + #{T* >= T}) / (B + 1)``, never 0. Simulated null distributions are
  cached on disk (see :func:`cache_dir`).
* :class:`Auto` -- the asymptotic law where the test declares it valid at (n, d),
  Monte Carlo otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from .results import PValueInfo
from .sample import whiten_batch

if TYPE_CHECKING:  # pragma: no cover
    from .registry import TestSpec

__all__ = [
    "PValueMethod",
    "Asymptotic",
    "MonteCarlo",
    "Auto",
    "resolve_method",
    "cache_dir",
    "simulate_null",
    "stream_seed",
]

#: bump when any simulated statistic changes meaning, to invalidate old caches
CACHE_FORMAT = 1
#: floats per simulated batch (B_batch * n * d); bounds memory of the simulation
_BATCH_FLOATS = 4_000_000


def cache_dir() -> Path:
    """Folder for cached null distributions: ``$GAUSSTEST_CACHE_DIR``, else the user cache."""
    env = os.environ.get("GAUSSTEST_CACHE_DIR")
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "gausstest"


def stream_seed(base: int, code: str) -> int:
    """Seed of a test's own random stream: running a subset never changes another test."""
    return int(np.random.SeedSequence([base, zlib.crc32(code.encode())]).generate_state(1)[0])


def base_seed(rng: Any) -> int:
    """An integer base seed from ``rng`` (None -> 0, int, or a Generator)."""
    if rng is None:
        return 0
    from .errors import OptionError

    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        if rng < 0:
            raise OptionError(f"rng must be None, a non-negative int seed or a numpy "
                              f"Generator; got {int(rng)}")
        return int(rng)
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, 2**62))
    raise OptionError(f"rng must be None, a non-negative int seed or a numpy Generator; got "
                      f"{type(rng).__name__}")


class PValueMethod:
    """Base class: ``compute(spec, observed, n, d, null, options, seed) -> (pvalue, info)``."""

    def compute(
        self, spec: TestSpec, observed: float, n: int, d: int, null: str,
        options: Mapping[str, Any], seed: int,
    ) -> tuple[float, PValueInfo]:
        raise NotImplementedError


@dataclass(frozen=True)
class Asymptotic(PValueMethod):
    """Use the test's asymptotic (or exact) null law."""

    def compute(self, spec, observed, n, d, null, options, seed):
        if spec.asymptotic is None:
            raise ValueError(f"{spec.code} has no asymptotic p-value; use method='monte_carlo'")
        p, description = spec.asymptotic(observed, n, d, null, dict(options))
        if not np.isfinite(p):
            # the law is not defined here (e.g. Henze-Zirkler's lognormal moments at high d,
            # where the statistic lives in the last digits of 1): never a NaN p-value
            p2, info = Auto(use_asymptotic=False).compute(spec, observed, n, d, null, options, seed)
            note = (f"the asymptotic law ({description}) is not defined at n = {n}, d = {d}; "
                    "used instead: ")
            return p2, PValueInfo(**{**info.to_dict(), "description": note + info.description})
        valid = spec.asymptotic_valid is None or spec.asymptotic_valid(n, d, null, dict(options))
        if not valid:
            description += " (outside the (n, d) range where its size was validated)"
        kind = "exact" if description.startswith("exact") else "asymptotic"
        # a p-value is never 0: a law's tail that underflows is reported as the
        # smallest positive double
        p = float(min(max(p, np.finfo(float).tiny), 1.0))
        return p, PValueInfo(method=kind, description=description)


@dataclass(frozen=True)
class MonteCarlo(PValueMethod):
    """Monte Carlo p-value from B statistics simulated under N(0, I).

    Parameters
    ----------
    n_resamples : int, optional
        B; default is the test's own (4999 for linear-time tests, 1999 for O(n^2) ones).
    cache : bool
        Read and write simulated null distributions under :func:`cache_dir`.
    """

    n_resamples: int | None = None
    cache: bool = True

    def __post_init__(self):
        b = self.n_resamples
        if b is not None and (isinstance(b, bool) or not isinstance(b, (int, np.integer))
                              or b < 1):
            from .errors import OptionError

            raise OptionError(f"MonteCarlo(n_resamples=...) must be a positive integer (or "
                              f"None for the test's default); got {b!r}")

    def compute(self, spec, observed, n, d, null, options, seed):
        n_sim = spec.sim_rows(n, d, options)
        b = self.n_resamples or spec.resamples(n_sim, d)
        null_stats, cache_state = simulate_null(
            spec, n_sim, d, null, options, b, seed, use_cache=self.cache
        )
        if spec.two_sided:
            t, sims = abs(observed), np.abs(null_stats)
        else:
            t, sims = observed, null_stats
        # ties computed along different code paths differ in the last bits: count them as
        # ties, at a tolerance relative to the statistic's own scale (an absolute floor
        # would swallow statistics that live at 1e-39, e.g. Henze-Zirkler at d = 256)
        scale = max(abs(t), float(np.max(np.abs(sims)))) if sims.size else abs(t)
        tol = 1e-12 * scale
        count = int(np.count_nonzero(sims >= t - tol))
        p = (1 + count) / (b + 1)
        where = f"n = {n_sim}" + ("" if n_sim == n else f" (the null law is n-stable beyond {n_sim})")
        fitted = ", each fitted and whitened" if null == "gaussian" else ""
        desc = f"Monte Carlo: {b} N(0, I) samples at {where}, d = {d}{fitted}"
        return p, PValueInfo(
            method="monte_carlo", description=desc, n_resamples=b, seed=seed,
            n_simulated=n_sim, cache=cache_state,
            null_quantile_95=float(np.quantile(sims, 0.95)),
        )


@dataclass(frozen=True)
class Auto(PValueMethod):
    """The asymptotic law where validated at (n, d); else the shipped null table
    (:mod:`gausstest.calibration`) where it covers the call; else Monte Carlo.

    ``n_resamples`` asks for Monte Carlo with that B wherever no law applies (the
    shipped table is then skipped)."""

    n_resamples: int | None = None
    use_asymptotic: bool = True

    def compute(self, spec, observed, n, d, null, options, seed):
        if self.use_asymptotic and spec.asymptotic is not None and (
            spec.asymptotic_valid is None or spec.asymptotic_valid(n, d, null, dict(options))
        ):
            return Asymptotic().compute(spec, observed, n, d, null, options, seed)
        if self.n_resamples is None:
            from .calibration import Shipped, applies

            if applies(spec, n, d, null, options):
                return Shipped().compute(spec, observed, n, d, null, options, seed)
        return MonteCarlo(self.n_resamples).compute(spec, observed, n, d, null, options, seed)


def resolve_method(method: Any) -> PValueMethod:
    """Accept a :class:`PValueMethod` or one of "auto", "asymptotic", "monte_carlo"."""
    if isinstance(method, PValueMethod):
        return method
    if method == "table":
        from .calibration import Shipped

        return Shipped()
    names = {"auto": Auto, "asymptotic": Asymptotic, "monte_carlo": MonteCarlo, "mc": MonteCarlo}
    if isinstance(method, str) and method in names:
        return names[method]()
    raise ValueError(
        f"method must be 'auto', 'asymptotic', 'table', 'monte_carlo' or a PValueMethod; "
        f"got {method!r}"
    )


# -- simulation and its cache ---------------------------------------------------------

def _cache_key(spec, n, d, null, options, b, seed) -> str:
    from . import __version__

    payload = json.dumps(
        [spec.code, spec.version, CACHE_FORMAT, __version__, null, n, d, b, seed,
         sorted((k, repr(v)) for k, v in options.items())],
    )
    digest = hashlib.sha256(payload.encode()).hexdigest()[:16]
    return f"{spec.code}-{null}-n{n}-d{d}-B{b}-{digest}.npy"


def _load(path: Path, b: int) -> np.ndarray | None:
    """The cached statistics at ``path``, or None when absent, unusable or not a regular file.

    The entry is opened without blocking and checked to be a regular file before it is
    read (a FIFO or a device in the cache would otherwise hang the run), and its header
    is checked before any data is read.
    """
    from numpy.lib import format as npformat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError):
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        with os.fdopen(fd, "rb") as fh:
            version = npformat.read_magic(fh)
            reader = (npformat.read_array_header_1_0 if version == (1, 0)
                      else npformat.read_array_header_2_0)
            shape, fortran, dtype = reader(fh)
            if dtype != np.float64 or shape != (b,) or fortran:
                return None
            arr = np.frombuffer(fh.read(8 * b), dtype=np.float64)
    except Exception:
        return None
    if arr.shape != (b,) or not np.isfinite(arr).all():
        return None
    return arr.copy()


#: a temporary cache file older than this (seconds) was left by a killed run
_STALE_TMP_S = 3600.0


def _sweep_tmp(folder: Path) -> None:
    """Remove temporary files that killed runs left in the cache folder."""
    now = time.time()
    try:
        with os.scandir(folder) as it:
            for entry in it:
                if entry.name.endswith(".tmp") and entry.is_file(follow_symlinks=False):
                    try:
                        if now - entry.stat(follow_symlinks=False).st_mtime > _STALE_TMP_S:
                            os.unlink(entry.path)
                    except OSError:
                        pass
    except OSError:
        pass


def _save(path: Path, arr: np.ndarray) -> bool:
    """Write ``arr`` to ``path`` atomically (a temporary file renamed over it); False when
    the cache cannot be written. The temporary file never outlives a failure."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            # a folder squats on the entry's name: it cannot be replaced (a FIFO or any
            # other non-folder entry is replaced by the rename below)
            return False
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, arr, allow_pickle=False)
        os.replace(tmp, path)
        tmp = None
        _sweep_tmp(path.parent)
        return True
    except (OSError, ValueError):
        return False
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


_warned_cache: set[str] = set()


def _cache_warning(folder: Path, reason: str) -> None:
    """Say once per process, on one line, that the cache folder cannot be used."""
    key = str(folder)
    if key in _warned_cache:
        return
    _warned_cache.add(key)
    shown = key if len(key) <= 120 else key[:60] + "..." + key[-40:]
    print(f"gausstest: warning: cannot use the cache folder {ascii(shown)[1:-1]} ({reason}); "
          "simulated nulls are not kept (set GAUSSTEST_CACHE_DIR to a writable folder)",
          file=sys.stderr)


def _one_blas_thread():
    """Context limiting BLAS to one thread while simulating.

    The null is thousands of small matrix products; multithreaded OpenBLAS on them
    spends more time synchronising than computing (100x slower seen on a loaded
    2-core machine), so simulations run single-threaded.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a declared dependency
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _draw_statistics(spec, n, d, null, options, b, seed) -> np.ndarray:
    with _one_blas_thread():
        return _draw_statistics_unlimited(spec, n, d, null, options, b, seed)


def whitened_gram(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """The Gram matrix Y Y' of one N(0, I) sample of n rows in d dimensions whitened by its
    mean and MLE covariance, drawn without the sample.

    Y = X_c S^{-1/2} with S = X_c' X_c / n gives Y Y' = n P, P the orthogonal projection on
    the column space of X_c: a uniformly distributed d-dimensional subspace of the
    complement of the ones vector (the law of X_c is invariant under the orthogonal maps
    that fix it). Its complement there is a uniform subspace of dimension m = n - 1 - d,
    the span of C W for W ~ N(0, I_{n x m}) and C = I - 11'/n, so with Q an orthonormal
    basis of C W,  Y Y' = n (C - Q Q') = n I - 11' - n Q Q'.  The cost is O(n m^2 + n^2 m)
    instead of whitening's O(n d^2) and the statistic's O(n^2 d): near n = d, where the
    composite-null tables stop, the Monte Carlo null is several times faster
    (``tests/test_pvalues.py`` checks the law against whitened samples).
    """
    g = np.full((n, n), -1.0)
    g[np.diag_indices(n)] += n
    q = _complement_basis(n, d, rng)
    if q is not None:
        g -= n * (q @ q.T)
    return g


def _complement_basis(n: int, d: int, rng: np.random.Generator) -> np.ndarray | None:
    """An orthonormal basis (n x m) of a uniformly random m = n - 1 - d dimensional
    subspace off the ones vector: the span of C W, W ~ N(0, I_{n x m}); None when m = 0."""
    m = n - 1 - d
    if m <= 0:
        return None
    w = rng.standard_normal((n, m))
    w -= w.mean(axis=0)
    return np.linalg.qr(w)[0]


def whitened_radii(n: int, d: int, b: int, rng: np.random.Generator) -> np.ndarray:
    """Squared radii ||y_i||^2 (b, n) of b whitened N(0, I) samples (n rows, d dimensions),
    drawn without the samples: the diagonal of :func:`whitened_gram`,
    n (1 - 1/n - ||q_i||^2), O(n m^2) per sample for m = n - 1 - d (they sum to n d)."""
    out = np.full((b, n), float(n - 1))
    for k in range(b):
        q = _complement_basis(n, d, rng)
        if q is not None:
            out[k] -= n * np.einsum("ij,ij->i", q, q)
    return out


def _gram_route(spec, n: int, d: int, null: str) -> bool:
    """Draw whitened Gram matrices instead of whitening samples: for an affine-invariant
    statistic with a Gram kernel under the composite null, where it is cheaper (fewer
    than d dimensions in the complement, m = n - 1 - d < d; flops m (2 m + n) n against
    d (2 d + n) n)."""
    return (null == "gaussian" and (spec.gram_kernel is not None or spec.radial_kernel is not None)
            and spec.affine_invariant and 0 <= n - 1 - d < d)


def _draw_statistics_unlimited(spec, n, d, null, options, b, seed) -> np.ndarray:
    if spec.simulate is not None:
        return np.asarray(spec.simulate(n, d, null, b, np.random.default_rng(seed), dict(options)),
                          dtype=np.float64)
    if _gram_route(spec, n, d, null):
        rng = np.random.default_rng(seed)
        if spec.radial_kernel is not None:
            per = max(1, min(b, _BATCH_FLOATS // max(1, n)))
            return np.concatenate([
                np.asarray(spec.radial_kernel(whitened_radii(n, d, min(per, b - s), rng), d,
                                              null=null, **options), dtype=np.float64)
                for s in range(0, b, per)])
        return np.array([spec.gram_kernel(whitened_gram(n, d, rng), d, null=null, **options)
                         for _ in range(b)], dtype=np.float64)
    rng = np.random.default_rng(seed)
    per = max(1, min(b, _BATCH_FLOATS // max(1, n * d)))
    out = np.empty(b, dtype=np.float64)
    show = sys.stderr.isatty() and n * d * b > 50_000_000
    start = time.monotonic()
    done = 0
    while done < b:
        m = min(per, b - done)
        x = rng.standard_normal((m, n, d))
        if null == "gaussian":
            x = whiten_batch(x, any_rotation=spec.affine_invariant)
        out[done:done + m] = spec.kernel(x, null=null, **options)
        done += m
        if show and time.monotonic() - start > 1.0:
            print(f"\rgausstest: simulating null of {spec.code} [{null}] n={n} d={d}: "
                  f"{done}/{b}", end="", file=sys.stderr, flush=True)
    if show and time.monotonic() - start > 1.0:
        print(" (cached for next time)", file=sys.stderr, flush=True)
    return out


def simulate_null(
    spec: TestSpec, n: int, d: int, null: str, options: Mapping[str, Any], b: int, seed: int,
    *, use_cache: bool = True,
) -> tuple[np.ndarray, str]:
    """B null statistics of ``spec`` at (n, d), from the disk cache when present.

    A corrupt, truncated or mismatched cache file is ignored and rebuilt.
    Returns the statistics and "hit", "built" or "off".
    """
    path = None
    if use_cache:
        folder = cache_dir()
        path = folder / _cache_key(spec, n, d, null, options, b, seed)
        cached = _load(path, b)
        if cached is not None:
            return cached, "hit"
    stats = _draw_statistics(spec, n, d, null, options, b, seed)
    if not np.isfinite(stats).all():
        raise RuntimeError(f"simulated null of {spec.code} produced non-finite values")
    if path is not None:
        if _save(path, stats):
            return stats, "built"
        try:
            usable = path.parent.is_dir() and os.access(path.parent, os.W_OK)
        except (OSError, ValueError):
            usable = False
        if not usable:
            _cache_warning(path.parent, "not a writable folder, or its path is too long")
    return stats, "off"
