"""The battery and :func:`assess`: run every selected test on one sample, decide once."""

from __future__ import annotations


from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from typing import Any, Iterable, Sequence

import numpy as np

from .chunks import worker_threads
from .dasksample import EXACT_TESTS, is_dask_array
from .errors import (InputError, OptionError, SingularCovarianceError, TooFewSamplesError,
                     UnknownTestError)
from .registry import REGISTRY, canonical_code, get_spec, run_test
from .report import Report, Skipped
from .sample import NULLS, as_sample
from .threads import blas_threads, serial_section

__all__ = ["assess", "DEFAULT_BATTERY", "VERDICT_WEIGHTS", "MAX_QUADRATIC_N", "select_tests",
           "selected_pairs", "verdict_weights"]

#: the default battery, in report order (see README "Which test catches what")
DEFAULT_BATTERY: tuple[str, ...] = (
    "prior_moments",     # mean, scale, correlation, collapsed dimensions (exact at any n)
    "mardia_skewness",   # asymmetry; the classic check, kept for comparability
    "mardia_kurtosis",   # tails and shells, cheap
    "henze_zirkler",     # affine-invariant omnibus (characteristic function)
    "energy",            # omnibus distance to N(0, I); strong on mixtures and shape
    "radii",             # shells and radial laws that fool Mardia's moments
    "projections",       # clusters and bimodality along a direction; names it
    "marginals",         # per-coordinate failures; names the dimensions
    "coverage",          # holes and off-prior mass (k-NN coverage/precision)
)

#: weight of each test in the verdict (weighted Holm, see
#: :func:`gausstest.report.closed_verdict`), keyed "code:null" or "code"; tests not
#: listed weigh 1. Only ratios within a family matter: under the standard null radii
#: gets 8/30 of alpha at the first step; under the composite null radii and marginals
#: 8/24 each; under null="both" the two families form one (8/54). Weighted Holm keeps the
#: family-wise error at alpha for any weights, so the weights only decide which
#: alternatives get the power. They were fitted on the validation atlas (n = 50, 200,
#: 1000; d = 2, 5, 20; 25 alternatives) by ``python tests/atlas/fit_weights.py``: a
#: coordinate search minimising the largest power gaps between each verdict (standard,
#: composite and both nulls) and the best single test of each cell. The script also
#: reports the gaps with equal weights and a leave-one-alternative-out estimate
#: (README, "The verdict").
VERDICT_WEIGHTS: dict[str, float] = {
    "radii": 8.0,
    "marginals:gaussian": 8.0, "marginals:standard": 2.0,
    "henze_zirkler": 4.0,
    "energy:standard": 4.0,
    "mardia_kurtosis:standard": 4.0,
    "coverage": 4.0,
    "prior_moments": 2.0,
    # every other (test, null) of the default battery weighs 1: mardia_skewness,
    # mardia_kurtosis:gaussian, energy:gaussian, projections
}

#: rows beyond which O(n^2) tests run on a seeded subsample (the report says so)
MAX_QUADRATIC_N = 20_000


def _expand(codes: Iterable[str]) -> list[tuple[str, str | None]]:
    """Parse "code" or "code:null" entries."""
    out = []
    for item in codes:
        code, _, null = item.partition(":")
        code = get_spec(code).code  # an alias ("prior_match") names its test
        if null and null not in NULLS:
            raise UnknownTestError(f"unknown null {null!r} in {item!r}; use one of {NULLS}")
        out.append((code, null or None))
    return out


def select_tests(
    tests: Sequence[str] | None, null: str, ignore: Sequence[str] = (),
) -> list[tuple[str, str]]:
    """(code, null) pairs to run: the chosen tests under each requested null they support."""
    nulls = NULLS if null == "both" else (null,)
    if null not in (*NULLS, "both"):
        raise OptionError(f"null must be 'standard', 'gaussian' or 'both'; got {null!r}")
    chosen = _expand(tests if tests is not None else DEFAULT_BATTERY)
    ignored = set(_expand(ignore))
    pairs = []
    for code, only in chosen:
        for nl in nulls:
            if only is not None and nl != only:
                continue
            if nl not in REGISTRY[code].nulls:
                continue
            if (code, None) in ignored or (code, nl) in ignored:
                continue
            if (code, nl) in pairs:  # named twice (e.g. by its alias): run once
                continue
            pairs.append((code, nl))
    return pairs


def _codes(value: Sequence[str] | str | None) -> Sequence[str] | None:
    """A comma-separated string is a list of codes (never read letter by letter)."""
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    return value


def selected_pairs(
    tests: Sequence[str] | str | None, null: str, ignore: Sequence[str] | str = (),
) -> list[tuple[str, str]]:
    """:func:`select_tests`, raising :class:`OptionError` (blaming the options, in API and
    CLI terms) when the selection runs no test at all."""
    def codes(name, value):
        value = _codes(value)
        if value is None:
            return None
        try:
            value = list(value)
        except TypeError:
            value = None
        if value is None or not all(isinstance(t, str) for t in value):
            raise OptionError(f"{name} must be a list of test codes (strings), e.g. "
                              "['radii', 'energy']", cli=f"--{'select' if name == 'tests' else name}"
                              " must be comma-separated test codes, e.g. radii,energy")
        return value

    tests, ignore = codes("tests", tests), codes("ignore", ignore) or []
    pairs = select_tests(tests, null, ignore)
    if pairs:
        return pairs
    if tests is not None and not list(tests):
        raise OptionError(
            "tests=[] selects no test; name test codes, e.g. tests=['radii', 'energy'] "
            "(gausstest.list_tests() lists them)",
            cli="--select is empty: name test codes, e.g. --select radii,energy "
                "('gausstest tests' lists them)")
    chosen = _expand(tests if tests is not None else DEFAULT_BATTERY)
    nulls = NULLS if null == "both" else (null,)
    unsupported = [code for code, only in chosen
                   if not any(nl in REGISTRY[code].nulls and only in (None, nl) for nl in nulls)]
    if len(unsupported) == len(chosen):
        codes = ", ".join(f"{c}:{only} (asks for {only} only)" if only else
                          f"{c} ({'/'.join(REGISTRY[c].nulls)} only)"
                          for c, only in chosen if c in unsupported)
        raise OptionError(
            f"no selected test runs under null={null!r}: {codes}; choose another null "
            "(null='standard', 'gaussian' or 'both') or other tests",
            cli=f"no selected test runs under --null {null}: {codes}; choose another --null "
                "(standard, gaussian or both) or other tests in --select")
    raise OptionError("ignore= leaves out every selected test; ignore fewer",
                      cli="--ignore leaves out every selected test; ignore fewer")


def _lookup(table: dict, code: str, null: str) -> float | None:
    for key in (f"{code}:{null}", code):
        if key in table:
            return float(table[key])
    return None


def _option_float(name: str, value: Any) -> float:
    """A numeric option as a float, or an :class:`OptionError` naming it."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise OptionError(f"{name} must be a number; got {value!r}")
    return float(value)


def verdict_weights(pairs: Sequence[tuple[str, str]], weights: Any = None) -> list[float]:
    """The verdict weight of each (code, null).

    ``weights`` is None (the defaults, :data:`VERDICT_WEIGHTS`), "equal" (plain
    Holm) or a mapping from "code" (every null of that test) or "code:null" to a
    positive weight. A user's entry wins over every default for that test ("code:null"
    over "code" within the same table); tests it does not name keep their defaults.
    Unknown codes or nulls are an error, not a silent no-op.
    """
    user: dict = {}
    if isinstance(weights, str) and weights == "equal":
        return [1.0] * len(pairs)
    if isinstance(weights, dict):
        bad = {k: v for k, v in weights.items()
               if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number))
               or not np.isfinite(v) or v <= 0}
        if bad:
            raise OptionError(f"verdict weights must be positive finite numbers; got {bad}")
        weights = {k: float(v) for k, v in weights.items()}
        _expand(weights)  # unknown test codes or nulls raise UnknownTestError
        user = {}
        for key, val in weights.items():
            code, sep, nl = key.partition(":")
            user[canonical_code(code) + sep + nl] = val
    elif weights is not None:
        raise OptionError(f"weights must be None, 'equal' or a dict code -> weight; got {weights!r}")
    out = []
    for code, nl in pairs:
        w = _lookup(user, code, nl)
        if w is None:
            w = _lookup(VERDICT_WEIGHTS, code, nl)
        out.append(1.0 if w is None else w)
    return out


def assess(
    z: Any, *, null: str = "both", alpha: float = 0.05, tests: Sequence[str] | None = None,
    ignore: Sequence[str] = (), method: Any = "auto", rng: Any = None,
    nan_policy: str = "raise", max_quadratic_n: int = MAX_QUADRATIC_N, weights: Any = None,
    progress: Any = None,
) -> Report:
    """Run the battery on a latent sample and return a :class:`Report`.

    Parameters
    ----------
    z : array_like, shape (n, d)
        numpy arrays and memmaps, lists, torch/jax arrays (through ``__array__`` /
        ``__dlpack__``; detach and move to CPU first). A large float32 memmap is read in
        float64 row blocks, never copied whole. A ``dask.array`` (extra ``dask``): the
        mean, covariance and per-column moments are exact over all rows (Dask
        reductions; ``prior_match`` uses them), every other test runs on a seeded
        subsample drawn through Dask, and the notes say which saw how many rows
        (:mod:`gausstest.dasksample`).
    null : {"both", "standard", "gaussian"}
        "standard" asks *prior match* (z ~ N(0, I)); "gaussian" asks *shape* (z ~
        N(mu, Sigma) for some mu, Sigma); "both" (default) asks both.
    alpha : float
        Family-wise error rate of the verdict: weighted Holm within each null, the
        two nulls joined by closed testing (:func:`gausstest.report.closed_verdict`).
    tests : sequence of str, optional
        Test codes (optionally "code:null"); default :data:`DEFAULT_BATTERY`.
    ignore : sequence of str
        Codes (or "code:null") to leave out.
    method : p-value method for every test ("auto", "asymptotic", "monte_carlo" or
        a PValueMethod).
    rng : None, int or Generator
        Base seed; each test derives its own stream from it and its code.
    nan_policy : {"raise", "omit"}
    max_quadratic_n : int
        O(n^2) tests run on a seeded subsample of this many rows beyond it.
    weights : None, "equal" or dict
        Verdict weights (see :func:`verdict_weights`); default :data:`VERDICT_WEIGHTS`.
    progress : None, bool, str or gausstest.progress.Progress
        Progress of slow runs on stderr or in Jupyter (:mod:`gausstest.progress`):
        None/True shows it where the person is, and only after a few seconds; False
        never.

    Returns
    -------
    Report
        ``verdict`` ("pass"/"fail"), ``findings`` in plain words, ``results``, and
        renderers ``to_text()``, ``to_markdown()``, ``to_json()``, ``to_html()``.
    """
    alpha = _option_float("alpha", alpha)  # a numpy scalar becomes a float (for JSON)
    if not 0 < alpha < 1:
        raise OptionError(f"alpha must be in (0, 1); got {alpha}", cli=f"--alpha must be in "
                          f"(0, 1); got {alpha}")
    if not (isinstance(max_quadratic_n, (int, np.integer)) and max_quadratic_n >= 3):
        raise OptionError(f"max_quadratic_n must be an integer >= 3; got {max_quadratic_n!r}")
    verdict_weights([], weights)  # a bad weights argument fails before any work
    pairs = selected_pairs(tests, null, ignore)  # option errors before the data is read
    if rng is not None and not isinstance(rng, np.random.Generator):
        from .pvalues import base_seed

        base_seed(rng)  # a bad rng fails here, not once per test
    seed = 0 if rng is None else rng
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(0, 2**62))
    exact, dask_notes = None, []
    if is_dask_array(z):  # exact summaries over all rows, the rest on a stated subsample
        from .dasksample import dask_samples

        exact, sample, dask_notes = dask_samples(z, seed=int(seed), nan_policy=nan_policy)
    else:
        sample = as_sample(z, nan_policy=nan_policy)
    singular_note = None
    if any(nl == "gaussian" for _, nl in pairs):
        # the composite null needs a full-rank covariance (and n > d + 1): say so up
        # front, naming the degenerate direction, rather than skipping half the battery;
        # except that with both nulls asked (the default) the prior match still answers
        # and names the collapsed direction, and the shape question is left unanswered with
        # the reason (a dead unit that outputs 0, two identical units, 50 rows in 64
        # dimensions: the whole report had been an exit-2 error)
        try:
            sample.require_composite()
        except (SingularCovarianceError, TooFewSamplesError) as exc:
            standard = [p for p in pairs if p[1] == "standard"]
            if null != "both" or not standard:
                raise
            skipped_pairs = [p for p in pairs if p[1] == "gaussian"]
            pairs = standard
            singular_note = (exc, skipped_pairs)
    sub = None
    if sample.n > max_quadratic_n:
        idx = np.sort(np.random.default_rng([int(seed), 7]).choice(sample.n, max_quadratic_n,
                                                                     replace=False))
        sub = sample.take(idx)
    results, skipped, notes = [], [], list(dask_notes)
    if singular_note is not None:
        exc, skipped_pairs = singular_note
        if isinstance(exc, TooFewSamplesError):
            why = (f"fitting a Gaussian needs n > d + 1 rows (n = {sample.n}, d = {sample.d})")
            reason = f"not run: {why}"
            notes.append(f"the shape question is not answered: {why}; the prior match and "
                         "coverage questions are")
        else:
            what = str(exc).split(". Drop", 1)[0]  # the finding, without the advice
            reason = f"not run: {what.split(' (', 1)[0].split('; ', 1)[0]} (see notes)"
            notes.append(f"the shape question is not answered: {what} (a constant or "
                         "collinear coordinate has no Gaussian shape to fit); the prior "
                         "match names it. Drop it to test the shape of the others")
        skipped += [Skipped(test=code, null=nl, reason=reason) for code, nl in skipped_pairs]
    if sample.dropped_rows:
        k = sample.dropped_rows
        notes.append(f"{k} row{'' if k == 1 else 's'} with NaN/inf {'was' if k == 1 else 'were'} "
                     "dropped (nan_policy='omit', --nan-policy omit)")
    from .progress import make_progress

    shown = make_progress(progress)
    shown.start(len(pairs))
    def run_one(pair: tuple[str, str]):
        code, nl = pair
        spec = REGISTRY[code]
        use = sub if (sub is not None and spec.quadratic) else sample
        if exact is not None and code in EXACT_TESTS:
            use = exact
        try:
            # deliberate BLAS threads (gausstest.threads); beside another test, the pairwise
            # engine stays on this thread instead of splitting its blocks again
            with blas_threads(), (serial_section() if workers > 1 else nullcontext()):
                return run_test(code, use, null=nl, method=method, rng=seed), use is sub, None
        except InputError as exc:
            return None, False, Skipped(test=code, null=nl, reason=str(exc))

    # the tests are independent (each draws from its own seeded stream), so on a sample that
    # fits in one block they run side by side on GAUSSTEST_THREADS workers (numpy and BLAS
    # release the GIL); a streamed sample runs them one at a time to keep memory bounded
    workers = 1 if sample.streamed else min(worker_threads(), len(pairs))
    try:
        with blas_threads():  # set once for all workers, so none restores another's setting
            # the progress display is updated from this thread only (a Jupyter display
            # handle is not thread safe): step k is shown when test k is awaited
            outcomes = []
            if workers > 1:
                with ThreadPoolExecutor(max_workers=workers) as ex:
                    futures = [ex.submit(run_one, p) for p in pairs]
                    for k, ((code, nl), fut) in enumerate(zip(pairs, futures)):
                        shown.step(k, f"{code} [{nl}]")
                        outcomes.append(fut.result())
            else:
                for k, (code, nl) in enumerate(pairs):
                    shown.step(k, f"{code} [{nl}]")
                    outcomes.append(run_one((code, nl)))
    finally:
        shown.done()
    for (code, nl), (res, on_sub, skip) in zip(pairs, outcomes):
        if skip is not None:
            skipped.append(skip)
            continue
        if on_sub:
            notes.append(f"{code} [{nl}] ran on a seeded subsample of {sub.n} of {sample.n} rows "
                         "(O(n^2) test)")
        elif res.details.get("rows_used", sample.n) < sample.n and code == "projections":
            notes.append(f"{code} [{nl}] ran on a seeded subsample of {res.details['rows_used']}"
                         f" of {sample.n} rows (its sorted projections cost too much per row)")
        elif code == "coverage" and res.details.get("subsampled"):
            notes.append(f"{code} [{nl}] used {res.details['n_used']} of {sample.n} rows (a "
                         "row-order-invariant subsample: its reference sample and shipped "
                         "null are at that size)")
        results.append(res)
    if not results:
        raise InputError("no test could run on this sample: " +
                         "; ".join(f"{s.test} [{s.null}]: {s.reason}" for s in skipped))
    report = Report.build(sample=sample if exact is None else exact, null=null, alpha=alpha,
                          results=results,
                          weights=verdict_weights([(r.test, r.null) for r in results], weights),
                          skipped=skipped, notes=notes)
    return _name_outliers(report, sample)


def _name_outliers(report: Report, sample: Sample) -> Report:
    """Name cells no Gaussian sample holds: first among the findings of a fail (the cause
    a reader needs, e.g. one cell of 3e6), a note when the verdict passes."""
    from dataclasses import replace

    from .sample import extreme_cells

    cells = extreme_cells(sample)
    if not len(cells):
        return report
    line = cells.describe(sample.source_rows)
    if report.verdict == "fail":
        return replace(report, findings=(line, *report.findings))
    return replace(report, notes=(*report.notes, line))
