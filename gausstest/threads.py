"""BLAS threads chosen on purpose, not by the library default.

The observed statistics are GEMMs of thin blocks (Gram blocks of the pairwise engine,
X'X over row blocks, projections on a chunk of directions). With OpenBLAS's default of
one thread per core, on a 2-core machine shared with other work, those products spent
more time synchronising than computing: the pairwise pass ran 2.6x slower and
``c.T @ c`` at 20,000 x 64 took 0.62 s instead of 0.014 s (issue 13). So
:func:`gausstest.assess` runs them on ``GAUSSTEST_BLAS_THREADS`` threads, 1 unless set
(the Monte Carlo simulations already run on one).
"""

from __future__ import annotations

import contextlib
import os

__all__ = ["blas_threads", "default_blas_threads"]


def default_blas_threads() -> int:
    """``$GAUSSTEST_BLAS_THREADS`` if it is a positive integer, else 1."""
    raw = os.environ.get("GAUSSTEST_BLAS_THREADS", "").strip()
    try:
        val = int(raw)
    except ValueError:
        return 1
    return val if val > 0 else 1


_CONTROLLER = None


def _controller():
    """One ThreadpoolController for the process (introspecting the loaded BLAS libraries
    once: a fresh ``threadpool_limits`` per call costs about a millisecond)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


def blas_threads(limit: int | None = None):
    """Context manager limiting BLAS to ``limit`` threads (default :func:`default_blas_threads`)."""
    try:
        ctl = _controller()
    except ImportError:  # pragma: no cover - threadpoolctl is a declared dependency
        return contextlib.nullcontext()
    return ctl.limit(limits=default_blas_threads() if limit is None else int(limit),
                     user_api="blas")
