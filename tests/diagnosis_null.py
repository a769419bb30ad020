"""False alarms of the diagnoses on N(0, I) samples that fail by chance.

Draws seeded N(0, I) samples of size (n, d), runs the default battery (assess, alpha = 0.05)
on each until ``--fails`` of them fail, and counts how often the failing reports name a
cause (any diagnosis other than "unexplained"), by kind. The issue's bar: at most 10%.

    python tests/diagnosis_null.py --n 200 --d 5 --fails 200
"""

from __future__ import annotations

import argparse
import collections
import sys
import time

import numpy as np


def run(n: int, d: int, fails: int, seed: int = 0, max_samples: int = 20000,
        tests=None) -> dict:
    import gausstest as gt

    rng = np.random.default_rng([seed, n, d])
    kinds: collections.Counter = collections.Counter()
    named = drawn = failed = 0
    examples = []
    while failed < fails and drawn < max_samples:
        z = rng.standard_normal((n, d))
        drawn += 1
        rep = gt.assess(z, tests=tests)  # the default seed: the cached Monte Carlo nulls
        if rep.passed:
            continue
        failed += 1
        causes = [x.kind for x in rep.diagnoses if x.kind != "unexplained"]
        if causes:
            named += 1
            kinds.update(set(causes))
            if len(examples) < 5:
                examples.append(rep.findings[0])
    return {"n": n, "d": d, "drawn": drawn, "failed": failed, "named": named,
            "rate": named / max(failed, 1), "kinds": dict(kinds), "examples": examples}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--d", type=int, default=5)
    ap.add_argument("--fails", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    t = time.time()
    out = run(args.n, args.d, args.fails, args.seed)
    print(f"n = {out['n']}, d = {out['d']}: {out['failed']} of {out['drawn']} N(0, I) samples "
          f"failed; {out['named']} of them named a cause ({out['rate']:.3f}); by kind: "
          f"{out['kinds']} ({time.time() - t:.0f} s)")
    for e in out["examples"]:
        print("  e.g.", e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
