"""gausstest against the anchors in the same run: pingouin's Henze-Zirkler and dcor's energy
distance. Each case runs in a fresh process (its peak is its own); times are ratios taken
in the same run, because the machine is shared.

Run:  python tests/benchmarks/bench_anchors.py [--hz 10000x16] [--energy 2000x64] [--json F]

* Henze-Zirkler, composite null, on all rows: ``gausstest.henze_zirkler`` statistic
  (p-value skipped: a warm calibration is a look-up) against
  ``pingouin.multivariate_normality`` (statistic + its lognormal p-value); the two
  statistics must agree to 1e-8 relative.
* Energy: gausstest's energy statistic to N(0, I) in closed form against
  ``dcor.energy_distance(x, y)`` with a reference N(0, I) sample y of the same size (what a
  dcor user does; dcor has no closed form for the prior).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))


def _vm(key: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _data(n: int, d: int) -> np.ndarray:
    rng = np.random.default_rng(2026)
    x = rng.standard_normal((n, d))
    x[:, 0] = rng.standard_t(6, size=n)  # a mildly heavy-tailed coordinate
    return x


def case(name: str, n: int, d: int) -> dict:
    x = _data(n, d)
    if name == "gausstest_hz" or name == "gausstest_energy":
        import gausstest as gt
        from gausstest.pvalues import PValueMethod
        from gausstest.results import PValueInfo

        class ObservedOnly(PValueMethod):
            def compute(self, spec, observed, n, d, null, options, seed):
                return 1.0, PValueInfo(method="asymptotic", description="benchmark")

        fn = (lambda: gt.henze_zirkler(x, null="gaussian", method=ObservedOnly())) \
            if name == "gausstest_hz" else (lambda: gt.energy(x, null="standard",
                                                              method=ObservedOnly()))
    elif name == "pingouin_hz":
        import pingouin

        def fn():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return pingouin.multivariate_normality(x, alpha=0.05)
    elif name == "dcor_energy":
        import dcor

        y = np.random.default_rng(7).standard_normal((n, d))
        fn = lambda: dcor.energy_distance(x, y)  # noqa: E731
    else:
        raise SystemExit(f"unknown case {name}")
    base = _vm("VmRSS")
    t0 = time.perf_counter()
    out = fn()
    sec = time.perf_counter() - t0
    peak = _vm("VmHWM")
    stat = float(out.statistic) if hasattr(out, "statistic") else (
        float(out.hz) if hasattr(out, "hz") else float(out))
    return {"case": name, "n": n, "d": d, "seconds": sec, "peak_rss_mb": peak,
            "base_rss_mb": base, "work_mb": peak - base, "statistic": stat}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hz", default="10000x16")
    ap.add_argument("--energy", default="2000x64")
    ap.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(case(args.one[0], int(args.one[1]), int(args.one[2]))))
        return
    print(f"# load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; "
          f"GAUSSTEST_BLAS_THREADS={os.environ.get('GAUSSTEST_BLAS_THREADS', '(1)')}", flush=True)
    rows = []
    plan = [("gausstest_hz", args.hz), ("pingouin_hz", args.hz),
            ("gausstest_energy", args.energy), ("dcor_energy", args.energy)]
    for name, size in plan:
        n, d = size.split("x")
        out = subprocess.run([sys.executable, __file__, "--one", name, n, d],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print(f"{name}: failed: {out.stderr[-500:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(r)
        print(f"{name:<18} n = {r['n']:>6} d = {r['d']:>3}  {r['seconds']:8.2f} s  peak RSS "
              f"{r['peak_rss_mb']:7.0f} MB (work {r['work_mb']:6.0f} MB)  statistic "
              f"{r['statistic']:.12g}", flush=True)
    by = {r["case"]: r for r in rows}
    for ours, theirs in (("gausstest_hz", "pingouin_hz"), ("gausstest_energy", "dcor_energy")):
        if ours in by and theirs in by:
            a, b = by[ours], by[theirs]
            line = (f"{theirs} / {ours}: time x{b['seconds'] / a['seconds']:.1f}, "
                    f"work memory x{b['work_mb'] / max(a['work_mb'], 1.0):.1f}")
            if ours == "gausstest_hz":
                line += f", statistics rel. diff {abs(a['statistic'] / b['statistic'] - 1):.1e}"
            print(line)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
