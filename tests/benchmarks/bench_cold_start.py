"""Cold versus warm first answers: `gausstest report` on N(0, I) files with an empty cache.

For each (n, d) a seeded N(0, I) file is written, then `python -m gausstest report FILE`
runs twice with the same fresh, empty GAUSSTEST_CACHE_DIR: the first run is what a new
user or a CI machine sees, the second what a later run sees. Wall times are noisy on a
shared machine: the load average is printed beside them, and the ratio cold / warm is
the number to read.

    python tests/benchmarks/bench_cold_start.py [--points 1796x16,333x48,...] [--example]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

POINTS = [(1796, 16), (333, 48), (4321, 8), (150, 100), (10000, 64), (900, 256), (600, 384)]


def _run(args: list[str], cache: str) -> tuple[float, int]:
    env = {**os.environ, "GAUSSTEST_CACHE_DIR": cache}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "gausstest", *args], env=env,
                          capture_output=True, text=True)
    return time.perf_counter() - start, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--points", default="")
    ap.add_argument("--example", action="store_true", help="also the README's first command")
    args = ap.parse_args()
    points = POINTS if not args.points else [tuple(int(v) for v in p.split("x"))
                                             for p in args.points.split(",")]
    work = Path(tempfile.mkdtemp(prefix="gt-cold-"))
    rows = []
    jobs = []
    if args.example:
        jobs.append(("report --example", ["report", "--example", "--quiet"]))
    for n, d in points:
        path = work / f"z_{n}x{d}.npy"
        np.save(path, np.random.default_rng([n, d]).standard_normal((n, d)))
        jobs.append((f"report N(0, I) {n} x {d}", ["report", str(path), "--quiet"]))
    for name, cmd in jobs:
        cache = tempfile.mkdtemp(prefix="gt-cache-", dir=work)
        cold, rc = _run(cmd, cache)
        warm, _ = _run(cmd, cache)
        load = os.getloadavg()[0]
        rows.append((name, cold, warm, rc, load))
        print(f"{name:<32} cold {cold:6.1f} s  warm {warm:6.1f} s  ratio {cold / warm:4.2f}  "
              f"exit {rc}  load {load:.1f}", flush=True)


if __name__ == "__main__":
    main()
