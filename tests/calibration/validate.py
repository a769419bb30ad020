"""Off-grid validation of the shipped null tables: size and agreement with fresh Monte Carlo.

For each (n, d) point off the grid and each default test and null the table covers:

* **size**: ``--reps`` fresh N(0, I) statistics are simulated with the test's own kernel
  (on exactly the prepared data the observed statistic sees: fitted and whitened under
  the composite null, at the rows the statistic uses) and each gets its shipped-table
  p-value; the rejection rates at alpha = 0.05 and 0.01 are the table's size there,
  with the binomial band 3 sqrt(alpha (1 - alpha) / R).
* **agreement**: the same draws are also a fresh Monte Carlo null (B = reps - 1): for the
  first 200 draws (null samples) and for 200 samples of a mild alternative, the table's
  p-value is compared with the fresh Monte Carlo p-value of the same statistic.

The verdict's size needs the joint p-values and runs ``assess`` on ``--verdict-reps``
N(0, I) samples at the cheaper points (``--verdict``).

Seeded and resumable: one CSV row per (point, test, null), appended as it completes. The
fresh draws of each row are kept under ``tests/calibration/.cache/draws`` (not committed),
so ``rescore`` scores them again after the table is repacked, without simulating.

    python tests/calibration/validate.py run [--reps 5000] [--points 35x2,...] [--tests ...]
    python tests/calibration/validate.py verdict [--verdict-reps 1000] [--points ...]
    python tests/calibration/validate.py render
    python tests/calibration/validate.py agreement --out NAME   (agreement only, large --reps)
    python tests/calibration/validate.py rescore --out NAME     (again, against a repacked table)
    python tests/calibration/validate.py refnoise --out NAME    (what a B = 9999 reference adds)
    python tests/calibration/validate.py interp --test henze_zirkler [--null gaussian] [--reps 6000] --points 300x28,...
    python tests/calibration/validate.py largen --tests a,b --points 10000x64,... [--reps 1000] [--out large_n_size]

``largen`` checks what ``run`` cannot: ``run`` draws each statistic at the rows its null
is simulated at, so a capped null (simulated at min(n, cap) rows, "n-stable beyond") is
never compared with statistics at the full n. ``largen`` draws ``--reps`` statistics at
the full n (above the cap), gives each the p-value ``method="auto"`` would give (table at
the cap's rows, or a law) and records the size at 0.05 and 0.01, a KS test of the
p-values against uniform, and where the p-value came from; rendered to ``--out``.md.

``interp`` is the quick check behind an interpolation rule: at each point and null the
table covers, ``--reps`` fresh statistics (seeded) get their table p-value, and the
printout gives the size at 0.05 and 0.01 and the mean and largest |p_table - p_emp|,
p_emp the fresh draws' own empirical survival, where either is in [0.01, 0.5].
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from gausstest import alternatives, assess, calibration as cal  # noqa: E402
from gausstest.battery import DEFAULT_BATTERY  # noqa: E402
from gausstest.pvalues import _draw_statistics  # noqa: E402
from gausstest.registry import get_spec  # noqa: E402
from gausstest.sample import whiten_batch  # noqa: E402

OUT = ROOT / "tests" / "size"
#: off-grid points: n and d between grid nodes where possible (n from 35 to 15,000)
POINTS = [(35, 2), (120, 5), (250, 9), (600, 11), (1796, 16), (4321, 8), (333, 48),
          (850, 28), (150, 100), (10000, 64), (15000, 3), (2500, 56), (60, 7), (175, 40)]
FIELDS = ["n", "d", "test", "null", "rows", "reps", "rate_05", "rate_01", "band_05", "band_01",
          "within_05", "within_01", "agree_null_max", "agree_alt_max", "agree_alt_mean",
          "agree_alt_within_001", "joint_below_001_mismatch", "alt", "seconds",
          "b_cell", "noise_3sd", "joint_mismatch_null", "mismatch_max_diff"]


def _alt_sample(null: str, n: int, d: int, rng) -> np.ndarray:
    if null == "standard":
        return rng.standard_normal((n, d)) * 1.04
    return alternatives.multivariate_t(n, d, rng=rng, nu=40.0)


def _rows_used(spec, n, d) -> int:
    limit = spec.subsample_above(d) if spec.subsample_above is not None else None
    return min(n, limit) if limit else n


def size_fields(p: np.ndarray) -> dict:
    """Rejection rates of p-values at 0.05 and 0.01, their band 3 sqrt(a (1 - a) / R)
    and whether each rate is inside it."""
    out = {}
    for a, tag in [(0.05, "05"), (0.01, "01")]:
        rate, band = float(np.mean(p <= a)), 3 * math.sqrt(a * (1 - a) / p.size)
        out[f"rate_{tag}"], out[f"band_{tag}"], out[f"within_{tag}"] = rate, band, abs(rate - a) <= band
    return out


def _in_band(row: dict) -> bool:
    return row["within_05"] == "True" and row["within_01"] == "True"


#: the fresh draws of ``run`` (null and alternative statistics, per row), kept so that
#: ``rescore`` can score them against a repacked table without simulating again
DRAWS = HERE / ".cache" / "draws"


def _draws(code: str, null: str, n: int, d: int, reps: int, seed: int) -> tuple[int, np.ndarray, np.ndarray]:
    """The rows simulated at, ``reps`` fresh null statistics and 200 statistics of the
    mild alternative at (n, d) (absolute values for two-sided tests), from the draws
    cache when this row was drawn before."""
    spec = get_spec(code)
    n_used = _rows_used(spec, n, d)
    opts = cal.canonical_options(code, n_used, d)
    path = DRAWS / f"{code}-{null}-n{n}-d{d}-r{reps}-s{seed}.npz"
    if path.exists():
        with np.load(path) as f:
            return int(f["rows"]), f["t"], f["ta"]
    rows = cal.sim_rows(spec, n_used, d)
    sims = _draw_statistics(spec, rows, d, null, opts, reps, seed)
    t = np.abs(sims) if spec.two_sided else sims
    # the alternative's statistic, computed by the same kernel on n_used rows (the
    # observed statistic's rows) with the observed sample's options
    rng = np.random.default_rng([seed, 99])
    m = 200
    per = max(1, min(m, 4_000_000 // max(1, n_used * d)))
    alt_stats = []
    for s in range(0, m, per):
        x = np.stack([_alt_sample(null, n_used, d, rng) for _ in range(min(per, m - s))])
        if null == "gaussian":
            x = whiten_batch(x)
        alt_stats.append(spec.kernel(x, null=null, **opts))
    ta = np.concatenate(alt_stats)
    ta = np.abs(ta) if spec.two_sided else ta
    DRAWS.mkdir(parents=True, exist_ok=True)
    np.savez(path, rows=rows, t=t, ta=ta)
    return rows, t, ta


def check_point(code: str, null: str, n: int, d: int, reps: int, seed: int) -> dict | None:
    spec = get_spec(code)
    n_used = _rows_used(spec, n, d)
    opts = cal.canonical_options(code, n_used, d)
    if not cal.applies(spec, n_used, d, null, opts):
        return None
    start = time.monotonic()
    rows, t, ta = _draws(code, null, n, d, reps, seed)
    table = cal.table_for(code, null)
    q, b_cell, cells = table.quantiles(cal.key_rows(spec, n_used, d), d)
    p_tab = np.array([cal.table_survival(table, q, cells, d, float(v))[0] for v in t])
    out = {"n": n, "d": d, "test": code, "null": null, "rows": rows, "reps": reps,
           **size_fields(p_tab)}
    # agreement on null draws: leave-one-out Monte Carlo p-value from the other draws
    srt = np.sort(t)
    k = min(200, reps)
    ge = reps - np.searchsorted(srt, t[:k], side="left")  # includes itself
    p_mc = ge / reps  # (1 + #{others >= t}) / ((reps - 1) + 1)
    diff_null = np.abs(p_tab[:k] - p_mc)
    body = (p_mc >= 0.01) & (p_mc <= 0.5) | (p_tab[:k] >= 0.01) & (p_tab[:k] <= 0.5)
    out["agree_null_max"] = float(diff_null[body].max()) if body.any() else 0.0
    # agreement on the mild alternative
    pa_tab = np.array([cal.table_survival(table, q, cells, d, float(v))[0] for v in ta])
    pa_mc = (1 + (reps - np.searchsorted(srt, ta, side="left"))) / (reps + 1)
    sel = ((pa_mc >= 0.01) & (pa_mc <= 0.5)) | ((pa_tab >= 0.01) & (pa_tab <= 0.5))
    dif = np.abs(pa_tab - pa_mc)
    out["agree_alt_max"] = float(dif[sel].max()) if sel.any() else 0.0
    out["agree_alt_mean"] = float(dif[sel].mean()) if sel.any() else 0.0
    out["agree_alt_within_001"] = float(np.mean(dif[sel] <= 0.01)) if sel.any() else 1.0
    out["joint_below_001_mismatch"] = int(np.sum((pa_tab < 0.01) != (pa_mc < 0.01)))
    # where one p-value is below 0.01 and the other not, how far apart they are: a
    # disagreement about the 0.01 line within Monte Carlo noise of it, or a real one
    miss_null = (p_tab[:k] < 0.01) != (p_mc < 0.01)
    miss_alt = (pa_tab < 0.01) != (pa_mc < 0.01)
    out["joint_mismatch_null"] = int(np.sum(miss_null))
    out["mismatch_max_diff"] = float(max(diff_null[miss_null].max(initial=0.0),
                                         dif[miss_alt].max(initial=0.0)))
    out["alt"] = "N(0, 1.04^2 I)" if null == "standard" else "multivariate t(40)"
    out["seconds"] = round(time.monotonic() - start, 1)
    # Monte Carlo noise alone: the table's cells (B = b_cell, the smallest of the bracket)
    # and the fresh null (B = reps - 1) are two independent simulations, so at p = 0.5 their
    # p-values differ by up to 3 sqrt(0.25 (1/b_cell + 1/reps)) without any table error
    out["b_cell"] = b_cell
    out["noise_3sd"] = 3 * math.sqrt(0.25 * (1 / b_cell + 1 / reps))
    return out


def rescore(args) -> None:
    """Score the rows of ``--out`` again against the current packed table, from the draws
    cache (rows whose draws are not cached are kept as they are)."""
    path = OUT / f"{args.out}.csv"
    rows = list(csv.DictReader(path.open()))
    kept = 0
    rows = [{f: r.get(f, "") for f in FIELDS} for r in rows]
    for i, r in enumerate(rows):
        n, d, code, null, reps = int(r["n"]), int(r["d"]), r["test"], r["null"], int(r["reps"])
        seed = cal.cell_seed(code, null, n, d) ^ 0x5EED
        if not (DRAWS / f"{code}-{null}-n{n}-d{d}-r{reps}-s{seed}.npz").exists():
            kept += 1
            continue
        secs = r["seconds"]
        rows[i] = {**check_point(code, null, n, d, reps, seed), "seconds": secs}
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(rows)
    print(f"rescored {len(rows) - kept} of {len(rows)} rows ({kept} without cached draws)")


def _done(path: Path) -> set[tuple]:
    if not path.exists():
        return set()
    with path.open() as fh:
        return {(int(r["n"]), int(r["d"]), r["test"], r["null"]) for r in csv.DictReader(fh)}


def _points(arg: str) -> list[tuple[int, int]]:
    if not arg:
        return POINTS
    return [tuple(int(v) for v in p.split("x")) for p in arg.split(",")]


def run(args) -> None:
    from threadpoolctl import threadpool_limits

    path = OUT / f"{args.out}.csv"
    done = _done(path)
    new = not path.exists()
    fields = FIELDS if new else next(csv.reader(path.open()))  # a file made before a field
    with path.open("a", newline="") as fh, threadpool_limits(1):
        w = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        if new:
            w.writeheader()
        for n, d in _points(args.points):
            for code in DEFAULT_BATTERY:
                if code not in cal.SHIPPED_TESTS or (args.tests and code not in args.tests):
                    continue
                for null in get_spec(code).nulls:
                    if (n, d, code, null) in done:
                        continue
                    seed = cal.cell_seed(code, null, n, d) ^ 0x5EED
                    row = check_point(code, null, n, d, args.reps, seed)
                    if row is None:
                        print(f"({n}, {d}) {code}:{null}: not covered by the table", flush=True)
                        continue
                    w.writerow(row)
                    fh.flush()
                    print(f"({n}, {d}) {code}:{null}: size {row['rate_05']:.4f}/{row['rate_01']:.4f}"
                          f" agree alt max {row['agree_alt_max']:.4f} ({row['seconds']} s)", flush=True)


def verdict(args) -> None:
    path = OUT / "offgrid_verdict.csv"
    done = set()
    if path.exists():
        with path.open() as fh:
            done = {(int(r["n"]), int(r["d"]), r["null"]) for r in csv.DictReader(fh)}
    new = not path.exists()
    with path.open("a", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["n", "d", "null", "reps", "rate_05", "band_05",
                                           "within_05", "table_share", "seconds"])
        if new:
            w.writeheader()
        for n, d in _points(args.points):
            for null in ("both",):
                if (n, d, null) in done:
                    continue
                start = time.monotonic()
                rng = np.random.default_rng([n, d, 4242])
                rej, tab, tot = 0, 0, 0
                for _ in range(args.verdict_reps):
                    rep = assess(rng.standard_normal((n, d)), null=null)
                    rej += rep.verdict == "fail"
                    for r in rep.results:
                        tot += 1
                        tab += r.pvalue_method.method == "table"
                rate = rej / args.verdict_reps
                band = 3 * math.sqrt(0.05 * 0.95 / args.verdict_reps)
                w.writerow({"n": n, "d": d, "null": null, "reps": args.verdict_reps, "rate_05": rate,
                            "band_05": band, "within_05": rate <= 0.05 + band,
                            "table_share": tab / max(tot, 1),
                            "seconds": round(time.monotonic() - start, 1)})
                fh.flush()
                print(f"verdict ({n}, {d}) {null}: {rate:.4f} (table share {tab / max(tot, 1):.2f})",
                      flush=True)


def interp(args) -> None:
    from threadpoolctl import threadpool_limits

    spec = get_spec(args.test)
    for n, d in _points(args.points):
        rows = _rows_used(spec, n, d)
        for null in (args.null.split(",") if args.null else spec.nulls):
            opts = cal.canonical_options(args.test, rows, d)
            if not cal.applies(spec, rows, d, null, opts):
                print(f"({n}, {d}) {null}: not tabled (Monte Carlo)", flush=True)
                continue
            with threadpool_limits(1):
                t = _draw_statistics(spec, cal.sim_rows(spec, rows, d), d, null, opts, args.reps,
                                     4000 + n + d)
            t = np.abs(t) if spec.two_sided else t
            q, _, cells = cal.table_for(args.test, null).quantiles(cal.key_rows(spec, rows, d), d)
            p = np.array([cal.survival(float(v), q)[0] for v in t])
            p_emp = (args.reps - np.searchsorted(np.sort(t), t, side="left")) / args.reps
            body = ((p_emp >= 0.01) & (p_emp <= 0.5)) | ((p >= 0.01) & (p <= 0.5))
            dif = np.abs(p - p_emp)[body]
            print(f"({n}, {d}) {null} from {len(cells)} cells: size {np.mean(p <= 0.05):.4f} / "
                  f"{np.mean(p <= 0.01):.4f}, |p_table - p_emp| mean {dif.mean():.4f} max "
                  f"{dif.max():.4f}", flush=True)


def render(args) -> None:
    rows = list(csv.DictReader((OUT / f"{args.out}.csv").open()))
    lines = ["# Shipped null tables off the grid: size and agreement with fresh Monte Carlo", "",
             "Made by `python tests/calibration/validate.py run` then `render` (see its docstring).",
             "Each row: R fresh N(0, I) statistics at (n, d) off the table's grid, each with its",
             "shipped-table p-value. Band: 3 sqrt(alpha (1 - alpha) / R). Agreement: |p_table -",
             "p_MC| where either is in [0.01, 0.5], p_MC the fresh Monte Carlo p-value from the",
             "same R draws (null: 200 of the draws, leave-one-out; alternative: 200 samples).", "",
             "| n | d | test | null | rows | R | size 0.05 | size 0.01 | in band | agree (null) max |"
             " agree (alt) max / mean | share alt within 0.01 | <0.01 mismatches (of 200) |"
             " MC noise 3 sd (B cell) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    inside = 0
    for r in rows:
        ok = _in_band(r)
        inside += ok
        lines.append(
            f"| {r['n']} | {r['d']} | {r['test']} | {r['null']} | {r['rows']} | {r['reps']} | "
            f"{float(r['rate_05']):.4f} | {float(r['rate_01']):.4f} | {'yes' if ok else '**no**'} | "
            f"{float(r['agree_null_max']):.4f} | {float(r['agree_alt_max']):.4f} / "
            f"{float(r['agree_alt_mean']):.4f} | {float(r['agree_alt_within_001']):.2f} | "
            f"{r['joint_below_001_mismatch']} | "
            + (f"{float(r['noise_3sd']):.4f} ({r['b_cell']}) |" if r.get("noise_3sd") else "- |"))
    lines += ["", f"{inside} of {len(rows)} rows within the band at both alphas. Where the "
              "table does not apply, Monte Carlo answers and there is no row: Henze-Zirkler "
              "up to d = 256 between d more than 30% apart (15-20% beyond d = 128), between "
              "grid n where the lower one is below 1.2d, under the composite null in d where "
              "n < 2d and beyond d = 200 between rows more than 25% apart; beyond d = 256 "
              "between tabled d more than 1.5 apart or rows more than 25% apart "
              "(gausstest.calibration._HIGH_D); Mardia's skewness and energy under the "
              "composite null from cells below 1.35d / 1.3d (_NEAR_D_LIMIT); coverage below "
              "100 rows."]
    vpath = OUT / "offgrid_verdict.csv"
    if vpath.exists() and args.out.startswith("offgrid_size"):
        lines += ["", "## The verdict (assess, null = 'both') on N(0, I) samples", "",
                  "| n | d | R | rejection rate | band | at or below alpha + band | share of p-values from tables |",
                  "|---|---|---|---|---|---|---|"]
        for r in csv.DictReader(vpath.open()):
            lines.append(f"| {r['n']} | {r['d']} | {r['reps']} | {float(r['rate_05']):.4f} | "
                         f"{float(r['band_05']):.4f} | {r['within_05']} | {float(r['table_share']):.2f} |")
    (OUT / f"{args.out}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-6:]))


def render_agreement(args) -> None:
    """Agreement-only table of a ``run`` made with a large ``--reps`` (a precise fresh
    Monte Carlo reference): sizes are left out, their binomial band being narrower there
    than the cells' own Monte Carlo error."""
    rows = list(csv.DictReader((OUT / f"{args.out}.csv").open()))
    reps = sorted({int(r["reps"]) for r in rows})
    lines = [f"# Agreement with a precise fresh Monte Carlo reference (R = {reps})", "",
             "Made by `python tests/calibration/validate.py run --reps R --points ... --out NAME`,",
             "then `agreement --out NAME` (`rescore --out NAME` first, after a table is repacked).",
             "Same computation as `offgrid_agreement.md`: |p_table - p_MC| where either is in",
             "[0.01, 0.5], on 200 null samples (leave-one-out) and 200 samples of a mild",
             "alternative. With R this large the fresh Monte Carlo p-value (B = R - 1) has sd",
             "0.0016 at p = 0.5 (B = 99,999) instead of 0.005 (B = 9999), so what is left is",
             "mostly the table's own error. `B cell`: the smallest B among the table cells the",
             "p-value is read from. `<0.01 mismatches`: samples where one p-value is below 0.01",
             "and the other not (null / alternative), and the largest |p_table - p_MC| among",
             "them. Sizes are not judged here: see `offgrid_size.md`.", "",
             "| n | d | test | null | B cell | agree (null) max | agree (alt) max / mean |"
             " share alt within 0.01 | <0.01 mismatches (null / alt) | their largest difference |"
             " max <= 0.01 |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    good = 0
    for r in rows:
        a, b = float(r["agree_null_max"]), float(r["agree_alt_max"])
        ok = a <= 0.01 and b <= 0.01
        good += ok
        miss = r.get("joint_mismatch_null") or "-"
        gap = f"{float(r['mismatch_max_diff']):.4f}" if r.get("mismatch_max_diff") else "-"
        lines.append(f"| {r['n']} | {r['d']} | {r['test']} | {r['null']} | {r.get('b_cell', '-')} | "
                     f"{a:.4f} | {b:.4f} / {float(r['agree_alt_mean']):.4f} | "
                     f"{float(r['agree_alt_within_001']):.2f} | {miss} / "
                     f"{r['joint_below_001_mismatch']} | {gap} | {'yes' if ok else '**no**'} |")
    lines += ["", f"{good} of {len(rows)} rows have their largest difference at most 0.01 on both "
              "the null and the alternative samples."]
    if all(r.get("mismatch_max_diff") for r in rows):
        miss_n = sum(int(r["joint_mismatch_null"]) for r in rows)
        miss_a = sum(int(r["joint_below_001_mismatch"]) for r in rows)
        gap = max(float(r["mismatch_max_diff"]) for r in rows)
        lines.append(f"One p-value below 0.01 and the other not: {miss_n} of {200 * len(rows)} null "
                     f"samples and {miss_a} of {200 * len(rows)} alternative samples, never more "
                     f"than {gap:.4f} apart (p-values on either side of the 0.01 line).")
    (OUT / f"{args.out}.md").write_text("\n".join(lines) + "\n")
    print(lines[-1])


LARGE_FIELDS = ["n", "d", "test", "null", "source", "rows", "reps", "rate_05", "rate_01",
                "band_05", "band_01", "within_05", "within_01", "ks_p", "seconds"]


def largen(args) -> None:
    """Size at n above the rows a capped null is simulated at (see the module docstring)."""
    from scipy import stats as sstats

    from gausstest.pvalues import resolve_method

    path = OUT / f"{args.out}.csv"
    done = _done(path)
    new = not path.exists()
    with path.open("a", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=LARGE_FIELDS)
        if new:
            w.writeheader()
        for n, d in _points(args.points):
            for code in args.tests:
                spec = get_spec(code)
                for null in spec.nulls:
                    if args.null and null != args.null or (n, d, code, null) in done:
                        continue
                    n_used = _rows_used(spec, n, d)
                    opts = cal.canonical_options(code, n_used, d)
                    start = time.monotonic()
                    seed = cal.cell_seed(code, null, n, d) + 7
                    t = _draw_statistics(spec, n_used, d, null, opts, args.reps, seed)
                    method = resolve_method("auto")
                    ps, source = [], None
                    for v in t:
                        p, info = method.compute(spec, float(v), n_used, d, null, opts, seed)
                        ps.append(p)
                        source = source or info.method
                        if info.method == "monte_carlo":
                            break
                    if source == "monte_carlo":
                        print(f"({n}, {d}) {code} {null}: Monte Carlo at n, not checked", flush=True)
                        continue
                    p = np.array(ps)
                    row = {"n": n, "d": d, "test": code, "null": null, "source": source,
                           "rows": cal.sim_rows(spec, n_used, d), "reps": args.reps,
                           "ks_p": float(sstats.kstest(p, "uniform").pvalue),
                           "seconds": round(time.monotonic() - start, 1)}
                    row.update(size_fields(p))
                    w.writerow(row)
                    fh.flush()
                    print(row, flush=True)
    render_largen(args)


def render_largen(args) -> None:
    rows = list(csv.DictReader((OUT / f"{args.out}.csv").open()))
    lines = ["# Size above the rows a capped null is simulated at", "",
             "Made by `python tests/calibration/validate.py largen --tests ... --points ... "
             f"--out {args.out}` (see its docstring).",
             "Each row: R N(0, I) statistics drawn at the full n (the null of these tests is",
             "simulated at fewer rows, `rows`, or given by a law), each with the p-value",
             "`method=\"auto\"` gives it (`source`: `table` at `rows`, or `asymptotic` for a law).",
             "Band: 3 sqrt(alpha (1 - alpha) / R); KS: p-values against uniform.", "",
             "| n | d | test | null | source | rows | R | size 0.05 | size 0.01 | in band | KS p |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    inside = sum(_in_band(r) for r in rows)
    for r in rows:
        ok = _in_band(r)
        lines.append(f"| {r['n']} | {r['d']} | {r['test']} | {r['null']} | {r['source']} | "
                     f"{r['rows']} | {r['reps']} | {float(r['rate_05']):.4f} | "
                     f"{float(r['rate_01']):.4f} | {'yes' if ok else '**no**'} | "
                     f"{float(r['ks_p']):.2g} |")
    lines += ["", f"{inside} of {len(rows)} rows within the band at both alphas."]
    (OUT / f"{args.out}.md").write_text("\n".join(lines) + "\n")
    print(lines[-1])


def reference_noise(args) -> None:
    """How a B = 9999 reference judges an (almost) exact law: from each row's cached draws
    of ``--out``, the 200 alternative samples' p-values against 9999 of the null draws (the
    issue's reference) are compared with their p-values against the other 89,801 draws
    (a law whose Monte Carlo sd is a third of a B = 10,000 cell's) and against the table,
    with the same rule: the largest difference where either is in [0.01, 0.5]. Appended
    to ``--out``.md."""
    rows = list(csv.DictReader((OUT / f"{args.out}.csv").open()))
    law_max, tab_max = [], []
    for r in rows:
        n, d, code, null, reps = int(r["n"]), int(r["d"]), r["test"], r["null"], int(r["reps"])
        seed = cal.cell_seed(code, null, n, d) ^ 0x5EED
        _, t, ta = _draws(code, null, n, d, reps, seed)
        ref, rest = np.sort(t[200:10_199]), np.sort(t[10_199:])  # the null samples are t[:200]
        p_ref = (1 + ref.size - np.searchsorted(ref, ta, side="left")) / (ref.size + 1)
        p_law = (rest.size - np.searchsorted(rest, ta, side="left")) / rest.size
        spec = get_spec(code)
        table = cal.table_for(code, null)
        q, _, cells = table.quantiles(cal.key_rows(spec, _rows_used(spec, n, d), d), d)
        p_tab = np.array([cal.table_survival(table, q, cells, d, float(v))[0] for v in ta])
        for other, out in ((p_law, law_max), (p_tab, tab_max)):
            sel = ((p_ref >= 0.01) & (p_ref <= 0.5)) | ((other >= 0.01) & (other <= 0.5))
            out.append(float(np.abs(p_ref - other)[sel].max(initial=0.0)))
    law, tab = np.array(law_max), np.array(tab_max)
    text = (f"\n## The issue's B = 9999 reference, judged on a near-exact law\n\n"
            f"`python tests/calibration/validate.py refnoise --out {args.out}` (from the cached "
            "draws): the 200 alternative samples of each row get a p-value from 9999 of its null "
            "draws (the issue's reference), from the other 89,801 (a near-exact law) and from the "
            "table. The largest difference where either is in [0.01, 0.5] exceeds 0.01 for the "
            f"near-exact law in {int((law > 0.01).sum())} of {law.size} rows (largest "
            f"{law.max():.4f}, median {np.median(law):.4f}) and for the table in "
            f"{int((tab > 0.01).sum())} (largest {tab.max():.4f}, median {np.median(tab):.4f}): "
            "at B = 9999 the check measures its reference's noise, hence the B = 99,999 "
            "reference above.\n")
    md = OUT / f"{args.out}.md"
    body = md.read_text().split("\n## The issue's B = 9999 reference")[0].rstrip("\n") + "\n"
    md.write_text(body + text)
    print(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["run", "verdict", "render", "agreement", "interp", "largen",
                                        "rescore", "refnoise"])
    ap.add_argument("--test", default="henze_zirkler", help="interp: the test")
    ap.add_argument("--null", default="", help="interp: these nulls only (default: all)")
    ap.add_argument("--tests", type=lambda v: v.split(","), default=[],
                    help="run: these tests only (comma-separated; default: every shipped one)")
    ap.add_argument("--reps", type=int, default=5000)
    ap.add_argument("--verdict-reps", type=int, default=1000)
    ap.add_argument("--points", default="")
    ap.add_argument("--out", default="offgrid_size",
                    help="stem of the CSV (and rendered .md) under tests/size/")
    args = ap.parse_args()
    {"run": run, "verdict": verdict, "render": render, "agreement": render_agreement,
     "interp": interp, "largen": largen, "rescore": rescore,
     "refnoise": reference_noise}[args.command](args)


if __name__ == "__main__":
    main()
