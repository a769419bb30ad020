"""Generate the shipped null tables of the default battery (gausstest/data/calibration.npz).

Seeded and resumable: every grid cell (test, null, n, d) is simulated once with the
same kernels and the same ``min(n, cap)`` rows rule as on-demand Monte Carlo, and
written to its own file under ``--cells``; a rerun skips the cells already there, so
the job can run in parts, across sessions. ``pack`` collects the cells into the
package's table.

    python tests/calibration/make_tables.py run  [--workers 2] [--hours H] [--tests a,b] [--dmax D]
    python tests/calibration/make_tables.py pack
    python tests/calibration/make_tables.py status
    python tests/calibration/make_tables.py atoms [--workers 2]   # coverage cells made before atoms
    python tests/calibration/make_tables.py upgrade [--target-b 10000] [--cell-seconds 60] [--dmax 64]
    python tests/calibration/make_tables.py upgrade --only radii:gaussian:2000x48,... [--workers 1]

B per cell: 10,000 draws where a cell costs at most ``--cell-seconds`` (default 8 s) at
that B, else as many as that buys, but at least ``--min-b`` (default 2,000; on-demand Monte
Carlo of the O(n^2) tests uses 1,999). The first tables were made on a shared 2-core
machine with ``--cell-seconds 5 --min-b 1000`` for their most expensive cells; the B of
every cell is stored and shown in each p-value's description (``status`` lists them).
Deleting cells and rerunning with a larger budget upgrades them.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from gausstest import calibration as cal  # noqa: E402
from gausstest.registry import get_spec  # noqa: E402

CELLS = HERE / "cells"
#: statistics whose null law does not depend on d (simulated once, copied to every d)
D_FREE = {("radii", "standard")}


def grid_cells(code: str, null: str) -> list[tuple[int, int]]:
    """The (n, d) cells of one (test, null): n from the test's minimum to its largest key."""
    spec = get_spec(code)
    out = []
    def lowest(d: int) -> int:  # smallest n simulated at d (whitening needs n > d + 1)
        return max(spec.min_n(d, null), 5, d + 3 if null == "gaussian" else 0)

    for d in ((1,) if (code, null) in D_FREE else cal.D_GRID):
        lo = lowest(d)
        if code in cal._KEYED_BY_N:
            hi = 1000 if (spec.subsample_above and spec.subsample_above(d)) else cal.N_GRID[-1]
        else:
            # up to the grid row at or above the cap of every d this cell brackets (the
            # cap grows with d near n = d: registry.MIN_SIM_ROWS_PER_D)
            caps = [spec.sim_cap(g) for g in cal.D_GRID if g >= d][:2] or [spec.sim_cap(d)]
            if None in caps:
                hi = cal.N_GRID[-1]
            else:
                hi = min([g for g in cal.N_GRID if g >= max(caps)] or [cal.N_GRID[-1]])
        for n in cal.N_GRID:
            if lo <= n <= hi:
                out.append((n, d))
    if (code, null) not in D_FREE:
        for n, extra in cal.EXTRA_D.get(code, {}).items():
            out += [(n, d) for d in extra if n >= lowest(d)]
        for d, extra in cal.EXTRA_N.get(code, {}).items():
            out += [(n, d) for n in extra if n >= lowest(d)]
    return out


def cell_rows(spec, n: int, d: int) -> int:
    """Rows a cell is simulated at: its n (the table's n coordinate is the rows
    simulated; cells above a d's cap exist to bracket a larger d, whose cap is higher),
    except for a test keyed by n itself (Henze-Zirkler: min(n, cap))."""
    return cal.sim_rows(spec, n, d) if spec.code in cal._KEYED_BY_N else n


def cell_path(cells: Path, code: str, null: str, n: int, d: int) -> Path:
    return cells / f"{code}-{null}" / f"n{n}_d{d}.npz"


def _cost_rank(code, null, n, d):
    spec = get_spec(code)
    rows = cell_rows(spec, n, d)
    # most useful first: d <= 64 at the rows most samples have (n >= 1000 covers every
    # larger n through the caps), then smaller n, then larger d
    if d <= 64:
        tier = 0 if n >= 1000 else 1 if n >= 100 else 2
    else:
        tier = 3 if d <= 128 else 4 if d <= 256 else 5
    work = rows * d * (rows if spec.quadratic else d if null == "gaussian" else 1)
    return (tier, work)


def simulate_cell(job) -> tuple[str, float]:
    code, null, n, d, cells, min_b, cell_seconds, *force = job
    force_b = force[0] if force else None
    from threadpoolctl import threadpool_limits

    from gausstest.pvalues import _draw_statistics

    os.environ["GAUSSTEST_THREADS"] = "1"  # the workers are the parallelism
    path = cell_path(Path(cells), code, null, n, d)
    if path.exists() and force_b is None:
        return f"{code}:{null} n={n} d={d} exists", 0.0
    spec = get_spec(code)
    rows = cell_rows(spec, n, d)
    opts = cal.canonical_options(code, n, d)
    seed = cal.cell_seed(code, null, n, d)
    start = time.monotonic()
    with threadpool_limits(1):
        _draw_statistics(spec, rows, d, null, opts, 5, seed + 1)  # warm-up (first-call costs)
        t0 = time.monotonic()
        probe = _draw_statistics(spec, rows, d, null, opts, 20, seed + 2)
        per = (time.monotonic() - t0) / 20
        b = 10_000 if per * 10_000 <= cell_seconds else max(min_b, int(cell_seconds / max(per, 1e-9)))
        if force_b is not None:
            b = int(force_b)
        stats = _draw_statistics(spec, rows, d, null, opts, b, seed)
    del probe
    if not np.isfinite(stats).all():
        return f"{code}:{null} n={n} d={d} NON-FINITE", 0.0
    mean, sd, z = cal.summarize(stats, spec.two_sided)
    extra = {}
    if code == "coverage":
        from gausstest.coverage import _null_moments, _sizes

        n_used, m, k, s = _sizes(rows, {})
        extra["moments"] = _null_moments(n_used, m, d, k, s)
        extra["atom_t"], extra["atom_s"] = cal.atoms_of(stats)
    elapsed = time.monotonic() - start
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        np.savez(fh, mean=mean, sd=sd, z=z, b=b, rows=rows, seed=seed, seconds=elapsed, **extra)
    os.replace(tmp, path)
    return f"{code}:{null} n={n} d={d} rows={rows} B={b} {elapsed:.1f}s", elapsed


#: (n, d) points whose surrounding cells are simulated first: the README's example, the
#: issue's cold-start points and the off-grid validation points (tests/calibration/validate.py)
FOCUS = [(2000, 16), (1796, 16), (333, 48), (4321, 8), (150, 100), (10000, 64), (35, 2),
         (120, 5), (600, 11), (15000, 3), (600, 8), (600, 16), (500, 5), (200, 5), (300, 4),
         (250, 9), (850, 28), (2500, 56), (60, 7), (175, 40)]


def _bracket(grid, v):
    grid = sorted(grid)
    lo = max([g for g in grid if g <= v], default=None)
    hi = min([g for g in grid if g >= v], default=None)
    return {g for g in (lo, hi) if g is not None}


def focus_cells(code: str, null: str, points=FOCUS) -> set[tuple[int, int]]:
    """Grid cells needed to interpolate at the focus points."""
    spec = get_spec(code)
    grid = set(grid_cells(code, null))
    out = set()
    for n, d in points:
        limit = spec.subsample_above(d) if spec.subsample_above is not None else None
        rows = min(n, limit) if limit else n
        key = cal.key_rows(spec, rows, d)
        # the test's own d grid: Henze-Zirkler and coverage add d beyond cal.D_GRID
        ds = {1} if (code, null) in D_FREE else _bracket({dd for _, dd in grid}, d)
        out |= {(nn, dd) for nn in _bracket(cal.N_GRID, key) for dd in ds} & grid
    return out


def all_jobs(tests, dmax, cells, min_b, cell_seconds):
    jobs = []
    focus = {(code, null, *c) for code in tests for null in get_spec(code).nulls
             for c in focus_cells(code, null)}
    for code in tests:
        spec = get_spec(code)
        for null in spec.nulls:
            for n, d in grid_cells(code, null):
                if d <= dmax and not cell_path(cells, code, null, n, d).exists():
                    jobs.append((code, null, n, d, str(cells), min_b, cell_seconds))
    jobs.sort(key=lambda j: (j[:4] not in focus, _cost_rank(*j[:4])))
    return jobs


def run(args) -> None:
    tests = args.tests.split(",") if args.tests else list(cal.SHIPPED_TESTS)
    cells = Path(args.cells)
    jobs = all_jobs(tests, args.dmax, cells, args.min_b, args.cell_seconds)
    print(f"{len(jobs)} cells to simulate", flush=True)
    _simulate_all(jobs, args)


def _simulate_all(jobs: list, args) -> None:
    """Run the cell jobs on ``--workers`` processes, in order, until ``--hours`` is spent."""
    deadline = time.monotonic() + args.hours * 3600
    os.environ.setdefault("GAUSSTEST_CACHE_DIR", str(HERE / ".cache"))
    with Pool(args.workers, maxtasksperchild=50) as pool:
        for i, (msg, _) in enumerate(pool.imap(simulate_cell, jobs)):
            print(f"[{i + 1}/{len(jobs)}] {msg}", flush=True)
            if time.monotonic() > deadline:
                print("time budget spent; rerun to resume", flush=True)
                pool.terminate()
                break


def upgrade(args) -> None:
    """Re-simulate the cells with B below ``--target-b`` whose cost at that B (from their
    stored time per draw) fits ``--cell-seconds``, cheapest first; each new cell replaces
    the old one only once it is complete (same seed: its first draws are the old ones)."""
    tests = args.tests.split(",") if args.tests else list(cal.SHIPPED_TESTS)
    cells = Path(args.cells)
    only = _only(args.only)
    jobs = []
    for code in tests:
        for null in get_spec(code).nulls:
            for n, d in grid_cells(code, null):
                path = cell_path(cells, code, null, n, d)
                if d > args.dmax or not path.exists():
                    continue
                with np.load(path) as f:
                    b, secs = int(f["b"]), float(f["seconds"])
                cost = secs / b * args.target_b
                if only is not None and (code, null, n, d) not in only:
                    continue
                if b < args.target_b and (only is not None or cost <= args.cell_seconds):
                    jobs.append((cost, (code, null, n, d, str(cells), args.min_b,
                                        args.cell_seconds, args.target_b)))
    jobs.sort(key=lambda j: j[0])
    print(f"{len(jobs)} cells to upgrade to B = {args.target_b}, about "
          f"{sum(c for c, _ in jobs) / 60:.0f} CPU-min", flush=True)
    _simulate_all([j for _, j in jobs], args)


def _only(arg: str) -> set[tuple[str, str, int, int]] | None:
    """``--only code:null:NxD,...``: the cells to upgrade, whatever their cost."""
    if not arg:
        return None
    out = set()
    for item in arg.split(","):
        code, null, nd = item.split(":")
        n, d = nd.split("x")
        out.add((code, null, int(n), int(d)))
    return out


def pack(args) -> None:
    cells = Path(args.cells)
    out = {}
    for code in cal.SHIPPED_TESTS:
        spec = get_spec(code)
        for null in spec.nulls:
            grid = grid_cells(code, null)
            ns = sorted({n for n, _ in grid})
            ds = sorted(cal.D_GRID) if (code, null) in D_FREE else sorted({d for _, d in grid})
            nn, nd, nl = len(ns), len(ds), cal.LEVELS.size
            b = np.zeros((nn, nd), dtype=np.int32)
            mean = np.full((nn, nd), np.nan)
            sd = np.full((nn, nd), np.nan)
            z = np.full((nn, nd, nl), np.nan, dtype=np.float32)
            moments = np.full((nn, nd, 2, 3), np.nan)
            atom_t = np.full((nn, nd, cal.MAX_ATOMS), np.nan)
            atom_s = np.full((nn, nd, cal.MAX_ATOMS), np.nan)
            found = 0
            for i, n in enumerate(ns):
                for j, d in enumerate(ds):
                    src = cell_path(cells, code, null, n, 1 if (code, null) in D_FREE else d)
                    if not src.exists():
                        continue
                    with np.load(src) as f:
                        b[i, j], mean[i, j], sd[i, j] = int(f["b"]), float(f["mean"]), float(f["sd"])
                        z[i, j] = f["z"]
                        if "moments" in f.files:
                            moments[i, j] = f["moments"]
                        if "atom_t" in f.files:  # (cells keep up to MAX_ATOMS, NaN-padded)
                            k = min(f["atom_t"].size, cal.MAX_ATOMS)
                            atom_t[i, j, :k], atom_s[i, j, :k] = f["atom_t"][:k], f["atom_s"][:k]
                    found += 1
            if not found:
                continue
            key = f"{code}:{null}"
            out.update({f"{key}/n_grid": np.array(ns), f"{key}/d_grid": np.array(ds),
                        f"{key}/b": b, f"{key}/mean": mean, f"{key}/sd": sd, f"{key}/z": z})
            if code == "coverage":
                out[f"{key}/moments"] = moments
                out[f"{key}/atom_t"], out[f"{key}/atom_s"] = atom_t, atom_s
            print(f"{key}: {found} of {nn * nd} cells")
    target = ROOT / "gausstest" / "data" / cal.TABLE_FILE
    np.savez_compressed(target, **out)
    print(f"wrote {target} ({target.stat().st_size / 1e6:.2f} MB)")


def _atoms_job(path: str) -> str:
    """Redraw one coverage cell (same seed and B, so the same draws: its stored mean and sd
    must come back to the last digit) and add its atoms."""
    from threadpoolctl import threadpool_limits

    from gausstest.pvalues import _draw_statistics

    os.environ["GAUSSTEST_THREADS"] = "1"
    src = Path(path)
    with np.load(src) as f:
        cell = {k: f[k] for k in f.files}
    if "atom_t" in cell and (cell["atom_t"].size == cal.MAX_ATOMS
                             or np.isnan(cell["atom_t"]).any()):
        return f"{src.name} has atoms"  # (all of them, or as many as are kept)
    n, d = (int(v[1:]) for v in src.stem.split("_"))
    spec = get_spec("coverage")
    with threadpool_limits(1):
        stats = _draw_statistics(spec, int(cell["rows"]), d, "standard",
                                 cal.canonical_options("coverage", n, d), int(cell["b"]),
                                 int(cell["seed"]))
    mean, sd, _ = cal.summarize(stats)
    if not (mean == float(cell["mean"]) and sd == float(cell["sd"])):
        return f"{src.name} NOT REPRODUCED (mean {mean} vs {float(cell['mean'])}): skipped"
    cell["atom_t"], cell["atom_s"] = cal.atoms_of(stats)
    fd, tmp = tempfile.mkstemp(dir=src.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        np.savez(fh, **cell)
    os.replace(tmp, src)
    return f"{src.name}: {int(np.isfinite(cell['atom_t']).sum())} atoms"


def atoms(args) -> None:
    """Add the atoms of a discrete statistic (coverage) to cells made before they were kept,
    by redrawing each cell from its own seed (resumable: cells with atoms are skipped)."""
    paths = sorted(str(p) for p in (Path(args.cells) / "coverage-standard").glob("*.npz"))
    with Pool(args.workers) as pool:
        for msg in pool.imap_unordered(_atoms_job, paths):
            print(msg, flush=True)


def status(args) -> None:
    cells = Path(args.cells)
    for code in cal.SHIPPED_TESTS:
        for null in get_spec(code).nulls:
            grid = grid_cells(code, null)
            done = [c for c in grid if cell_path(cells, code, null, *c).exists()]
            secs = 0.0
            for c in done:
                with np.load(cell_path(cells, code, null, *c)) as f:
                    secs += float(f["seconds"])
            dmax = max((d for _, d in done), default=0)
            print(f"{code}:{null}: {len(done)}/{len(grid)} cells, {secs / 60:.1f} CPU-min, "
                  f"complete up to d = {max([d for d in cal.D_GRID if all((n, dd) in done for n, dd in grid if dd <= d)] or [0])}, max d done {dmax}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["run", "upgrade", "pack", "status", "atoms"])
    ap.add_argument("--cells", default=str(CELLS))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--hours", type=float, default=100.0)
    ap.add_argument("--tests", default="")
    ap.add_argument("--dmax", type=int, default=512)
    ap.add_argument("--min-b", type=int, default=2000)
    ap.add_argument("--cell-seconds", type=float, default=8.0)
    ap.add_argument("--target-b", type=int, default=10_000, help="upgrade: the B to reach")
    ap.add_argument("--only", default="", help="upgrade: these cells (code:null:NxD,...), any cost")
    args = ap.parse_args()
    {"run": run, "upgrade": upgrade, "pack": pack, "status": status,
     "atoms": atoms}[args.command](args)


if __name__ == "__main__":
    main()
