"""Simulation tools: rejection rates of registered tests, for size and power checks.

Used by the test suite's size checks and by the validation atlas; public so users
can check a test's calibration at their own (n, d).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .registry import run_test

__all__ = ["rejection_rate", "binomial_band", "standard_normal"]


def standard_normal(n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """The null sampler: n rows of N(0, I_d)."""
    return rng.standard_normal((n, d))


def binomial_band(alpha: float, reps: int, k: float = 3.0) -> float:
    """Half-width k * sqrt(alpha (1 - alpha) / R) of the Monte Carlo band around alpha."""
    return k * math.sqrt(alpha * (1 - alpha) / reps)


def rejection_rate(
    code: str, null: str, n: int, d: int, *, reps: int, alpha: float = 0.05,
    sampler: Callable[[int, int, np.random.Generator], np.ndarray] = standard_normal,
    seed: int = 0, method: Any = "auto", options: dict | None = None,
) -> dict[str, Any]:
    """Fraction of ``reps`` simulated samples on which ``code`` rejects at ``alpha``.

    Each replicate draws a fresh sample from ``sampler`` (N(0, I) by default: the
    rate is then the test's size) and runs the test with its default p-value
    method; Monte Carlo nulls come from the disk cache after the first draw.

    Returns a dict with rate, rejections, reps, the binomial band half-width, the
    p-value method used, and whether the rate lies inside alpha +- band.
    """
    rng = np.random.default_rng([seed, n, d])
    rejections = 0
    method_used = None
    for _ in range(reps):
        r = run_test(code, sampler(n, d, rng), null=null, method=method, options=options)
        rejections += r.pvalue <= alpha
        method_used = r.pvalue_method.method
    rate = rejections / reps
    band = binomial_band(alpha, reps)
    return {"test": code, "null": null, "n": n, "d": d, "reps": reps, "alpha": alpha,
            "rejections": int(rejections), "rate": rate, "band": band,
            "within_band": abs(rate - alpha) <= band, "method": method_used}
