"""``assess`` on a lazily generated Dask array that is never materialised, on a local cluster.

Run:  python tests/benchmarks/bench_dask.py [--n 10000000] [--d 32] [--chunk 250000]

The array is ``da.random.default_rng(seed).standard_normal((n, d))`` in row chunks (at the
default size 2.56 GB as float64, 64 MB a chunk); the cluster runs in this process (2
workers of 1 thread), so the peak resident memory printed covers the workers too. The
p-values are skipped (ObservedOnly, a warm calibration). Also checks, on a size that fits
in memory, that the Dask mean and covariance equal numpy's to 1e-10 relative.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--d", type=int, default=32)
    ap.add_argument("--chunk", type=int, default=250_000)
    args = ap.parse_args()
    import dask.array as da
    import distributed

    from bench_large import observed_only
    from memwatch import watch

    import gausstest as gt
    from gausstest.dasksample import dask_moments

    print(f"# load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        small = da.random.default_rng(1).standard_normal((400_000, args.d), chunks=(50_000, args.d))
        mom, z = dask_moments(small), small.compute()
        s = gt.as_sample(z)
        print(f"check on 400,000 x {args.d}: mean rel. diff "
              f"{np.max(np.abs(mom.mean - s.mean)) / np.max(np.abs(s.mean)):.1e}, covariance "
              f"{np.max(np.abs(mom.cov - s.cov)) / np.max(np.abs(s.cov)):.1e}", flush=True)
        del z, s
        x = da.random.default_rng(2).standard_normal((args.n, args.d),
                                                    chunks=(args.chunk, args.d))
        gt.assess(x[:5000], method=observed_only())  # first-use imports
        with watch() as w:
            rep = gt.assess(x, method=observed_only())
        print(f"assess on a lazy {args.n} x {args.d} Dask array ({args.n * args.d * 8 / 2**30:.2f} "
              f"GiB as float64): {w['seconds']:.1f} s wall, {w['cpu_seconds']:.1f} CPU s, "
              f"peak RSS {w['peak_rss_mb']:.0f} MB (anon {w['peak_anon_mb']:.0f} MB)")
        for note in rep.notes:
            print("  note:", note)
        print("  n per result:", sorted({(r.test, r.n) for r in rep.results}))


if __name__ == "__main__":
    main()
