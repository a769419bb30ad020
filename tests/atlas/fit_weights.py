"""How the verdict weights (gausstest.battery.VERDICT_WEIGHTS) were chosen, rerunnable.

    python tests/atlas/fit_weights.py [--results tests/atlas/results]

Reads the per-replicate p-values the atlas stored (``pvalues.csv.gz``). On every power
cell (alternative, n, d) of a null, the verdict rejects a replicate when the first step
of the weighted Holm procedure does: ``W * min_i p_i / w_i <= alpha`` (the later steps
never change whether *some* test rejects). Its power is compared with the most powerful
single member in that cell, chosen after the fact; the gap is what the verdict gives up.

The search is a coordinate descent over weights in {1/4, 1/2, 1, 2, 4, 8} that minimises
the mean of the five largest gaps (then the largest), from equal weights, three sweeps.
Weighting never changes the family-wise error (weighted Holm controls it at alpha for any
weights), only where the power goes, so the fit cannot make the verdict liberal; the size
rows printed at the end check that on the stored null samples.

Because the fit and the gaps use the same cells, the script also reports a
leave-one-alternative-out estimate: the weights are refitted without each alternative in
turn and the gap is measured on that alternative's cells only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from gausstest.alternatives import GAUSSIAN_MEMBERS
from gausstest.atlas import PVALUES_FILE, read_pvalues
from gausstest.battery import VERDICT_WEIGHTS, select_tests, verdict_weights

GRID = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
ALPHA = 0.05


def cells(pvalues: dict, null: str) -> tuple[list[str], list[dict]]:
    members = [c for c, _ in select_tests(None, null)]
    out = []
    for (t, nl, alt, n, d) in sorted(pvalues):
        if t != members[0] or nl != null:
            continue
        ps = [pvalues.get((c, nl, alt, n, d)) for c in members]
        if any(p is None for p in ps) or len({len(p) for p in ps}) != 1:
            continue
        m = np.nan_to_num(np.column_stack(ps), nan=1.0)  # a refused test never rejects
        rates = (m <= ALPHA).mean(axis=0)
        out.append(dict(alt=alt, n=n, d=d, p=m, best=rates.max(),
                        best_test=members[int(rates.argmax())],
                        size=alt == "normal" or (null == "gaussian" and alt in GAUSSIAN_MEMBERS)))
    return members, out


def verdict_rate(p: np.ndarray, w: np.ndarray) -> float:
    return float(np.mean(w.sum() * np.min(p / w, axis=1) <= ALPHA))


def gaps(cs: list[dict], w: np.ndarray) -> np.ndarray:
    return np.array([c["best"] - verdict_rate(c["p"], w) for c in cs if not c["size"]])


def objective(cs, w) -> tuple[float, float]:
    g = np.sort(gaps(cs, w))
    return float(g[-5:].mean()), float(g[-1])


def fit(cs: list[dict], k: int, sweeps: int = 3) -> np.ndarray:
    w = np.ones(k)
    best = objective(cs, w)
    for _ in range(sweeps):
        for i in range(k):
            for g in GRID:
                trial = w.copy()
                trial[i] = g
                score = objective(cs, trial)
                if score < best:
                    best, w = score, trial
    return w


def summary(g: np.ndarray) -> str:
    return (f"max {g.max():.3f}, 90th pct {np.quantile(g, 0.9):.3f}, mean {g.mean():.3f}, "
            f"cells > 0.10: {(g > 0.10).sum()} of {g.size}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default=str(Path(__file__).parent / "results"))
    args = ap.parse_args()
    pvalues = read_pvalues(Path(args.results) / PVALUES_FILE)
    for null in ("standard", "gaussian"):
        members, cs = cells(pvalues, null)
        if not cs:
            print(f"{null}: no complete cells")
            continue
        k = len(members)
        shipped = np.array(verdict_weights([(c, null) for c in members]))
        fitted = fit(cs, k)
        print(f"\n== null = {null}: {len([c for c in cs if not c['size']])} power cells, "
              f"members {members}")
        print("fitted weights :", dict(zip(members, fitted.tolist())))
        print("shipped weights:", dict(zip(members, shipped.tolist())))
        for name, w in (("equal", np.ones(k)), ("fitted", fitted), ("shipped", shipped)):
            print(f"  gap with {name:<8}: {summary(gaps(cs, w))}")
        # leave one alternative out
        held = []
        for alt in sorted({c["alt"] for c in cs if not c["size"]}):
            train = [c for c in cs if c["alt"] != alt]
            w = fit(train, k, sweeps=2)
            held += [c["best"] - verdict_rate(c["p"], w) for c in cs
                     if c["alt"] == alt and not c["size"]]
        print(f"  gap, leave-one-alternative-out refit: {summary(np.array(held))}")
        worst = sorted(((c["best"] - verdict_rate(c["p"], shipped), c) for c in cs
                        if not c["size"]), key=lambda x: -x[0])[:8]
        print("  largest gaps with the shipped weights:")
        for g, c in worst:
            print(f"    {c['alt']:<24} n={c['n']:<5} d={c['d']:<4} verdict "
                  f"{verdict_rate(c['p'], shipped):.2f}  best {c['best']:.2f} ({c['best_test']})"
                  f"  gap {g:+.2f}")
        sizes = [(verdict_rate(c["p"], shipped), c) for c in cs if c["size"]]
        if sizes:
            r = np.array([s for s, _ in sizes])
            reps = sum(len(c["p"]) for _, c in sizes)
            print(f"  size of the verdict on the Gaussian cells ({len(sizes)} cells, {reps} "
                  f"samples): mean {r.mean():.4f}, max {r.max():.3f}")
    print("\nVERDICT_WEIGHTS now:", VERDICT_WEIGHTS)


if __name__ == "__main__":
    main()
