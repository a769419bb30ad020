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
import itertools
import os
import threading
from typing import Callable

__all__ = ["blas_threads", "default_blas_threads", "worker_threads", "engine_threads",
           "serial_section", "run_parallel"]


def worker_threads() -> int:
    """Threads that share out independent work: ``$GAUSSTEST_THREADS``, else min(2, CPUs).

    Sorting, numpy's element-wise loops and the one-thread BLAS products release the GIL,
    so two workers use both cores of a 2-core machine without oversubscribing it."""
    raw = os.environ.get("GAUSSTEST_THREADS", "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return max(1, min(2, os.cpu_count() or 1))


_LOCAL = threading.local()


@contextlib.contextmanager
def serial_section():
    """Inside it (per thread), :func:`engine_threads` is 1: work that already runs on
    one of several worker threads (the tests of :func:`gausstest.assess`, the engine's
    own workers) does not split itself again and oversubscribe the cores."""
    depth = getattr(_LOCAL, "serial", 0)
    _LOCAL.serial = depth + 1
    try:
        yield
    finally:
        _LOCAL.serial = depth


def engine_threads() -> int:
    """Threads the pairwise engine may use here: 1 inside a :func:`serial_section`, else
    :func:`worker_threads`."""
    return 1 if getattr(_LOCAL, "serial", 0) else worker_threads()


_POOL = None
_POOL_LOCK = threading.Lock()


def _pool(workers: int):
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL._max_workers < workers:
            from concurrent.futures import ThreadPoolExecutor

            _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gausstest")
        return _POOL


def run_parallel(work: Callable[[int], None], count: int, workers: int) -> None:
    """Call ``work(k)`` for k in range(count) on ``workers`` threads, each taking the next
    k when it is free (inside a :func:`serial_section`); ``work`` writes disjoint results,
    so they do not depend on which thread ran which k."""
    workers = max(1, min(int(workers), count))
    if workers == 1:
        for k in range(count):
            work(k)
        return
    ticket = itertools.count()  # next() on it is atomic under the GIL

    def lane() -> None:
        with serial_section():
            for k in iter(lambda: next(ticket), None):
                if k >= count:
                    return
                work(k)

    futures = [_pool(workers).submit(lane) for _ in range(workers)]
    for f in futures:
        f.result()  # re-raises the first error


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
