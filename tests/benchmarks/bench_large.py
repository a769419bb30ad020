"""Time and peak memory of the observed statistics on a large float32 memmap.

Run (about 5 minutes at the default size on 2 busy cores; writes a 512 MB file):

    python tests/benchmarks/bench_large.py --n 1000000 --d 128 [--file PATH] [--tests a,b]

It runs ``assess`` on the memory-mapped file exactly as ``gausstest report FILE`` does
(``gausstest.io.load`` then ``assess``), with a p-value method that records the observed
statistic and skips the null (``ObservedOnly``): what a warm calibration costs on top is
a cache or table look-up, independent of n. Then each default test alone, each in a
fresh process, so every peak is its own. Peaks: VmHWM (resident set, which counts the
pages of the mapped file that were read: up to the file's size) and the anonymous
resident memory (what the work allocated), sampled every 20 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))


def observed_only():
    from gausstest.pvalues import PValueMethod
    from gausstest.results import PValueInfo

    class ObservedOnly(PValueMethod):
        """Benchmark stand-in for a warm calibration: p = 1, no null work."""

        def compute(self, spec, observed, n, d, null, options, seed):
            return 1.0, PValueInfo(method="asymptotic", description="benchmark: null skipped")

    return ObservedOnly()


def make_file(path: Path, n: int, d: int, seed: int = 13) -> None:
    if path.exists() and np.load(path, mmap_mode="r").shape == (n, d):
        return
    z = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
    rng = np.random.default_rng(seed)
    step = max(1, 2**22 // d)
    for r in range(0, n, step):
        z[r:r + step] = rng.standard_normal((min(step, n - r), d), dtype=np.float32)
    z.flush()


def run_one(path: str, tests: str | None) -> dict:
    """In this process: load (memmap) + assess, with memory watched."""
    from memwatch import watch

    import gausstest as gt
    from gausstest.io import load

    z = load(path)
    kw = {} if tests is None else {"tests": tests.split(",")}
    with watch() as w:
        rep = gt.assess(z, method=observed_only(), **kw)
    w["results"] = [(r.test, r.null, r.statistic) for r in rep.results]
    w["notes"] = list(rep.notes)
    return w


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--d", type=int, default=128)
    ap.add_argument("--file", default=None)
    ap.add_argument("--tests", default=None, help="comma-separated; default: whole battery, then each")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--json", default=None, help="write the measurements here")
    args = ap.parse_args()
    path = Path(args.file or f"/tmp/gausstest_bench_{args.n}x{args.d}_f32.npy")
    if args.one:
        print(json.dumps(run_one(str(path), args.tests)))
        return
    make_file(path, args.n, args.d)
    print(f"# {path} ({path.stat().st_size / 2**20:.0f} MiB), load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    import gausstest as gt

    runs = [None] + list(gt.DEFAULT_BATTERY) if args.tests is None else [args.tests]
    rows = []
    for tests in runs:
        cmd = [sys.executable, __file__, "--n", str(args.n), "--d", str(args.d), "--file",
               str(path), "--one"] + ([] if tests is None else ["--tests", tests])
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            print(f"{tests or 'assess (default battery)'}: failed\n{out.stderr[-2000:]}")
            continue
        w = json.loads(out.stdout.strip().splitlines()[-1])
        w["what"] = tests or "assess (default battery)"
        w["process_seconds"] = time.perf_counter() - t0
        rows.append(w)
        print(f"{w['what']:<26} {w['seconds']:7.1f} s ({w.get('cpu_seconds', float('nan')):6.1f} CPU s)   peak RSS {w['peak_rss_mb']:6.0f} MB   "
              f"peak anon {w['peak_anon_mb']:6.0f} MB (before: {w['base_anon_mb']:.0f} MB)",
              flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"n": args.n, "d": args.d, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
