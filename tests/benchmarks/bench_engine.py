"""The pairwise engine against its two-core roofline, measured in the same run.

Run (on an otherwise idle machine: the two-core figure needs both cores):

    python tests/benchmarks/bench_engine.py [--n 20000] [--d 64] [--repeat 3]

Work of one Henze-Zirkler observation (``bhep_excess`` with the test's beta and the
effect's beta in one pass): the engine visits P pairs (the blocks on or above the
diagonal: about n^2 / 2 + n * block / 2), and the least work any implementation that
forms the distances with a GEMM must do per pair is
  * GEMM: 2 d flops (the inner products; the engine's augmented GEMM does 2 (d + 2),
    which gives the squared distances without element-wise passes),
  * per beta: one exp and one summation pass.
The one-core roofline is that work at this machine's rates, measured here in the same run
on the engine's block shapes (a (block x d) @ (d x block) product, an exp and a sum over
a block^2 array, one thread, allocation-free); the two-core roofline is half of it.
Fraction = two-core roofline / the engine's wall time with its default two threads
(``GAUSSTEST_THREADS``), best of ``--repeat``. The engine's one-thread time is shown too.
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
    reps = 20
    buf = np.empty_like(g)  # rates of the work itself, without allocation

    def loop(op):
        return lambda: [op() for _ in range(reps)] and None

    with threadpool_limits(1, user_api="blas"):
        t_gemm = best(loop(lambda: np.matmul(xi, xj.T, out=buf)), args.repeat, time.perf_counter) / reps
        t_exp = best(loop(lambda: np.exp(g, out=buf)), args.repeat, time.perf_counter) / reps
        t_sum = best(loop(lambda: g.sum()), args.repeat, time.perf_counter) / reps
    gflops = 2 * d * b * b / t_gemm / 1e9
    one_core = (t_gemm + len(betas) * (t_exp + t_sum)) * pairs / (b * b)
    two_core = one_core / 2
    print(f"rates (one thread): GEMM {gflops:6.1f} GFLOP/s, exp {b * b / t_exp / 1e6:7.1f} M/s, "
          f"sum {b * b / t_sum / 1e6:7.1f} M/s; roofline {one_core:.3f} s on one core, "
          f"{two_core:.3f} s on two", flush=True)
    for threads in (1, 2):
        os.environ["GAUSSTEST_THREADS"] = str(threads)
        t_engine = best(lambda: bhep_excess(x, betas), args.repeat, time.perf_counter)
        roof = one_core / threads
        print(f"engine on {threads} thread{'s' if threads > 1 else ''}: {t_engine:.3f} s wall; "
              f"{threads}-core roofline {roof:.3f} s: fraction {roof / t_engine:.2f}", flush=True)


if __name__ == "__main__":
    main()
