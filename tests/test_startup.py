"""Fast start: the CLI's ``tests`` and ``--help`` must not import the heavy modules
(scipy.special, scipy.stats, scipy.integrate, statsmodels, pandas); they load on first
use.
Checked by module presence in a fresh interpreter, never by wall-clock time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("scipy.special", "scipy.stats", "scipy.integrate", "statsmodels", "pandas")

PROBE = """
import sys, io, contextlib
from gausstest.cli import main
buf = io.StringIO()
with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
    code = main({argv!r})
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print(code, ",".join(heavy) or "-", len(buf.getvalue().splitlines()))
"""


@pytest.mark.parametrize("argv", [["tests"], ["--help"], ["report", "--help"]])
def test_cli_start_imports_no_heavy_module(argv):
    out = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv, heavy=HEAVY)],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    code, heavy, lines = int(out[0]), out[1], int(out[2])
    assert code == 0
    assert heavy == "-", f"gausstest {' '.join(argv)} imported {heavy}"
    assert lines >= 5  # it printed the listing / the help


def test_heavy_modules_load_on_first_use():
    probe = ("import sys, numpy as np, gausstest as gt\n"
             "assert 'scipy.stats' not in sys.modules\n"
             "r = gt.marginals(np.random.default_rng(0).standard_normal((6000, 3)), null='gaussian',\n"
             "                 correction='fdr_bh')\n"
             "print('statsmodels.stats.multitest' in sys.modules, 0 < r.pvalue <= 1)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["True", "True"]
