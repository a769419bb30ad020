"""The scale of each default test's effect: what a value means, for choosing ``max_effect``.

For every (test, null) of the default battery, the mean effect on seeded samples of a few
alternatives (``gausstest.alternatives``) and, for comparison, the effect's mean and 95%
quantile on N(0, I) samples of the same (n, d) (the noise floor: a threshold below it
cannot pass a Gaussian sample that fails by chance; a material failure needs both a
rejection and an effect above the threshold, see ``gausstest.gate``).

Effects only: no p-value is computed (the effect of a result does not depend on its
p-value method), so this runs in about a minute::

    python tests/effect_scale.py                   # n = 2000, d = 8 (the README table)
    python tests/effect_scale.py --n 1000 --d 16   # another (n, d)

Prints a Markdown table (README, "Use in CI").
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's gausstest

from gausstest import alternatives as alt  # noqa: E402
from gausstest.battery import DEFAULT_BATTERY  # noqa: E402
from gausstest.registry import get_spec  # noqa: E402
from gausstest.sample import Sample  # noqa: E402

#: (column title, alternatives generator name, parameters)
CASES = [
    ("scale 0.9", "scale_iso", {"scale": 0.9}),
    ("mean shift 0.3", "mean_shift", {"delta": 0.3}),
    ("2 clusters, centres 4 apart", "mixture2_sep4", {}),
    ("1 dim collapsed (var 1e-3)", "collapsed", {}),
    ("t(5)", "t5", {}),
]


def effects(z: np.ndarray) -> dict[tuple[str, str], float]:
    sample = Sample(z)
    out = {}
    for code in DEFAULT_BATTERY:
        spec = get_spec(code)
        for null in spec.nulls:
            if null == "gaussian":
                try:
                    sample.require_composite()
                except ValueError:
                    out[(spec.code, null)] = float("nan")
                    continue
            obs = spec.observe(sample, null, {})
            out[(spec.code, null)] = np.nan if obs.effect is None else float(obs.effect)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--d", type=int, default=8)
    ap.add_argument("--reps", type=int, default=5, help="seeded samples per alternative")
    ap.add_argument("--null-reps", type=int, default=20, help="seeded N(0, I) samples")
    args = ap.parse_args()
    n, d = args.n, args.d

    null = [effects(alt.sample("normal", n, d, rng=[20261202, r])) for r in range(args.null_reps)]
    cols = []
    for i, (_, name, params) in enumerate(CASES):
        reps = [effects(alt.sample(name, n, d, rng=[20261202, 1000 + i, r], **params))
                for r in range(args.reps)]
        cols.append({k: float(np.mean([e[k] for e in reps])) for k in reps[0]})

    def f(x: float) -> str:
        if not np.isfinite(x):
            return "-"
        return f"{x:.2g}" if abs(x) >= 0.01 or x == 0 else f"{x:.1e}"

    print(f"n = {n}, d = {d}; alternatives: mean of {args.reps} seeded samples; "
          f"N(0, I): mean and 95% quantile of {args.null_reps}")
    print()
    print("| test [null] | N(0, I): mean / 95% | " + " | ".join(c for c, _, _ in CASES) + " |")
    print("|---|---|" + "---|" * len(CASES))
    for key in null[0]:
        vals = np.array([e[key] for e in null])
        head = f"{f(float(np.mean(vals)))} / {f(float(np.quantile(vals, 0.95)))}"
        print(f"| `{key[0]}` [{key[1]}] | {head} | " + " | ".join(f(c[key]) for c in cols) + " |")


if __name__ == "__main__":
    main()
