"""Size of the distance tests above their Monte Carlo cap (mc_max_n = 1000).

The null of energy / MMD / Cramer-Wold is simulated at min(n, 1000); this script draws
R samples at n = 2500 > 1000 and records the rejection rate at alpha = 0.05 with the
default method (the null of Cramer-Wold simulated with the observed n's gamma).
Rerun: python tests/distances_beyond_cap.py [R] [d]
"""

from __future__ import annotations

import math
import sys

from gausstest import distances  # noqa: F401  (registers the tests)
from gausstest.registry import get_spec
from gausstest.simulation import rejection_rate


def main(reps: int = 400, d: int = 5, n: int = 2500) -> None:
    for code in ("energy", "mmd", "cramer_wold"):
        band = 3 * math.sqrt(0.05 * 0.95 * (1 / reps + 1 / get_spec(code).default_resamples))
        for null in ("standard", "gaussian"):
            res = rejection_rate(code, null, n, d, reps=reps, seed=31)
            print(f"{code:12s} {null:9s} n={n} d={d} R={reps}: rate {res['rate']:.4f} "
                  f"(band 0.05 +- {band:.3f})", flush=True)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
