"""Size beyond the tables' last d (512), on R fresh N(0, I) samples per point. Seeded; one
(point, test) takes 0.2-3 minutes at R = 1000. Prints Markdown rows (band 3 sqrt(a (1 - a) / R);
KS: the largest gap between the p-values' empirical CDF and the uniform one, against its
own 1% critical value 1.63 / sqrt(R)).

    python tests/calibration/beyond_last_d.py [R] [1100x800,1500x700,...] [--tests a:null,...]

What is checked, by test:
* ``kurtosis`` (both nulls): Mardia's kurtosis by its normal law with exact null moments
  (whitened radii drawn exactly by gausstest.pvalues.whitened_radii; standard-null radii
  are chi2(d), iid);
* ``radii:gaussian``, ``energy:standard``, ``mardia_skewness:gaussian``,
  ``energy:gaussian``: the shipped table read in its last column
  (gausstest.calibration._BEYOND), the statistics drawn by the Monte Carlo sampler
  itself (gausstest.pvalues, whitened samples or their Gram matrices);
* ``mardia_skewness:standard``: its large-n law given the radii
  (gausstest.moments._skew_standard_sf).
"""
import sys
import time

import numpy as np

from gausstest import calibration as C
from gausstest.moments import KURTOSIS_MC, _kurt_asymptotic, _skew_standard_sf
from gausstest.pvalues import _draw_statistics_unlimited, whitened_radii
from gausstest.registry import get_spec

DEFAULT_POINTS = "1100x800,1500x700,2000x1000"
DEFAULT_TESTS = "kurtosis,radii:gaussian"


def _row(n, d, name, p, r, seconds):
    band5, band1 = 3 * np.sqrt(0.05 * 0.95 / r), 3 * np.sqrt(0.01 * 0.99 / r)
    s5, s1 = np.mean(p <= 0.05), np.mean(p <= 0.01)
    ks = float(np.max(np.abs(np.sort(p) - (np.arange(r) + 0.5) / r)) + 0.5 / r)
    ok = abs(s5 - 0.05) <= band5 and abs(s1 - 0.01) <= band1 and ks <= 1.63 / np.sqrt(r)
    print(f"| ({n}, {d}) | {name} | {r} | {s5:.4f} | {s1:.4f} | {ks:.3f} | "
          f"{'yes' if ok else 'NO'} | {seconds:.0f} s |", flush=True)


def kurtosis(n, d, r):
    rng = np.random.default_rng([n, d, 512])
    r2 = np.concatenate([whitened_radii(n, d, 50, rng) for _ in range(-(-r // 50))])[:r]
    kz = KURTOSIS_MC.radial_kernel(r2, d, null="gaussian")
    yield "kurtosis gaussian", np.array([_kurt_asymptotic(z, n, d, "gaussian", {})[0] for z in kz])
    ks = KURTOSIS_MC.radial_kernel(rng.chisquare(d, size=(r, n)), d, null="standard")
    yield "kurtosis standard", np.array([_kurt_asymptotic(z, n, d, "standard", {})[0] for z in ks])


def tabled(code, null, n, d, r):
    spec = get_spec(code)
    limit = spec.subsample_above(d) if spec.subsample_above is not None else None
    rows = min(n, limit) if limit else n
    key = C.key_rows(spec, rows, d)
    opts = C.canonical_options(code, key, d)
    if not C.applies(spec, rows, d, null, opts):
        print(f"| ({n}, {d}) | {code} {null} | not covered by the table |", flush=True)
        return
    q, _, cells = C.table_for(code, null).quantiles(key, d)
    stats = _draw_statistics_unlimited(spec, C.sim_rows(spec, rows, d), d, null, opts, r,
                                       C.cell_seed(code, null, n, d) + 911)
    yield f"{code} {null} (table, cells {cells})", np.array([C.survival(float(t), q)[0]
                                                             for t in stats])


def skew_standard(n, d, r):
    from gausstest.moments import _b1

    rng = np.random.default_rng([n, d, 77])
    p = np.array([_skew_standard_sf(n * _b1(rng.standard_normal((n, d))) / 6.0, n, d)
                  for _ in range(r)])
    yield "mardia_skewness standard (law given the radii)", p


def main(argv):
    tests = DEFAULT_TESTS
    if "--tests" in argv:
        k = argv.index("--tests")
        tests = argv[k + 1]
        argv = argv[:k] + argv[k + 2:]
    r = int(argv[1]) if len(argv) > 1 else 1000
    points = [tuple(int(v) for v in p.split("x"))
              for p in (argv[2] if len(argv) > 2 else DEFAULT_POINTS).split(",")]
    print("| (n, d) | test | R | size 0.05 | size 0.01 | KS | in band | time |")
    print("|---|---|---|---|---|---|---|---|")
    for n, d in points:
        for test in tests.split(","):
            t0 = time.time()
            if test == "kurtosis":
                runs = kurtosis(n, d, r)
            elif test == "mardia_skewness:standard":
                runs = skew_standard(n, d, r)
            else:
                code, null = test.split(":")
                runs = tabled(code, null, n, d, r)
            for name, p in runs:
                _row(n, d, name, p, r, time.time() - t0)


if __name__ == "__main__":
    main(sys.argv)
