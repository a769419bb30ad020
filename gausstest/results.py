"""The one result type every test returns."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

__all__ = ["PValueInfo", "TestResult", "jsonable"]


def jsonable(value: Any) -> Any:
    """Turn numpy scalars/arrays and mappings into plain JSON-safe Python (NaN/inf -> None)."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return v if math.isfinite(v) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


@dataclass(frozen=True, kw_only=True, slots=True)
class PValueInfo:
    """How a p-value was obtained.

    Attributes
    ----------
    method : str
        ``"asymptotic"``, ``"monte_carlo"`` or ``"exact"``.
    description : str
        The formula or the simulation, in words (e.g. "lognormal approximation of
        Henze & Zirkler (1990)", "Monte Carlo, B = 999 N(0, I) samples at n = 500").
    n_resamples : int or None
        B, for Monte Carlo.
    seed : int or None
        Seed of the simulation, for Monte Carlo.
    n_simulated : int or None
        Sample size at which the null was simulated (may be below n for statistics
        whose null law is n-stable; validated by the size checks).
    cache : str or None
        ``"hit"``, ``"built"`` or ``"off"`` for Monte Carlo.
    """

    method: str
    description: str
    n_resamples: int | None = None
    seed: int | None = None
    n_simulated: int | None = None
    cache: str | None = None
    #: 95% quantile of the simulated null statistics (Monte Carlo only)
    null_quantile_95: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "description": self.description,
            "n_resamples": self.n_resamples,
            "seed": self.seed,
            "n_simulated": self.n_simulated,
            "cache": self.cache,
            "null_quantile_95": jsonable(self.null_quantile_95),
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class TestResult:
    """Outcome of one test on one sample under one null.

    There is deliberately no accept/reject flag: deciding is the report's job,
    after multiplicity control.

    Attributes
    ----------
    test : str
        Registry code, e.g. ``"henze_zirkler"``.
    family : str
        ``"moments"``, ``"charfun"``, ``"radial"``, ``"prior"``, ...
    null : str
        ``"standard"`` (H0: z ~ N(0, I)) or ``"gaussian"`` (H0: z ~ N(mu, Sigma)).
    statistic : float
        The test statistic (larger is more extreme unless the test says otherwise).
    pvalue : float
        In (0, 1].
    pvalue_method : PValueInfo
    effect : float or None
        An n-free estimate of the population distance the statistic measures.
    effect_name : str
        What ``effect`` is (e.g. "KS distance of radii to chi2(d)").
    detectable_n : float or None
        Rough sample size at which an effect this large is detected at alpha = 0.05
        with about 50% power (statistic ~ n * effect beyond the null's 95% quantile).
    n, d : int
    details : mapping
        Read-only extra numbers (per-test; documented in each test's docstring).
    """

    __test__ = False  # not a pytest class

    test: str
    family: str
    null: str
    statistic: float
    pvalue: float
    pvalue_method: PValueInfo
    effect: float | None
    effect_name: str
    n: int
    d: int
    detectable_n: float | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    @property
    def id(self) -> str:
        return f"{self.test}:{self.null}"

    def __repr__(self) -> str:
        eff = "None" if self.effect is None else f"{self.effect:.4g}"
        return (
            f"TestResult(test={self.test!r}, null={self.null!r}, statistic={self.statistic:.6g}, "
            f"pvalue={self.pvalue:.4g}, method={self.pvalue_method.method!r}, effect={eff}, "
            f"n={self.n}, d={self.d})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "family": self.family,
            "null": self.null,
            "statistic": jsonable(self.statistic),
            "pvalue": jsonable(self.pvalue),
            "pvalue_method": self.pvalue_method.method,
            "pvalue_info": self.pvalue_method.to_dict(),
            "effect": jsonable(self.effect),
            "effect_name": self.effect_name,
            "detectable_n": jsonable(self.detectable_n),
            "n": self.n,
            "d": self.d,
            "details": jsonable(dict(self.details)),
        }
