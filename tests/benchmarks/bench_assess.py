"""Warm ``assess`` (default battery, both nulls) on in-memory N(0, I) float64 samples: wall
and CPU seconds and peak memory per (n, d) cell, each in a fresh process.

Run:  python tests/benchmarks/bench_assess.py [--cells 10000x16,100000x16,10000x64]

"Warm calibration": the p-values are skipped (ObservedOnly, as in bench_large.py), since
with a warm cache or the shipped tables they are a look-up whose cost does not grow with
n. CPU seconds are this process's (all threads): on a shared machine they show the work
without the time spent waiting for a core.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))


def one(n: int, d: int) -> dict:
    from bench_large import observed_only
    from memwatch import watch

    import gausstest as gt

    z = np.random.default_rng(1).standard_normal((n, d))
    gt.assess(z[:300], method=observed_only())  # first-use imports outside the measurement
    with watch() as w:
        rep = gt.assess(z, method=observed_only())
    w.update(n=n, d=d, results=len(rep.results))
    return w


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", default="1000x16,10000x16,100000x16,10000x64")
    ap.add_argument("--one", nargs=2, type=int, help=argparse.SUPPRESS)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(*args.one)))
        return
    print(f"# load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    rows = []
    for cell in args.cells.split(","):
        n, d = cell.split("x")
        out = subprocess.run([sys.executable, __file__, "--one", n, d], capture_output=True,
                             text=True)
        if out.returncode:
            print(f"{cell}: failed {out.stderr[-800:]}")
            continue
        w = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(w)
        print(f"assess n = {w['n']:>7} d = {w['d']:>3}: {w['seconds']:7.2f} s wall, "
              f"{w['cpu_seconds']:7.2f} CPU s, peak RSS {w['peak_rss_mb']:6.0f} MB", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
