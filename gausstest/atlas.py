"""The validation atlas: size and power of every test, on a grid of (n, d) and alternatives.

A normality test suite is only as good as its calibration and its power. This
harness measures both for whatever is registered at run time
(:data:`gausstest.registry.REGISTRY`, each test run through
:func:`gausstest.registry.run_test` with its default p-value method), for the
verdict of :func:`gausstest.assess`, and for two independent implementations kept
out of the library (pingouin's Henze-Zirkler p-value; scipy univariate tests with a
Bonferroni bound over coordinates).

Design
------
* A *unit* of work is (test, alternative, n, d); it draws ``reps`` samples from
  :mod:`gausstest.alternatives` and runs the test under every null it supports.
  Samples are seeded from (seed, alternative, n, d) only, so every test sees the
  same samples (common random numbers) and each cell is reproducible and
  independent of which other cells run.
* Monte Carlo p-values use a fixed base seed (``rng=0``), so each
  (test, null, n, d) simulates its null once and later calls hit the disk cache;
  the rejection rate is then the size of the test *given* that one simulated
  null (B = 999 makes the difference negligible at R <= 1000).
* Results go to ``results.csv`` (one row per (test, null, alternative, n, d):
  reps, rejections, rate, Monte Carlo standard error, status) as each unit
  finishes; a rerun skips rows already present (``resume=True``). Skipped cells
  (n <= d + 1 under the composite null, n below the test's minimum, or an
  O(n^2) test beyond the cost budget) are written too, with the reason.
* Two worker processes by default (``ProcessPoolExecutor``, spawned with
  OMP/OPENBLAS/MKL threads set to 1).

Command line::

    python -m gausstest.atlas run --quick --out tests/atlas/quick
    python -m gausstest.atlas run --out tests/atlas/results          # full grid: hours
    python -m gausstest.atlas render --results tests/atlas/results --out tests/atlas
    python -m gausstest.atlas list

``render`` writes ``atlas.md`` (size table with a flag where the rate leaves the
binomial band |rate - alpha| <= 3 sqrt(alpha(1 - alpha)/R); power tables of
test x alternative at each (n, d); agreement with the independent
implementations; comparison with ``published_power.csv`` where present) and
heat maps ``heatmap_<null>.png`` (needs matplotlib).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import math
import os
import sys
import time
import warnings
import zlib
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

__all__ = [
    "run_atlas", "render", "main", "harness_tests", "load_test_modules", "read_results",
    "read_pvalues", "append_pvalues", "PVALUES_FILE", "derive_verdict_rows", "verdict_margin",
    "COLUMNS", "FULL_GRID", "QUICK_GRID", "QUICK_ALTERNATIVES", "OPTIONAL_MODULES",
]

#: library modules that register tests; imported when present
OPTIONAL_MODULES = (
    "energy", "mmd", "cramer_wold", "pairwise_distances", "projections", "marginals",
    "doornik_hansen", "royston", "mean_zero", "covariance_identity", "coverage",
)

FULL_GRID: dict[str, tuple[int, ...]] = {"n": (50, 200, 1000, 5000), "d": (2, 5, 20, 64, 256)}
QUICK_GRID: dict[str, tuple[int, ...]] = {"n": (50, 200), "d": (2, 5)}
QUICK_ALTERNATIVES = (
    "normal", "normal_affine", "t5", "shell", "gh_marginals", "mardia_matched",
)
_NOT_FAMILIES = {"atlas", "cli"}
#: harness-only tests (not in the library registry)
EXTERNAL_TESTS = ("assess", "ext_pingouin_hz", "ext_scipy_bonferroni")
#: floating-point work allowed per unit for O(n^2) tests: reps * n^2 * d (+ the null simulation)
DEFAULT_COST_BUDGET = 2e11

COLUMNS = [
    "test", "null", "alternative", "kind", "n", "d", "reps", "rejections", "rate", "mc_se",
    "alpha", "band", "outside_band", "status", "note", "seconds", "seed",
]


# -- what is being tested ---------------------------------------------------------------

def load_test_modules() -> list[str]:
    """Import gausstest and every family module present; return the loaded ones.

    The names in :data:`OPTIONAL_MODULES` and every other submodule of the package
    (except the CLI and this harness) are tried, so tests registered by modules
    added later join the atlas without editing it.

    A module that is missing is ignored; one that fails to import for another
    reason is reported with a warning (and ignored), so a half-finished family
    never stops the atlas.
    """
    import pkgutil

    pkg = importlib.import_module("gausstest")
    found = [m.name for m in pkgutil.iter_modules(pkg.__path__)
             if not m.name.startswith("_") and m.name not in _NOT_FAMILIES]
    loaded = []
    for name in dict.fromkeys([*OPTIONAL_MODULES, *found]):
        try:
            importlib.import_module(f"gausstest.{name}")
            loaded.append(name)
        except ImportError:
            continue
        except Exception as exc:  # pragma: no cover - depends on other modules' state
            warnings.warn(f"gausstest.{name} failed to import ({type(exc).__name__}: {exc}); "
                          "its tests are left out of the atlas", stacklevel=2)
    return loaded


@dataclass(frozen=True)
class HarnessTest:
    """One column of the atlas: a label, the nulls it is run under, its cost class."""

    label: str
    nulls: tuple[str, ...]
    quadratic: bool
    mc_max_n: int | None = None
    default_resamples: int = 0


def harness_tests(include_external: bool = True) -> dict[str, HarnessTest]:
    """Every registered test, plus ``assess`` and the independent implementations."""
    load_test_modules()
    from .registry import REGISTRY

    out = {
        code: HarnessTest(code, tuple(spec.nulls), bool(spec.quadratic), spec.sim_cap(64),
                          spec.resamples(spec.sim_cap(64) or 1000, 64))
        for code, spec in sorted(REGISTRY.items())
    }
    if include_external:
        out["assess"] = HarnessTest("assess", ("standard", "gaussian"), True)
        out["ext_pingouin_hz"] = HarnessTest("ext_pingouin_hz", ("gaussian",), True)
        out["ext_scipy_bonferroni"] = HarnessTest("ext_scipy_bonferroni",
                                                  ("standard", "gaussian"), False)
    return out


def _pvalue(label: str, z: np.ndarray, null: str, alpha: float) -> float:
    """The p-value of ``label`` on ``z`` under ``null`` (it rejects when <= ``alpha``).

    For ``assess`` it is the verdict's smallest adjusted p-value (the verdict fails
    exactly when it is <= alpha); for ``ext_scipy_bonferroni`` the Bonferroni bound.
    """
    if label == "assess":
        from .battery import assess

        return float(assess(z, null=null, alpha=alpha, rng=0).verdict_pvalue)
    if label == "ext_pingouin_hz":
        import pingouin

        return float(pingouin.multivariate_normality(z, alpha=alpha).pval)
    if label == "ext_scipy_bonferroni":
        from scipy import stats

        if null == "standard":  # each coordinate against N(0, 1)
            ps = [stats.kstest(z[:, j], "norm").pvalue for j in range(z.shape[1])]
        else:  # each coordinate normal with unknown mean and variance
            ps = [stats.shapiro(z[:, j]).pvalue for j in range(z.shape[1])]
        return min(1.0, z.shape[1] * float(np.min(ps)))
    from .registry import run_test

    return float(run_test(label, z, null=null, rng=0).pvalue)


def _skip_reason(t: HarnessTest, null: str, n: int, d: int, reps: int,
                 cost_budget: float) -> str | None:
    if null == "gaussian" and n <= d + 1:
        return f"n = {n} <= d + 1 = {d + 1}: the composite null cannot be fitted"
    if t.label in {"assess", "ext_pingouin_hz", "ext_scipy_bonferroni"}:
        if t.label == "ext_scipy_bonferroni" and null == "gaussian" and n > 5000:
            return "scipy's Shapiro-Wilk p-value is not accurate beyond n = 5000"
    else:
        from .registry import REGISTRY

        spec = REGISTRY[t.label]
        need = spec.min_n(d, null)
        if n < need:
            return f"{t.label} needs n >= {need} at d = {d} under null={null!r}"
    if t.quadratic:
        m = min(n, t.mc_max_n) if t.mc_max_n else n
        cost = reps * n * n * d + t.default_resamples * m * m * d
        if cost > cost_budget:
            return (f"O(n^2) test: about {cost:.1e} flops for this cell, over the budget "
                    f"{cost_budget:.1e}")
    return None


# -- seeds and kinds -------------------------------------------------------------------

def cell_seed(seed: int, alternative: str, n: int, d: int) -> np.random.SeedSequence:
    """Seed of the samples of one (alternative, n, d) cell: independent of the test."""
    return np.random.SeedSequence([int(seed), zlib.crc32(alternative.encode()), int(n), int(d)])


def _kind(null: str, alternative: str) -> str:
    from .alternatives import GAUSSIAN_MEMBERS

    if alternative == "normal":
        return "size"
    if null == "gaussian" and alternative in GAUSSIAN_MEMBERS:
        return "size"
    return "power"


def _band(alpha: float, reps: int) -> float:
    return 3.0 * math.sqrt(alpha * (1 - alpha) / reps) if reps > 0 else float("nan")


# -- the unit of work ------------------------------------------------------------------

def _worker_init() -> None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    try:  # numpy may already be imported (fork); limit its BLAS pool too
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover
        pass
    load_test_modules()


def _row(label, null, alt, n, d, reps, rej, alpha, status, note, seconds, seed) -> dict:
    rate = rej / reps if reps else float("nan")
    se = math.sqrt(rate * (1 - rate) / reps) if reps else float("nan")
    band = _band(alpha, reps)
    kind = _kind(null, alt)
    outside = "" if kind != "size" or not reps else str(bool(abs(rate - alpha) > band))
    return {
        "test": label, "null": null, "alternative": alt, "kind": kind, "n": n, "d": d,
        "reps": reps, "rejections": rej, "rate": f"{rate:.4f}" if reps else "",
        "mc_se": f"{se:.4f}" if reps else "", "alpha": alpha,
        "band": f"{band:.4f}" if reps else "", "outside_band": outside, "status": status,
        "note": note, "seconds": f"{seconds:.2f}", "seed": seed,
    }


def run_unit(label: str, alternative: str, n: int, d: int, nulls: Sequence[str], reps: int,
             alpha: float, seed: int) -> list[dict]:
    """Run one test on ``reps`` samples of one (alternative, n, d) cell, under ``nulls``."""
    from .alternatives import sample
    from .errors import InputError

    rows = []
    counts = {nl: [0, 0, 0] for nl in nulls}  # rejections, done, errors
    errors: dict[str, str] = {}
    spent = {nl: 0.0 for nl in nulls}
    pvals: dict[str, list[float]] = {nl: [] for nl in nulls}
    g = np.random.default_rng(cell_seed(seed, alternative, n, d))
    for _ in range(reps):
        z = sample(alternative, n, d, rng=g)
        for nl in nulls:
            t0 = time.perf_counter()
            try:
                p = _pvalue(label, z, nl, alpha)
            except (InputError, np.linalg.LinAlgError) as exc:
                counts[nl][2] += 1
                errors.setdefault(nl, f"{type(exc).__name__}: {exc}"[:200])
                pvals[nl].append(float("nan"))
            else:
                counts[nl][0] += bool(p <= alpha)
                counts[nl][1] += 1
                pvals[nl].append(p)
            spent[nl] += time.perf_counter() - t0
    for nl in nulls:
        rej, done, err = counts[nl]
        if done == 0:
            status, note = "error", f"every replicate refused: {errors.get(nl, '')}"
        elif err:
            status, note = "ok", f"{err} of {reps} replicates refused: {errors[nl]}"
        else:
            status, note = "ok", ""
        row = _row(label, nl, alternative, n, d, done, rej, alpha, status,
                   note.replace("\n", " "), spent[nl], seed)
        row["_pvalues"] = pvals[nl]
        rows.append(row)
    return rows


def _warm_cache(label: str, n: int, d: int, nulls: Sequence[str]) -> None:
    """Build the Monte Carlo null of (test, null, n, d) once, before the cells use it."""
    z = np.random.default_rng(0).standard_normal((n, d))
    for nl in nulls:
        try:
            _pvalue(label, z, nl, 0.05)
        except Exception:  # the cells report any error properly
            pass


# -- results file ----------------------------------------------------------------------

def read_results(path: str | os.PathLike) -> list[dict]:
    """Rows of a results CSV (empty list when the file does not exist)."""
    p = Path(path)
    if not p.exists():
        return []
    from .registry import canonical_code

    with p.open(newline="") as fh:
        # results written before a test's rename carry its old code
        return [{**r, "test": canonical_code(r["test"])} for r in csv.DictReader(fh)]


#: per-replicate p-values, one line per (test, null, alternative, n, d); gzip members
#: are appended as units finish (``gzip`` reads a multi-member file as one stream)
PVALUES_FILE = "pvalues.csv.gz"
_PV_COLUMNS = ("test", "null", "alternative", "n", "d", "seed", "pvalues")


def append_pvalues(path: Path, row: dict, pvalues: Sequence[float]) -> None:
    """Append the p-values of one cell (replicate order: the cell's sample order)."""
    import gzip

    text = " ".join("nan" if not math.isfinite(p) else repr(float(p)) for p in pvalues)
    fields = [str(row[c]) for c in _PV_COLUMNS[:-1]] + [text]
    new = not path.exists()
    with gzip.open(path, "at", newline="") as fh:
        if new:
            fh.write(",".join(_PV_COLUMNS) + "\n")
        fh.write(",".join(fields) + "\n")


def read_pvalues(path: str | os.PathLike) -> dict[tuple, np.ndarray]:
    """{(test, null, alternative, n, d): p-values of the R replicates} (last write wins)."""
    import gzip

    from .registry import canonical_code

    p = Path(path)
    if not p.exists():
        return {}
    out = {}
    with gzip.open(p, "rt", newline="") as fh:
        for rec in csv.DictReader(fh):
            key = (canonical_code(rec["test"]), rec["null"], rec["alternative"], int(rec["n"]),
                   int(rec["d"]))
            out[key] = np.array([float(x) for x in rec["pvalues"].split()], dtype=float)
    return out


def _key(row: dict) -> tuple:
    return (row["test"], row["null"], row["alternative"], int(row["n"]), int(row["d"]))


def run_atlas(
    grid: dict[str, Iterable[int]] | None = None, tests: Sequence[str] | None = None,
    alternatives: Sequence[str] | None = None, reps: int = 1000, alpha: float = 0.05,
    out_dir: str | os.PathLike = "tests/atlas/results", workers: int = 2, resume: bool = True,
    seed: int = 20240601, cost_budget: float = DEFAULT_COST_BUDGET, progress: bool = True,
) -> Path:
    """Compute size and power of every test on a grid; return the results CSV path.

    Parameters
    ----------
    grid : {"n": [...], "d": [...]}
        Default :data:`FULL_GRID`.
    tests : sequence of str, optional
        Labels from :func:`harness_tests` (registered codes, "assess",
        "ext_pingouin_hz", "ext_scipy_bonferroni"); default all.
    alternatives : sequence of str, optional
        Names from :data:`gausstest.alternatives.ALTERNATIVES`; default all.
    reps : int
        Samples per cell (R).
    alpha : float
        Nominal level.
    out_dir : path
        Folder of ``results.csv``.
    workers : int
        Processes (1 runs in this process).
    resume : bool
        Keep the rows already in ``results.csv`` and run only the missing ones;
        False starts a fresh file.
    seed : int
        Master seed of the samples.
    cost_budget : float
        O(n^2) tests are skipped (and the skip recorded) where reps * n^2 * d plus
        the null simulation exceeds this many flops.
    """
    from .alternatives import ALTERNATIVES

    grid = grid or FULL_GRID
    available = harness_tests()
    labels = list(tests) if tests is not None else list(available)
    unknown = [t for t in labels if t not in available]
    if unknown:
        raise ValueError(f"unknown tests {unknown}; available: {sorted(available)}")
    alts = list(alternatives) if alternatives is not None else list(ALTERNATIVES)
    bad = [a for a in alts if a not in ALTERNATIVES]
    if bad:
        raise ValueError(f"unknown alternatives {bad}; available: {list(ALTERNATIVES)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.csv"
    if not resume and path.exists():
        path.unlink()
    done = {_key(r) for r in read_results(path)}

    pending_rows, units, warm = [], [], set()
    for label in labels:
        t = available[label]
        for n in grid["n"]:
            for d in grid["d"]:
                run_nulls = []
                for nl in t.nulls:
                    reason = _skip_reason(t, nl, n, d, reps, cost_budget)
                    if reason is None:
                        run_nulls.append(nl)
                        continue
                    for alt in alts:
                        row = _row(label, nl, alt, n, d, 0, 0, alpha, "skipped", reason, 0.0, seed)
                        if _key(row) not in done:
                            pending_rows.append(row)
                for alt in alts:
                    todo = tuple(nl for nl in run_nulls
                                 if (label, nl, alt, n, d) not in done)
                    if todo:
                        units.append((label, alt, n, d, todo))
                        warm.add((label, n, d, todo))

    new_file = not path.exists()
    fh = path.open("a", newline="")
    writer = csv.DictWriter(fh, fieldnames=COLUMNS)
    if new_file:
        writer.writeheader()
    for row in pending_rows:
        writer.writerow(row)
    fh.flush()

    def emit(rows: list[dict]) -> None:
        for r in rows:
            pv = r.pop("_pvalues", None)
            if pv:
                append_pvalues(out / PVALUES_FILE, r, pv)
            writer.writerow(r)
        fh.flush()

    total = len(units)
    start = time.monotonic()
    try:
        if workers <= 1:
            _worker_init()
            for i, (label, alt, n, d, nulls) in enumerate(units, 1):
                emit(run_unit(label, alt, n, d, nulls, reps, alpha, seed))
                if progress:
                    _progress(i, total, start, label, alt, n, d)
        else:
            saved = {v: os.environ.get(v) for v in
                     ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
            os.environ.update({v: "1" for v in saved})
            try:
                import multiprocessing as mp

                with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                         initializer=_worker_init) as pool:
                    # build each Monte Carlo null once, in parallel, before the cells race for it
                    list(pool.map(_warm_star, sorted({(lb, n, d, nl) for lb, n, d, nl in warm})))
                    futures = {pool.submit(run_unit, label, alt, n, d, nulls, reps, alpha, seed):
                               (label, alt, n, d) for label, alt, n, d, nulls in units}
                    for i, fut in enumerate(as_completed(futures), 1):
                        emit(fut.result())
                        if progress:
                            _progress(i, total, start, *futures[fut])
            finally:
                for v, old in saved.items():
                    if old is None:
                        os.environ.pop(v, None)
                    else:
                        os.environ[v] = old
    finally:
        fh.close()
    return path


def _warm_star(args: tuple) -> None:
    _warm_cache(*args)


def _progress(i, total, start, label, alt, n, d) -> None:
    el = time.monotonic() - start
    print(f"[{i}/{total}] {label} {alt} n={n} d={d}  ({el:.0f}s elapsed)", file=sys.stderr,
          flush=True)


# -- rendering -------------------------------------------------------------------------

def _f(x: str) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


def _cells(rows: list[dict]) -> list[tuple[int, int]]:
    return sorted({(int(r["n"]), int(r["d"])) for r in rows})


def _cell_text(r: dict | None, flag: bool = False) -> str:
    if r is None:
        return ""
    if r["status"] == "skipped":
        return "skip"
    if r["status"] == "error":
        return "err"
    txt = f"{_f(r['rate']):.2f}"
    if flag and r.get("outside_band") == "True":
        txt += " **!**"
    return txt


def render_markdown(rows: list[dict], published: list[dict] | None = None,
                    pvalues: dict | None = None) -> str:
    """The atlas as Markdown: size table, power tables, reference agreement, published power."""
    if not rows:
        return "# Validation atlas\n\nNo results yet.\n"
    by = {_key(r): r for r in rows}
    cells = _cells(rows)
    tests = sorted({(r["test"], r["null"]) for r in rows})
    alts = list(dict.fromkeys(r["alternative"] for r in rows))
    reps = sorted({int(r["reps"]) for r in rows if r["status"] == "ok"})
    alpha = _f(rows[0]["alpha"])
    lines = [
        "# Validation atlas", "",
        f"Rejection rates at alpha = {alpha:g} over R = {', '.join(map(str, reps))} samples per "
        "cell (`python -m gausstest.atlas render`). Monte Carlo standard error of a rate p is "
        "sqrt(p(1-p)/R). `skip`: cell not run (reason in results.csv); `err`: the test refused "
        "every sample (e.g. singular covariance).", "",
        "## Size", "",
        "Rates on Gaussian samples: `normal` under both nulls, and every non-degenerate "
        "Gaussian alternative under the composite null. **!** marks a rate outside the "
        "binomial band |rate - alpha| <= 3 sqrt(alpha(1-alpha)/R).", "",
    ]
    head = "| test | null | sample | " + " | ".join(f"n={n}, d={d}" for n, d in cells) + " |"
    lines += [head, "|" + "---|" * (3 + len(cells))]
    size_keys = sorted({(r["test"], r["null"], r["alternative"]) for r in rows
                        if r["kind"] == "size"})
    for t, nl, alt in size_keys:
        vals = [_cell_text(by.get((t, nl, alt, n, d)), flag=True) for n, d in cells]
        lines.append(f"| {t} | {nl} | {alt} | " + " | ".join(vals) + " |")
    flagged = [r for r in rows if r["kind"] == "size" and r.get("outside_band") == "True"]
    lines += ["", f"{len(flagged)} size cell(s) outside the band."]
    lines += ["", "## Power", "",
              "Rates on non-Gaussian samples (and, under the standard null, on Gaussian samples "
              "with the wrong mean or covariance)."]
    for n, d in cells:
        lines += ["", f"### n = {n}, d = {d}", ""]
        cols = [a for a in alts if any((t, nl, a, n, d) in by and by[(t, nl, a, n, d)]["kind"]
                                       == "power" for t, nl in tests)]
        if not cols:
            lines.append("(no power cells)")
            continue
        lines += ["| test | null | " + " | ".join(cols) + " |", "|" + "---|" * (2 + len(cols))]
        for t, nl in tests:
            vals = []
            for a in cols:
                r = by.get((t, nl, a, n, d))
                vals.append("" if r is None or r["kind"] != "power" else _cell_text(r))
            if any(vals):
                lines.append(f"| {t} | {nl} | " + " | ".join(vals) + " |")
    lines += _margin_section(rows)
    lines += _agreement(rows, by, pvalues)
    lines += _published(published or [], by)
    return "\n".join(lines) + "\n"


def derive_verdict_rows(pvalues: dict[tuple, np.ndarray], alpha: float = 0.05,
                        weights: Any = None, label: str = "verdict") -> list[dict]:
    """Rows of the verdict of :func:`gausstest.assess`, from the stored p-values.

    Every test sees the same samples of a cell (common random numbers), so the
    verdict on replicate ``r`` is the verdict rule
    (:func:`gausstest.report.closed_verdict` with the default battery and its
    :data:`~gausstest.battery.VERDICT_WEIGHTS`) applied to the members' p-values on
    replicate ``r``. ``assess`` computes exactly these p-values (same tests, same
    seed), which ``tests/test_alternatives.py`` checks sample by sample; deriving the
    verdict here costs nothing, where calling ``assess`` would run the battery again.
    Rows come for ``null`` = "standard", "gaussian" and "both" (the default of
    ``assess``: every member under each null it supports, joined by closed testing).
    A cell gets a row only when every member has its p-values (a member refused on a
    replicate is left out of that replicate, as ``assess`` skips a test that refuses).
    """
    from .battery import select_tests, verdict_weights
    from .report import closed_verdict

    cells = sorted({(alt, n, d) for (_, _, alt, n, d) in pvalues})
    out = []
    for alt, n, d in cells:
        for nl in ("standard", "gaussian", "both"):
            members = select_tests(None, nl)
            ps = [pvalues.get((code, m_nl, alt, n, d)) for code, m_nl in members]
            if any(p is None for p in ps) or len({len(p) for p in ps}) != 1:
                continue
            m = np.column_stack(ps)  # (R, members)
            w = verdict_weights(members, weights)
            nulls = [m_nl for _, m_nl in members]
            comp = np.array([x == "gaussian" for x in nulls])
            # assess refuses the whole sample when the composite null cannot be fitted
            # (every composite member refused): that replicate is refused here too
            refused = ~np.isfinite(m).any(axis=1)
            if comp.any():
                refused |= ~np.isfinite(m[:, comp]).any(axis=1)
            verdict_p = np.array([np.nan if bad else np.nanmin(closed_verdict(nulls, row, w))
                                  for row, bad in zip(m, refused)])
            ok = np.isfinite(verdict_p)
            reps, rej = int(ok.sum()), int((verdict_p[ok] <= alpha).sum())
            note = "derived from the stored p-values of " + "+".join(
                f"{c}:{m_nl}" if nl == "both" else c for c, m_nl in members)
            out.append(_row(label, nl, alt, n, d, reps, rej, alpha, "ok" if reps else "error",
                            note, 0.0, ""))
    return out


def verdict_margin(rows: list[dict]) -> list[dict]:
    """Per power cell: the verdict's rate, the best default-battery test's, the gap."""
    from .battery import select_tests

    by = {_key(r): r for r in rows if r["status"] == "ok"}
    out = []
    for key, r in sorted(by.items()):
        t, nl, alt, n, d = key
        if t != "verdict" or r["kind"] != "power":
            continue
        singles = [(by[(c, m_nl, alt, n, d)], c if nl != "both" else f"{c}:{m_nl}")
                   for c, m_nl in select_tests(None, nl) if (c, m_nl, alt, n, d) in by]
        if not singles:
            continue
        best, code = max(singles, key=lambda x: _f(x[0]["rate"]))
        reps = int(r["reps"])
        out.append({"null": nl, "alternative": alt, "n": n, "d": d, "verdict": _f(r["rate"]),
                    "best": _f(best["rate"]), "best_test": code, "reps": reps,
                    "gap": _f(best["rate"]) - _f(r["rate"])})
    return out


def _margin_section(rows: list[dict]) -> list[str]:
    m = verdict_margin(rows)
    out = ["", "## The verdict against the best single test", "",
           "Power of `assess`'s verdict (derived from the stored p-values; see "
           "`derive_verdict_rows`) against the most powerful default-battery test of the same "
           "null (of either null for null = both) in that cell, chosen after the fact (so the gap is an upper bound on what "
           "the verdict gives up). Positive gap: the verdict is weaker.", ""]
    if not m:
        return out + ["(no cells with both the verdict and its members)"]
    for nl in ("standard", "gaussian", "both"):
        sub = [x for x in m if x["null"] == nl]
        if not sub:
            continue
        gaps = np.array([x["gap"] for x in sub])
        worst = sub[int(np.argmax(gaps))]
        out.append(f"* null = {nl}: {len(sub)} power cells; gap mean {gaps.mean():+.3f}, "
                   f"median {np.median(gaps):+.3f}, 90th percentile {np.quantile(gaps, 0.9):+.3f}, "
                   f"max {gaps.max():+.3f} ({worst['alternative']}, n = {worst['n']}, "
                   f"d = {worst['d']}: verdict {worst['verdict']:.2f} vs {worst['best_test']} "
                   f"{worst['best']:.2f}); {int((gaps > 0.10).sum())} cells above 0.10.")
    out += ["",
            "| null | alternative | n | d | verdict | best single | test | gap |",
            "|---|---|---|---|---|---|---|---|"]
    for x in sorted(m, key=lambda x: -x["gap"]):
        if x["gap"] > 0.02:
            out.append(f"| {x['null']} | {x['alternative']} | {x['n']} | {x['d']} | "
                       f"{x['verdict']:.2f} | {x['best']:.2f} | {x['best_test']} | "
                       f"{x['gap']:+.2f} |")
    out += ["", "Cells with a gap of at most 0.02 are not listed."]
    return out


def _agreement(rows: list[dict], by: dict, pvalues: dict | None = None) -> list[str]:
    pairs = [("henze_zirkler", "ext_pingouin_hz", "gaussian"),
             ("marginals", "ext_scipy_bonferroni", "standard"),
             ("marginals", "ext_scipy_bonferroni", "gaussian")]
    out = ["", "## Agreement with independent implementations", "",
           "Each pair ran on the same samples. Our Henze-Zirkler (composite null) against "
           "pingouin's `multivariate_normality` (same statistic; pingouin always uses the "
           "lognormal approximation, ours only where it was validated: d <= 5, n >= 100, "
           "Monte Carlo elsewhere). Our `marginals` (per-coordinate Anderson-Darling, Holm) "
           "against scipy's per-coordinate KS (standard null) or Shapiro-Wilk (composite) with "
           "a Bonferroni bound: different statistics with the same target, so only similar "
           "rates are expected. `diff` is ours minus the reference with its standard error "
           "sqrt(se1^2 + se2^2) (conservative: the samples are shared); `discordant` is the "
           "share of samples on which the two decisions differ.", ""]
    found = False
    out += ["| ours | reference | null | alternative | n | d | ours | reference | diff | se | "
            "discordant |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for ours, ref, nl in pairs:
        for r in rows:
            if r["test"] != ours or r["null"] != nl or r["status"] != "ok":
                continue
            k = (ref, nl, r["alternative"], int(r["n"]), int(r["d"]))
            o = by.get(k)
            if o is None or o["status"] != "ok":
                continue
            found = True
            a, b = _f(r["rate"]), _f(o["rate"])
            se = math.hypot(_f(r["mc_se"]), _f(o["mc_se"]))
            disc = ""
            if pvalues:
                pa, pb = pvalues.get(_key(r)), pvalues.get(k)
                if pa is not None and pb is not None and len(pa) == len(pb):
                    ok = np.isfinite(pa) & np.isfinite(pb)
                    disc = f"{np.mean((pa[ok] <= 0.05) != (pb[ok] <= 0.05)):.3f}"
            out.append(f"| {ours} | {ref} | {nl} | {r['alternative']} | {r['n']} | {r['d']} | "
                       f"{a:.2f} | {b:.2f} | {a - b:+.2f} | {se:.2f} | {disc} |")
    if not found:
        out = out[:5] + ["(no paired cells)"]
    return out


def _published(published: list[dict], by: dict) -> list[str]:
    out = ["", "## Against published power", ""]
    if not published:
        return out + ["No published values recorded in `published_power.csv`."]
    out += ["| source | their test | ours | alternative | n | d | published | ours | diff |",
            "|---|---|---|---|---|---|---|---|---|"]
    for p in published:
        k = (p["our_test"], p["null"], p["alternative"], int(p["n"]), int(p["d"]))
        r = by.get(k)
        ours = _f(r["rate"]) if r is not None and r["status"] == "ok" else float("nan")
        pub = _f(p["power"])
        out.append(f"| {p['source']} | {p['their_test']} | {p['our_test']} | {p['alternative']} | "
                   f"{p['n']} | {p['d']} | {pub:.2f} | "
                   + ("" if math.isnan(ours) else f"{ours:.2f} | {ours - pub:+.2f}") + " |")
    return out


def render_heatmaps(rows: list[dict], out_dir: Path) -> list[Path]:
    """One PNG per null: power (and size) by test x alternative, a panel per (n, d)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: heat maps skipped (pip install matplotlib)",
              file=sys.stderr)
        return []
    paths = []
    by = {_key(r): r for r in rows}
    cells = _cells(rows)
    alts = list(dict.fromkeys(r["alternative"] for r in rows))
    for nl in ("standard", "gaussian"):
        tests = sorted({r["test"] for r in rows if r["null"] == nl})
        if not tests:
            continue
        ncol = min(len(cells), 3)
        nrow = math.ceil(len(cells) / ncol)
        fig, axes = plt.subplots(nrow, ncol, figsize=(4.8 * ncol, 0.35 * len(tests) * nrow + 2.5),
                                 squeeze=False, gridspec_kw={"hspace": 0.6, "wspace": 0.08})
        for k, (ax, (n, d)) in enumerate(zip(axes.flat, cells)):
            m = np.full((len(tests), len(alts)), np.nan)
            for i, t in enumerate(tests):
                for j, a in enumerate(alts):
                    r = by.get((t, nl, a, n, d))
                    if r is not None and r["status"] == "ok":
                        m[i, j] = _f(r["rate"])
            im = ax.imshow(m, vmin=0, vmax=1, cmap="viridis", aspect="auto")
            ax.set_title(f"n = {n}, d = {d}", fontsize=9)
            ax.set_xticks(range(len(alts)), alts, rotation=70, fontsize=7)
            # test names once per row of panels, so neighbouring panels do not overprint
            ax.set_yticks(range(len(tests)), tests if k % ncol == 0 else [], fontsize=7)
        for ax in list(axes.flat)[len(cells):]:
            ax.axis("off")
        fig.colorbar(im, ax=axes, shrink=0.6, label="rejection rate")
        fig.suptitle(f"Rejection rates, null = {nl!r} (blank: skipped or refused)")
        p = out_dir / f"heatmap_{nl}.png"
        fig.savefig(p, dpi=110, bbox_inches="tight")
        plt.close(fig)
        paths.append(p)
    return paths


def render(results: str | os.PathLike, out_dir: str | os.PathLike,
           published: str | os.PathLike | None = None, heatmaps: bool = True) -> list[Path]:
    """Render ``results`` (a results.csv or its folder) into ``out_dir``."""
    res = Path(results)
    if res.is_dir():
        res = res / "results.csv"
    rows = read_results(res)
    if not rows:
        raise FileNotFoundError(f"no results in {res}; run `python -m gausstest.atlas run` first")
    alpha = _f(rows[0]["alpha"])
    pvalues = read_pvalues(res.parent / PVALUES_FILE)
    rows = [r for r in rows if r["test"] != "verdict"]
    rows += derive_verdict_rows(pvalues, alpha)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pub = read_results(published) if published else []
    md = out / "atlas.md"
    md.write_text(render_markdown(rows, pub, pvalues))
    paths = [md]
    if heatmaps:
        paths += render_heatmaps(rows, out)
    return paths


# -- command line ----------------------------------------------------------------------

def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x.strip())


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [x.strip() for x in text.split(",") if x.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gausstest.atlas",
                                     description="Validation atlas: size and power of every test.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate (resumable)")
    run.add_argument("--quick", action="store_true",
                     help="small grid: n in (50, 200), d in (2, 5), R = 100, a few alternatives")
    run.add_argument("--out", default=None, help="results folder (default tests/atlas/results, "
                                                 "tests/atlas/quick with --quick)")
    run.add_argument("--n", type=_ints, default=None, help="comma-separated sample sizes")
    run.add_argument("--d", type=_ints, default=None, help="comma-separated dimensions")
    run.add_argument("--tests", default=None, help="comma-separated test labels (default all)")
    run.add_argument("--exclude", default=None, help="comma-separated test labels to leave out")
    run.add_argument("--alternatives", default=None, help="comma-separated alternative names")
    run.add_argument("--reps", type=int, default=None, help="samples per cell (default 1000; "
                                                            "100 with --quick)")
    run.add_argument("--alpha", type=float, default=0.05)
    run.add_argument("--workers", type=int, default=2)
    run.add_argument("--seed", type=int, default=20240601)
    run.add_argument("--cost-budget", type=float, default=DEFAULT_COST_BUDGET)
    run.add_argument("--fresh", action="store_true", help="discard existing results (no resume)")
    run.add_argument("--no-render", action="store_true", help="do not render after the run")
    rend = sub.add_parser("render", help="markdown tables and heat maps from results.csv")
    rend.add_argument("--results", default="tests/atlas/results")
    rend.add_argument("--out", default=None, help="default: the results folder's parent "
                                                  "(tests/atlas)")
    rend.add_argument("--published", default=None,
                      help="published power CSV (default tests/atlas/published_power.csv if present)")
    sub.add_parser("list", help="list the tests and alternatives the atlas would use")
    args = parser.parse_args(argv)

    if args.command == "list":
        from .alternatives import ALTERNATIVES

        for label, t in harness_tests().items():
            print(f"test  {label:28s} nulls={','.join(t.nulls)}{' O(n^2)' if t.quadratic else ''}")
        for name, (_, params, desc) in ALTERNATIVES.items():
            print(f"alt   {name:28s} {desc}")
        return 0
    if args.command == "run":
        grid = dict(QUICK_GRID if args.quick else FULL_GRID)
        if args.n:
            grid["n"] = args.n
        if args.d:
            grid["d"] = args.d
        alts = _names(args.alternatives) or (list(QUICK_ALTERNATIVES) if args.quick else None)
        reps = args.reps or (100 if args.quick else 1000)
        out = args.out or ("tests/atlas/quick" if args.quick else "tests/atlas/results")
        tests = _names(args.tests)
        if args.exclude:
            drop = set(_names(args.exclude))
            tests = [t for t in (tests or harness_tests()) if t not in drop]
        path = run_atlas(grid, tests=tests, alternatives=alts, reps=reps,
                         alpha=args.alpha, out_dir=out, workers=args.workers,
                         resume=not args.fresh, seed=args.seed, cost_budget=args.cost_budget)
        print(f"results: {path}")
        if not args.no_render:
            for p in render(path, Path(out), _default_published(Path(out).parent)):
                print(f"wrote {p}")
        return 0
    results = Path(args.results)
    out = Path(args.out) if args.out else (results.parent if results.is_dir() or
                                           results.suffix != ".csv" else results.parent.parent)
    published = args.published or _default_published(out)
    for p in render(results, out, published):
        print(f"wrote {p}")
    return 0


def _default_published(folder: Path) -> str | None:
    for cand in (folder / "published_power.csv", Path("tests/atlas/published_power.csv")):
        if cand.exists():
            return str(cand)
    return None


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
