"""Speed of assess() and of single tests; prints a table (no assertions).

Run: python tests/benchmarks/bench_speed.py [--sizes 2000x16,10000x64]
First call builds the Monte Carlo null cache (in a fresh temporary folder here);
the second call shows the cached cost.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="2000x16,10000x64")
    args = ap.parse_args()
    os.environ["GAUSSTEST_CACHE_DIR"] = tempfile.mkdtemp(prefix="gausstest_bench_")
    import gausstest as gt
    from gausstest.registry import REGISTRY, run_test

    for cell in args.sizes.split(","):
        n, d = (int(v) for v in cell.split("x"))
        z = np.random.default_rng(0).standard_normal((n, d))
        print(f"\n== n = {n}, d = {d} ==")
        for code in gt.DEFAULT_BATTERY:
            for null in REGISTRY[code].nulls:
                t0 = time.perf_counter()
                run_test(code, z, null=null)
                first = time.perf_counter() - t0
                t0 = time.perf_counter()
                run_test(code, z, null=null)
                second = time.perf_counter() - t0
                print(f"{code:<22} {null:<9} first {first:7.2f} s   cached {second:7.3f} s")
        t0 = time.perf_counter()
        gt.assess(z)
        print(f"assess (cached)                    {time.perf_counter() - t0:7.2f} s")


if __name__ == "__main__":
    main()
