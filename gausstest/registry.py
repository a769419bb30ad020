"""The registry of tests: one frozen :class:`TestSpec` per test code.

A spec holds everything the battery, the p-value methods and the CLI need:
the family, the nulls it supports, a pure batched kernel (``(B, n, d) -> (B,)``)
used for Monte Carlo, the observed-sample computation (statistic, effect,
details), an optional asymptotic law with the (n, d) range where its size was
validated, and a plain-words finding for when it rejects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from .errors import TooFewSamplesError, UnknownTestError
from .pvalues import base_seed, resolve_method, stream_seed
from .results import TestResult
from .sample import Sample, as_sample, check_null

__all__ = ["TestSpec", "Observation", "REGISTRY", "TEST_ALIASES", "canonical_code", "register",
           "get_spec", "run_test", "list_tests"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Observation:
    """What a test computes on the observed sample, before its p-value."""

    statistic: float
    effect: float | None
    details: Mapping[str, Any] = field(default_factory=dict)
    #: statistic / n -> rate used for detectable_n (None: not available)
    rate: float | None = None
    #: the quantity Monte Carlo compares, when it must differ from ``statistic`` (same
    #: ordering, better conditioned: e.g. Henze-Zirkler's T - 1 at high d)
    mc_statistic: float | None = None


@dataclass(frozen=True, kw_only=True)
class TestSpec:
    """Everything known about one test.

    ``kernel(x, null=..., **options)`` maps prepared batches ``(B, n, d)`` to B
    statistics; ``observe(sample, null, options)`` returns the :class:`Observation`
    on the data, whose ``statistic`` must equal the kernel on the prepared data.
    """

    __test__ = False

    code: str
    family: str
    title: str
    nulls: tuple[str, ...]
    kernel: Callable[..., np.ndarray] | None
    observe: Callable[[Sample, str, dict], Observation]
    effect_name: str
    asymptotic: Callable[[float, int, int, str, dict], tuple[float, str]] | None = None
    asymptotic_valid: Callable[[int, int, str, dict], bool] | None = None
    simulate: Callable[..., np.ndarray] | None = None
    #: ``gram_kernel(g, d, null=..., **options)``: the statistic of one whitened sample
    #: from its n x n Gram matrix g = Y Y' (affine-invariant tests under the composite
    #: null). Near n = d the Monte Carlo null then draws g directly
    #: (:func:`gausstest.pvalues.whitened_gram`), without a sample to whiten
    gram_kernel: Callable[..., float] | None = None
    #: ``radial_kernel(r2, d, null=..., **options)``: the statistic of whitened samples
    #: from their squared radii r2 (..., n) alone (Mardia's kurtosis, the radii test): near
    #: n = d the composite null draws them without a sample (:func:`whitened_radii`)
    radial_kernel: Callable[..., np.ndarray] | None = None
    #: Monte Carlo simulates at min(n, cap) rows, cap = mc_max_n (or mc_max_n(d));
    #: None simulates at n
    mc_max_n: int | None | Callable[[int], int | None] = 1000
    #: (n, d, options) -> rows simulated, for tests whose cap depends on their options
    #: (overrides mc_max_n)
    sim_rows_rule: Callable[[int, int, dict], int] | None = None
    #: rows above which the statistic itself is computed on a row-order-invariant seeded
    #: subsample (d -> rows, or None): for statistics whose null law is not n-stable
    #: at that d, so that the Monte Carlo null is simulated at exactly the rows used
    subsample_above: Callable[[int], int | None] | None = None
    #: B of Monte Carlo p-values. With one cached null sample per (test, n, d), the
    #: conditional size has Monte Carlo sd sqrt(alpha(1-alpha)/B): 0.0031 at B = 4999
    #: (0.0069 at 999, too coarse to hold [0.035, 0.065] reliably); O(n^2) tests use 1999.
    default_resamples: int | Callable[[int, int], int] = 4999
    two_sided: bool = False
    min_n: Callable[[int, str], int] = lambda d, null: 3
    finding: Callable[[TestResult], str] | None = None
    quadratic: bool = False
    #: under null="gaussian", is the statistic invariant to every affine map z -> zA + b
    #: (False: only to coordinate-wise scaling and shifts, e.g. per-coordinate tests)
    affine_invariant: bool = True
    #: options that follow the base seed (e.g. random projection directions): called
    #: with the base seed by :func:`run_test` when it is not 0; explicit options win
    seed_options: Callable[[int], dict] | None = None
    version: int = 1

    def sim_rows(self, n: int, d: int, options: Mapping[str, Any] | None = None) -> int:
        """Rows the Monte Carlo null of a sample of n rows is simulated at."""
        if self.sim_rows_rule is not None:
            return int(self.sim_rows_rule(n, d, dict(options or {})))
        cap = self.sim_cap(d)
        return min(n, cap) if cap else n

    def sim_cap(self, d: int) -> int | None:
        """Largest number of rows the Monte Carlo null is simulated at, for this d: the
        test's cap, where the statistic uses every row raised to at least
        :data:`MIN_SIM_ROWS_PER_D` x d (the cap stands for "n-stable beyond", which fails
        near n = d), rounded up to a row count of the shipped tables' grid (so that a
        table cell holds exactly the law simulated). Off the tables' d grid, the row also
        holds a composite-null cell at the next grid d (more than that d + 1 rows), so
        that the law interpolates in d there: at d = 385-400 the row is 700, not 500,
        which cannot whiten a sample in 512 dimensions."""
        cap = self.mc_max_n
        cap = cap(d) if callable(cap) else cap
        if cap and not (self.subsample_above is not None and self.subsample_above(d)):
            least = math.ceil(MIN_SIM_ROWS_PER_D * d)
            if cap < least:
                from .calibration import D_GRID, N_GRID

                above = [g for g in D_GRID if g >= d]
                if above and above[0] != d:
                    least = max(least, above[0] + 2)
                cap = min([g for g in N_GRID if g >= least] or [least])
        return cap

    def resamples(self, n: int, d: int) -> int:
        """Default B at the simulated (n, d)."""
        b = self.default_resamples
        return int(b(n, d)) if callable(b) else int(b)

    def __repr__(self) -> str:
        return f"TestSpec({self.code!r}, family={self.family!r}, nulls={self.nulls})"


REGISTRY: dict[str, TestSpec] = {}

#: a capped Monte Carlo null (:attr:`TestSpec.mc_max_n`) is simulated at no fewer rows
#: than this times d. A cap rests on the null law being n-stable beyond it, which holds
#: while d / n is small but not near n = d, where whitening shapes the law: random
#: projections under the composite null simulated at 400 rows reproduce the law at 1500
#: rows at d = 300 (KS p = 0.95 on 600 + 600 draws) but not at d = 380 (KS p = 0.008, size
#: 0.022 at alpha = 0.01), and at d >= 398 the 400 rows could not be whitened at all;
#: at 1.25 d rows the law held (d = 384 from 480 rows, KS p = 0.44; d = 512 from 640 to
#: 2000 rows, KS p = 0.82; sizes 0.050 / 0.007 and 0.058 / 0.013 at 0.05 / 0.01)
MIN_SIM_ROWS_PER_D = 1.25

#: old test codes still accepted wherever a code is (tests=, --select, --ignore, weights):
#: the test of the first two moments was "prior_match" before the report gained the
#: question of that name
TEST_ALIASES: dict[str, str] = {"prior_match": "prior_moments"}


def canonical_code(code: str) -> str:
    """The registered code of ``code`` (an alias in :data:`TEST_ALIASES` maps to its test)."""
    return TEST_ALIASES.get(code, code)


def register(spec: TestSpec) -> TestSpec:
    if spec.code in REGISTRY:
        raise ValueError(f"test {spec.code!r} registered twice")
    REGISTRY[spec.code] = spec
    return spec


def get_spec(code: str) -> TestSpec:
    try:
        return REGISTRY[canonical_code(code)]
    except KeyError:
        raise UnknownTestError(
            f"unknown test {code!r}; known tests: {', '.join(sorted(REGISTRY))}"
        ) from None


def list_tests() -> list[TestSpec]:
    return [REGISTRY[k] for k in sorted(REGISTRY)]


#: at d > 20 the null laws of the O(n^2) distance statistics drift with n (whitening and
#: plug-in biases of order d^2/n): they are computed on at most this many rows there
HIGH_D_ROWS = 1000


def high_d_subsample(d: int) -> int | None:
    """``subsample_above`` rule of the O(n^2) distance tests: HIGH_D_ROWS rows when d > 20."""
    return HIGH_D_ROWS if d > 20 else None


def _invariant_subsample(data: np.ndarray, m: int) -> np.ndarray:
    """Indices of m rows chosen by a hash of each row's values: seeded, and the same rows
    whatever their order (so results stay invariant to row order)."""
    bits = np.ascontiguousarray(data, dtype=np.float64).view(np.uint64)
    mult = np.random.default_rng(20261124).integers(1, 2**63, size=bits.shape[1],
                                                   dtype=np.uint64) | np.uint64(1)
    with np.errstate(over="ignore"):
        h = (bits * mult).sum(axis=1, dtype=np.uint64)
        h ^= h >> np.uint64(29)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(32)
    return np.sort(np.argsort(h, kind="stable")[:m])


def run_test(
    code: str, z: Any, *, null: str, method: Any = "auto", nan_policy: str = "raise",
    rng: Any = None, options: Mapping[str, Any] | None = None,
) -> TestResult:
    """Run one registered test: validate, observe, and compute the p-value."""
    spec = get_spec(code)
    code = spec.code
    check_null(null)
    if null not in spec.nulls:
        raise ValueError(f"{code} supports null in {spec.nulls}; got {null!r}")
    sample = as_sample(z, nan_policy=nan_policy)
    if null == "gaussian":
        sample.require_composite()
    need = spec.min_n(sample.d, null)
    if sample.n < need:
        raise TooFewSamplesError(
            f"{code} needs n >= {need} at d = {sample.d} under null={null!r}; got n = {sample.n}"
        )
    bseed = base_seed(rng)
    opts = dict(options or {})
    if spec.seed_options is not None and bseed:
        opts = {**spec.seed_options(bseed), **opts}
    n_input = sample.n
    limit = spec.subsample_above(sample.d) if spec.subsample_above is not None else None
    if limit is not None and sample.n > limit:
        sample = Sample(sample.data[_invariant_subsample(sample.data, limit)])
    obs = spec.observe(sample, null, opts)
    # a renamed test keeps the random stream of its old code: its p-values do not change
    stream = next((old for old, new in TEST_ALIASES.items() if new == code), code)
    seed = stream_seed(bseed, f"{stream}:{null}")
    compared = obs.statistic if obs.mc_statistic is None else obs.mc_statistic
    pvalue, info = resolve_method(method).compute(
        spec, float(compared), sample.n, sample.d, null, opts, seed
    )
    details = dict(obs.details)
    if sample.n < n_input:
        details["subsample"] = (f"computed on {sample.n} of {n_input} rows (a seeded, "
                                "row-order-invariant subsample): its null law is not n-stable here")
    if getattr(sample, "dropped_rows", 0):
        details["dropped_rows"] = sample.dropped_rows
    detectable = None
    crit = details.get("critical_value", info.null_quantile_95)
    if obs.rate is not None and obs.rate > 0 and crit is not None and crit > 0:
        # the statistic grows like n * rate under the alternative; it reaches the null's
        # 95% quantile (about 50% power) near n = critical value / rate
        detectable = float(crit) / obs.rate
    return TestResult(
        test=code, family=spec.family, null=null, statistic=float(obs.statistic),
        pvalue=float(pvalue), pvalue_method=info,
        effect=None if obs.effect is None else float(obs.effect), effect_name=spec.effect_name,
        n=sample.n, d=sample.d, detectable_n=detectable, details=details,
    )
