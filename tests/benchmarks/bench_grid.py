"""Every default test and ``assess`` over n in {10^3 .. 10^6} and d in {8, 64, 256}: wall
time, CPU time and peak memory, with pingouin's Henze-Zirkler and dcor's energy distance
side by side in the same run where they fit in memory.

Run (about 15 minutes on an idle 2-core machine; writes float32 files of up to 1 GB
under --dir for the n = 10^6 cells, read memory-mapped as ``gausstest report`` would):

    python tests/benchmarks/bench_grid.py [--cells 1000x8,...] [--dir /tmp] [--json F]

Each cell runs in a fresh process. p-values are skipped (``ObservedOnly``: with a warm
calibration they are a table or cache look-up whose cost does not depend on n). Each test
sees the rows ``assess`` gives it: the O(n^2) tests a seeded 20,000-row subsample beyond
that (and their own high-d subsample), everything else all rows. pingouin's
``multivariate_normality`` materialises n x n matrices (about 4 GB at n = 10^4) and
dcor's ``energy_distance`` of the sample and a same-size N(0, I) reference sample 2n x 2n
ones, so they run up to n = 10^4 and n = 5,000 here; beyond, "-".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

CELLS = [f"{n}x{d}" for n in (1000, 10_000, 100_000, 1_000_000) for d in (8, 64, 256)]
PINGOUIN_MAX_N = 10_000
DCOR_MAX_N = 5_000


def _data(n: int, d: int, folder: Path):
    if n < 1_000_000:
        return np.random.default_rng(n + d).standard_normal((n, d))
    from bench_large import make_file

    from gausstest.io import load

    path = folder / f"gausstest_grid_{n}x{d}_f32.npy"
    make_file(path, n, d)
    return load(str(path))


def cell(n: int, d: int, folder: Path) -> dict:
    from bench_large import observed_only
    from memwatch import watch

    import gausstest as gt
    from gausstest.battery import MAX_QUADRATIC_N, selected_pairs
    from gausstest.registry import REGISTRY, run_test
    from gausstest.sample import as_sample
    from gausstest.threads import blas_threads

    z = _data(n, d, folder)
    gt.assess(np.asarray(z[:300], dtype=np.float64), method=observed_only())  # imports
    rows = []
    sample = as_sample(z)
    sub = None
    if n > MAX_QUADRATIC_N:
        idx = np.sort(np.random.default_rng([0, 7]).choice(n, MAX_QUADRATIC_N, replace=False))
        sub = sample.take(idx)
    for code, null in selected_pairs(None, "both", ()):
        use = sub if (sub is not None and REGISTRY[code].quadratic) else sample
        with watch() as w, blas_threads():
            run_test(code, use, null=null, method=observed_only(), rng=0)
        rows.append({"what": f"{code}:{null}", **w})
    with watch() as w:
        gt.assess(z, method=observed_only())
    rows.append({"what": "assess", **w})
    x = np.asarray(z, dtype=np.float64) if n <= PINGOUIN_MAX_N else None
    if x is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pingouin

            with watch() as w:
                pingouin.multivariate_normality(x)
            rows.append({"what": "pingouin multivariate_normality", **w})
    if x is not None and n <= DCOR_MAX_N:
        import dcor

        y = np.random.default_rng(1).standard_normal((n, d))
        with watch() as w:
            dcor.energy_distance(x, y)
        rows.append({"what": "dcor energy_distance (vs a N(0, I) sample)", **w})
    return {"n": n, "d": d, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", default=",".join(CELLS))
    ap.add_argument("--dir", default="/tmp")
    ap.add_argument("--json", default=None)
    ap.add_argument("--one", nargs=2, type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(cell(*args.one, Path(args.dir))))
        return
    print(f"# load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; wall s / CPU s / "
          "peak anonymous MB above the process's start", flush=True)
    out = []
    for c in args.cells.split(","):
        n, d = c.split("x")
        res = subprocess.run([sys.executable, __file__, "--one", n, d, "--dir", args.dir],
                             capture_output=True, text=True)
        if res.returncode:
            print(f"{c}: failed\n{res.stderr[-1500:]}", flush=True)
            continue
        r = json.loads(res.stdout.strip().splitlines()[-1])
        out.append(r)
        print(f"\n## n = {int(n):,}, d = {d}", flush=True)
        for row in r["rows"]:
            extra = row["peak_anon_mb"] - row["base_anon_mb"]
            print(f"{row['what']:<44} {row['seconds']:8.3f} s {row['cpu_seconds']:8.3f} CPU s "
                  f"{extra:8.0f} MB", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
