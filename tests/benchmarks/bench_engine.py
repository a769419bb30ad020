"""The pairwise engine against its roofline, measured in the same run.

Run:  python tests/benchmarks/bench_engine.py [--n 20000] [--d 64] [--repeat 3]

Cost model of one Henze-Zirkler observation (``bhep_excess`` with the test's beta and the
effect's beta, one pass over the pairs): the engine computes P = sum over the blocks on
or above the diagonal of block_i x block_j pairs (about n^2 / 2 + n * block / 2), and per
pair
  * GEMM: 2 d flops (the Gram block x_i . x_j),
  * element-wise: 3 passes to turn the Gram block into squared distances (scale, two
    broadcast adds) and a clip, then per beta one scale, one exp and one sum.
The roofline is the time of exactly that work at the machine's own rates, measured here
in the same run on the same block shapes: GEMM rate of a (block x d) @ (d x block)
product, exp rate and streaming element-wise rate on a block^2 array. Fraction =
roofline / measured time of the engine, both in CPU seconds of this process (the
machine is shared: wall time would count the waits). With 1 BLAS thread (the default)
and, for the GEMM rate alone, with 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from threadpoolctl import threadpool_limits  # noqa: E402

from gausstest.charfun import EFFECT_BETA, bhep_excess, hz_beta  # noqa: E402
from gausstest.pairwise import DEFAULT_BLOCK  # noqa: E402


def best(fn, repeat: int, clock=time.process_time) -> float:
    """Fastest of ``repeat`` runs, in CPU seconds of this process by default: on a shared
    machine, wall time counts the time spent waiting for a core; CPU time counts the work
    (for one BLAS thread, the single-core roofline; with 2 threads, core-seconds)."""
    t = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        t.append(clock() - t0)
    return min(t)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n, d, b = args.n, args.d, DEFAULT_BLOCK
    x = np.random.default_rng(0).standard_normal((n, d))
    betas = [hz_beta(n, d), EFFECT_BETA]
    nb = -(-n // b)
    pairs = sum(min(b, n - i * b) * min(b, n - j * b) for i in range(nb) for j in range(i, nb))
    print(f"# n = {n}, d = {d}, block = {b}: {pairs:.3g} pairs computed "
          f"(n^2/2 = {n * n / 2:.3g}); load average {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} CPUs")
    xi, xj = x[:b], x[b:2 * b]
    g = xi @ xj.T
    for threads in (1, 2):
        with threadpool_limits(threads, user_api="blas"):
            reps = 20
            buf = np.empty_like(g)  # rates of the work itself, without allocation

            def loop(op):
                return lambda: [op() for _ in range(reps)] and None

            t_gemm = best(loop(lambda: np.matmul(xi, xj.T, out=buf)), args.repeat) / reps
            t_exp = best(loop(lambda: np.exp(g, out=buf)), args.repeat) / reps
            t_ew = best(loop(lambda: np.multiply(g, 2.0, out=buf)), args.repeat) / reps
            gflops = 2 * d * b * b / t_gemm / 1e9
            per_block = t_gemm + 4 * t_ew + len(betas) * (t_exp + 2 * t_ew)
            roof = per_block * pairs / (b * b)
            if threads > 1:
                # the engine pins its own BLAS threads (gausstest.threads); show what the
                # library default would have given the GEMM
                print(f"BLAS threads {threads}: GEMM {gflops:6.1f} GFLOP/s per CPU second "
                      "(the engine pins 1 thread; this is the cost it avoids)", flush=True)
                continue
            w0 = time.perf_counter()
            t_engine = best(lambda: bhep_excess(x, betas), 1)
            wall = time.perf_counter() - w0
        print(f"BLAS threads {threads}: GEMM {gflops:6.1f} GFLOP/s, exp "
              f"{b * b / t_exp / 1e6:7.1f} M/s, element-wise {b * b / t_ew / 1e6:7.1f} M/s "
              f"(per CPU second); roofline {roof:6.2f} CPU s, engine {t_engine:6.2f} CPU s "
              f"({wall:.2f} s wall): fraction {roof / t_engine:.2f}", flush=True)


if __name__ == "__main__":
    main()
