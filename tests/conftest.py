"""Shared fixtures: a private cache folder per test session, seeded generators."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Point GAUSSTEST_CACHE_DIR at a fresh folder so no test reads a stale user cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("GAUSSTEST_CACHE_DIR", str(tmp_path_factory.mktemp("gausstest_cache")))
    yield
    mp.undo()


@pytest.fixture
def rng():
    return np.random.default_rng(20261124)


def size_band(alpha: float, reps: int) -> float:
    """Half-width of the binomial band used by size tests: 3 * sqrt(alpha(1-alpha)/R)."""
    return 3.0 * float(np.sqrt(alpha * (1 - alpha) / reps))
