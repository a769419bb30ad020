"""How the verdict weights (gausstest.battery.VERDICT_WEIGHTS) were chosen, rerunnable.

    python tests/atlas/fit_weights.py [--results tests/atlas/results]

Reads the per-replicate p-values the atlas stored (``pvalues.csv.gz``). On every power
cell (alternative, n, d) of a null, the verdict rejects a replicate when the first step
of the weighted Holm procedure does: ``W * min_i p_i / w_i <= alpha`` (the later steps
never change whether *some* test rejects). Its power is compared with the most powerful
single member in that cell, chosen after the fact; the gap is what the verdict gives up.

One weight per (test, null) of the default battery serves all three verdicts (null =
"standard", "gaussian" and "both", the default, where the union of the two families is
one weighted Holm family; see gausstest.report.closed_verdict). The search is a
coordinate descent over weights in {1/4, 1/2, 1, 2, 4, 8} that minimises the mean of the
five largest gaps over the three verdicts' power cells (then the largest), from equal
weights, three sweeps.
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
KINDS = ("standard", "gaussian", "both")


def cells(pvalues: dict) -> tuple[list[tuple[str, str]], list[dict]]:
    """Every (alternative, n, d) with the p-values of all members under both nulls."""
    members = select_tests(None, "both")
    masks = {k: np.array([k == "both" or nl == k for _, nl in members]) for k in KINDS}
    out = []
    for alt, n, d in sorted({(a, n, d) for (_, _, a, n, d) in pvalues}):
        ps = [pvalues.get((c, nl, alt, n, d)) for c, nl in members]
        if any(p is None for p in ps) or len({len(p) for p in ps}) != 1:
            continue
        m = np.nan_to_num(np.column_stack(ps), nan=1.0)  # a refused test never rejects
        rates = (m <= ALPHA).mean(axis=0)
        for k in KINDS:
            i = np.flatnonzero(masks[k])
            j = i[int(rates[i].argmax())]
            size = alt == "normal" or (k == "gaussian" and alt in GAUSSIAN_MEMBERS)
            out.append(dict(kind=k, alt=alt, n=n, d=d, p=m[:, i], cols=i, best=rates[j],
                            best_test=f"{members[j][0]}:{members[j][1]}", size=size))
    return members, out


def verdict_rate(c: dict, w: np.ndarray) -> float:
    """First step of weighted Holm over the cell's members: some test rejects."""
    wi = w[c["cols"]]
    return float(np.mean(wi.sum() * np.min(c["p"] / wi, axis=1) <= ALPHA))


def gaps(cs: list[dict], w: np.ndarray) -> np.ndarray:
    return np.array([c["best"] - verdict_rate(c, w) for c in cs if not c["size"]])


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
    ap.add_argument("--no-holdout", action="store_true", help="skip the leave-one-out refits")
    ap.add_argument("--hold-out-d", type=int, nargs="*", default=[64],
                    help="dimensions left out of the fit and reported apart (default 64: the "
                         "shipped weights were fitted before the d = 64 cells were run)")
    args = ap.parse_args()
    members, everything = cells(read_pvalues(Path(args.results) / PVALUES_FILE))
    cs = [c for c in everything if c["d"] not in args.hold_out_d]
    apart = [c for c in everything if c["d"] in args.hold_out_d]
    if not cs:
        raise SystemExit("no complete cells")
    labels = [f"{c}:{nl}" for c, nl in members]
    shipped = np.array(verdict_weights(members))
    fitted = fit(cs, len(members))
    print("fitted weights :", dict(zip(labels, fitted.tolist())))
    print("shipped weights:", dict(zip(labels, shipped.tolist())))
    held: dict[str, list[float]] = {k: [] for k in KINDS}
    if not args.no_holdout:
        for alt in sorted({c["alt"] for c in cs if not c["size"]}):
            w = fit([c for c in cs if c["alt"] != alt], len(members), sweeps=2)
            for c in cs:
                if c["alt"] == alt and not c["size"]:
                    held[c["kind"]].append(c["best"] - verdict_rate(c, w))
    for k in KINDS:
        ck = [c for c in cs if c["kind"] == k]
        print(f"\n== verdict under null = {k!r}: {sum(not c['size'] for c in ck)} power cells")
        for name, w in (("equal", np.ones(len(members))), ("fitted", fitted),
                        ("shipped", shipped)):
            print(f"  gap with {name:<8}: {summary(gaps(ck, w))}")
        if held[k]:
            print(f"  gap, leave-one-alternative-out refit: {summary(np.array(held[k]))}")
        worst = sorted(((c["best"] - verdict_rate(c, shipped), c) for c in ck if not c["size"]),
                       key=lambda x: -x[0])[:6]
        print("  largest gaps with the shipped weights:")
        for g, c in worst:
            print(f"    {c['alt']:<24} n={c['n']:<5} d={c['d']:<4} verdict "
                  f"{verdict_rate(c, shipped):.2f}  best {c['best']:.2f} ({c['best_test']})"
                  f"  gap {g:+.2f}")
        sizes = [verdict_rate(c, shipped) for c in ck if c["size"]]
        if sizes:
            print(f"  size of the verdict on its Gaussian cells ({len(sizes)} cells): "
                  f"mean {np.mean(sizes):.4f}, max {np.max(sizes):.3f}")
    for k in KINDS:
        ck = [c for c in apart if c["kind"] == k and not c["size"]]
        if ck:
            print(f"\n== held-out d = {args.hold_out_d}, verdict under null = {k!r}: "
                  f"{len(ck)} power cells")
            for name, w in (("equal", np.ones(len(members))), ("shipped", shipped)):
                print(f"  gap with {name:<8}: {summary(gaps(ck, w))}")
            g, c = max(((c["best"] - verdict_rate(c, shipped), c) for c in ck), key=lambda x: x[0])
            print(f"  largest: {c['alt']} n={c['n']} d={c['d']} verdict {verdict_rate(c, shipped):.2f}"
                  f" best {c['best']:.2f} ({c['best_test']})")
    print("\nVERDICT_WEIGHTS now:", VERDICT_WEIGHTS)


if __name__ == "__main__":
    main()
