"""Size beyond the tables' last d (512): Mardia's kurtosis (its normal law with exact null
moments, both nulls) and the radii test's composite null read at d = 512
(gausstest.calibration.table_d), on R fresh N(0, I) samples per point (whitened radii drawn
exactly by gausstest.pvalues.whitened_radii; standard-null radii are chi2(d), iid). Seeded;
one point takes 0.5-3 minutes at R = 1000. Prints Markdown rows (band 3 sqrt(a (1 - a) / R)).

    python tests/calibration/beyond_last_d.py [R] [1100x800,1500x700,...]
"""
import sys, time
import numpy as np
from gausstest import calibration as C
from gausstest.registry import get_spec
from gausstest.moments import KURTOSIS_MC, _kurt_asymptotic
from gausstest.radial import _RADII_PLAIN
from gausstest.pvalues import whitened_radii

R = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
radii = get_spec("radii")
for n, d in [tuple(int(v) for v in p.split("x")) for p in (sys.argv[2].split(",") if len(sys.argv) > 2 else ["1100x800", "1500x700", "2000x1000"])]:
    t0 = time.time()
    rng = np.random.default_rng([n, d, 512])
    r2 = np.concatenate([whitened_radii(n, d, 50, rng) for _ in range(R // 50)])
    kz = KURTOSIS_MC.radial_kernel(r2, d, null="gaussian")
    pk = np.array([_kurt_asymptotic(z, n, d, "gaussian", {})[0] for z in kz])
    ks = KURTOSIS_MC.radial_kernel(rng.chisquare(d, size=(R, n)), d, null="standard")
    pks = np.array([_kurt_asymptotic(z, n, d, "standard", {})[0] for z in ks])
    ad = _RADII_PLAIN.radial_kernel(r2, d, null="gaussian")
    table = C.table_for("radii", "gaussian")
    q, _, cells = table.quantiles(C.key_rows(radii, n, d), C.table_d("radii", "gaussian", n, d))
    pr = np.array([C.survival(float(a), q)[0] for a in ad])
    band5, band1 = 3 * np.sqrt(0.05 * 0.95 / R), 3 * np.sqrt(0.01 * 0.99 / R)
    for name, p in (("kurtosis gaussian", pk), ("kurtosis standard", pks), ("radii gaussian", pr)):
        s5, s1 = np.mean(p <= 0.05), np.mean(p <= 0.01)
        ok = abs(s5 - 0.05) <= band5 and abs(s1 - 0.01) <= band1
        print(f"| ({n}, {d}) | {name} | {R} | {s5:.4f} | {s1:.4f} | {'yes' if ok else 'NO'} |", flush=True)
    print(f"  ({time.time() - t0:.0f} s)", file=sys.stderr)
