"""Property-based fuzzing of the CLI and :func:`gausstest.assess` (issue 10).

Random shapes, dtypes, values (extremes included), NaN/inf patterns and malformed
files: every outcome is exit 0, 1 or 2 with no traceback on stderr (every stderr line
is a one-line ``gausstest: ...`` message), an input file is unchanged afterwards, and
the API returns a Report or raises an :class:`~gausstest.InputError`.

The default run (CI) draws ``GAUSSTEST_FUZZ_EXAMPLES`` (default 20) examples per
property, well under a minute. A long local run::

    GAUSSTEST_FUZZ_EXAMPLES=600 python -m pytest tests/test_fuzz.py -q
    GAUSSTEST_FUZZ_EXAMPLES=600 GAUSSTEST_FUZZ_RANDOM=1 python -m pytest tests/test_fuzz.py -q \
        --hypothesis-seed=12345
"""

from __future__ import annotations

import contextlib
import hashlib
import io as _io
import os
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import gausstest as gt  # noqa: E402
from gausstest.cli import main  # noqa: E402

EXAMPLES = int(os.environ.get("GAUSSTEST_FUZZ_EXAMPLES", "20"))
#: CI draws the same examples every run; GAUSSTEST_FUZZ_RANDOM=1 (with pytest's
#: --hypothesis-seed=N) explores new ones
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                derandomize=not os.environ.get("GAUSSTEST_FUZZ_RANDOM"),
                suppress_health_check=list(HealthCheck))
#: cheap tests that still cover both nulls, Monte Carlo and exact p-values
TESTS = "prior_match,radii,mardia_kurtosis"

EXTREMES = [0.0, -0.0, 1.0, -1.0, 1e-300, 5e-324, 1e-30, 3e6, 1e18, 1e100, 1e150, 1e200,
            1e300, 1.7e308, -1.7e308, np.nan, np.inf, -np.inf]
FINITE_EXTREMES = [v for v in EXTREMES if np.isfinite(v)]


@st.composite
def arrays(draw):
    """(array, kind): mostly (n, d) floats; sometimes other ranks, dtypes and extremes."""
    ndim = draw(st.sampled_from([2] * 16 + [0, 1, 3]))
    if ndim == 2:
        shape = (draw(st.integers(0, 40)), draw(st.integers(0, 5)))
    else:
        shape = tuple(draw(st.integers(0, 6)) for _ in range(ndim))
    size = int(np.prod(shape)) if shape else 1
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    scale = draw(st.sampled_from([1.0, 1.0, 1.0, 0.05, 3.0, 1e-200, 1e100, 1e200]))
    arr = rng.standard_normal(size) * scale
    if size and draw(st.booleans()):
        k = draw(st.integers(1, min(size, 4)))
        where = rng.choice(size, k, replace=False)
        pool = EXTREMES if draw(st.integers(0, 2)) == 0 else FINITE_EXTREMES
        arr[where] = [draw(st.sampled_from(pool)) for _ in range(k)]
    if size and draw(st.integers(0, 9)) == 0:
        arr[:] = draw(st.sampled_from([0.0, 1.0, 1e300]))  # constant
    if len(shape) == 2 and shape[1] > 1 and draw(st.integers(0, 9)) == 0:
        arr = arr.reshape(shape)
        arr[:, -1] = 2 * arr[:, 0]  # collinear
    arr = arr.reshape(shape)
    dtype = draw(st.sampled_from(["float64"] * 6 + ["float32", "float16", "int64", "int8",
                                                     "bool", "complex128", "uint8"]))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if dtype in ("int64", "int8", "uint8", "bool"):
            arr = np.nan_to_num(arr, nan=0, posinf=1e6, neginf=-1e6).clip(-1e6, 1e6)
        arr = arr.astype(dtype)
    return arr


def _write_array(folder: Path, arr: np.ndarray, fmt: str) -> Path:
    if fmt == "npy":
        p = folder / "z.npy"
        np.save(p, arr)
    elif fmt == "npz":
        p = folder / "z.npz"
        np.savez_compressed(p, z=arr)
    else:
        p = folder / f"z.{fmt}"
        if arr.ndim == 2:
            flat = arr
        elif arr.size == 0:
            flat = np.empty((0, 1), dtype=arr.dtype)
        else:
            flat = arr.reshape(arr.shape[0] if arr.ndim else 1, -1)
        delim = "," if fmt == "csv" else " "
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np.savetxt(p, flat if flat.dtype.kind != "c" else flat.real, delimiter=delim,
                       header="a,b" if fmt == "csv" else "", comments="")
    return p


@st.composite
def malformed(draw, folder: Path):
    """A file that is broken in one of many ways."""
    kind = draw(st.sampled_from(["bytes", "truncated_npy", "npz_junk", "csv_text", "suffix",
                                 "npz_member", "npy_header"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    good = _io.BytesIO()
    np.save(good, rng.standard_normal((20, 3)))
    raw = good.getvalue()
    if kind == "bytes":
        suffix = draw(st.sampled_from([".npy", ".npz", ".csv", ".txt"]))
        p = folder / f"z{suffix}"
        p.write_bytes(draw(st.binary(max_size=300)))
    elif kind == "truncated_npy":
        p = folder / "z.npy"
        p.write_bytes(raw[:draw(st.integers(0, len(raw) - 1))])
    elif kind == "npy_header":
        p = folder / "z.npy"
        at = draw(st.integers(8, 120))
        b = bytearray(raw)
        b[at] = draw(st.integers(0, 255))
        p.write_bytes(bytes(b))
    elif kind == "npz_junk":
        p = folder / "z.npz"
        with zipfile.ZipFile(p, "w") as zf:
            zf.writestr(draw(st.sampled_from(["z.npy", "z", "a/b.npy"])),
                        draw(st.binary(max_size=200)))
    elif kind == "npz_member":
        p = folder / "z.npz"
        with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr("z.npy", raw)
        b = bytearray(p.read_bytes())
        at = draw(st.integers(0, len(b) - 1))
        b[at] ^= 0xFF
        p.write_bytes(bytes(b))
    elif kind == "csv_text":
        p = folder / "z.csv"
        p.write_text(draw(st.text(alphabet="0123456789.,;-e \n#xnaif\t", max_size=200)))
    else:
        p = folder / draw(st.sampled_from(["z.pkl", "z.parquet", "z", "z.NPY"]))
        p.write_bytes(raw)
    return p


def _digest(p: Path) -> str | None:
    try:
        return hashlib.sha256(p.read_bytes()).hexdigest()
    except OSError:
        return None


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = _io.StringIO(), _io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _check_outcome(code: int, err: str) -> None:
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err, err
    for line in err.strip().splitlines():
        assert line.startswith("gausstest: "), err
    if code == 2:
        assert err.count("gausstest: error: ") >= 1, err


def _options(draw) -> list[str]:
    args = ["--select", TESTS, "--null", draw(st.sampled_from(["standard", "gaussian", "both"]))]
    if draw(st.booleans()):
        args += ["--nan-policy", draw(st.sampled_from(["raise", "omit"]))]
    return args


@FUZZ
@given(data=st.data(), arr=arrays(), fmt=st.sampled_from(["npy", "npy", "npz", "csv", "txt"]))
def test_cli_on_random_arrays(data, arr, fmt):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        p = _write_array(folder, arr, fmt)
        before = _digest(p)
        command = data.draw(st.sampled_from(["check", "report"]))
        argv = [command, str(p), *_options(data.draw)]
        if command == "report" and data.draw(st.booleans()):
            argv += ["--format", data.draw(st.sampled_from(["json", "markdown", "html"])),
                     "-o", str(folder / "out.txt")]
        code, _, err = _run(argv)
        _check_outcome(code, err)
        assert _digest(p) == before


@FUZZ
@given(data=st.data())
def test_cli_on_malformed_files(data):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        p = data.draw(malformed(folder))
        before = _digest(p)
        argv = ["check", str(p), *_options(data.draw)]
        if data.draw(st.booleans()):
            argv += ["--key", data.draw(st.sampled_from(["z", "mu", "a/b"]))]
        code, _, err = _run(argv)
        _check_outcome(code, err)
        assert _digest(p) == before


@FUZZ
@given(data=st.data())
def test_cli_on_random_options(data):
    """Option strings drawn from a vocabulary of valid and invalid pieces."""
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "z.npy"
        np.save(p, np.random.default_rng(0).standard_normal((30, 2)))
        before = _digest(p)
        pieces = st.sampled_from([
            "--select", "radii", "prior_match", "", "radii:gaussian", "nope", "--ignore",
            "--null", "gaussian", "standard", "both", "--alpha", "0.05", "2", "nan", "-1",
            "--seed", "7", "-3", "x", "--weights", "equal", "radii=2", "radii=-1", "=",
            "--key", "z", "--format", "json", "--output", str(p), "--max-npz-mb", "0", "1e9",
            str(p.parent / ("r" * 300)), str(p.parent), str(p.parent / "no" / "r.txt"),
            "--nan-policy", "omit", "--json", "-o", "--example", "tests", "check", "report",
            "x" * 300, "x" * 300 + ".npz:mu", str(p) + ":z", "--quiet", "--exit-zero",
        ])
        argv = [data.draw(st.sampled_from(["check", "report", "compare"])), str(p)]
        argv += data.draw(st.lists(pieces, max_size=8))
        if "--example" in argv:
            argv.remove("--example")
        cwd = os.getcwd()
        os.chdir(tmp)  # a relative --output (e.g. "-o 0") lands in the temporary folder
        try:
            code, _, err = _run(argv)
        finally:
            os.chdir(cwd)
        _check_outcome(code, err)
        assert _digest(p) == before


@FUZZ
@given(arr=arrays(), null=st.sampled_from(["standard", "gaussian", "both"]),
       nan_policy=st.sampled_from(["raise", "omit"]))
def test_assess_returns_a_report_or_an_input_error(arr, null, nan_policy):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            rep = gt.assess(arr, null=null, tests=TESTS.split(","), nan_policy=nan_policy)
        except gt.InputError as exc:
            assert str(exc) and "\n" not in str(exc)
            return
    assert rep.verdict in ("pass", "fail")
    assert all(0 < r.pvalue <= 1 for r in rep.results)
    rep.to_json()


@FUZZ
@given(data=st.data())
def test_cli_on_random_configs(data):
    """Malformed [tool.gausstest] tables: exit 2 with one line (the validated loader of
    issue 12; skipped until it is merged)."""
    pytest.importorskip("gausstest.config")
    values = st.sampled_from(['3', '[1, 2]', '"radii"', '1.7', 'true', '"x"', '{a = 1}', '[]',
                              '0.01', '"standard"', '-1', '"equal"', '["radii"]'])
    keys = st.sampled_from(["alpha", "null", "select", "ignore", "seed", "weights",
                            "nan_policy", "bogus"])
    lines = data.draw(st.lists(st.tuples(keys, values), max_size=4, unique_by=lambda t: t[0]))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "pyproject.toml").write_text(
            "[tool.gausstest]\n" + "".join(f"{k} = {v}\n" for k, v in lines))
        p = folder / "z.npy"
        np.save(p, np.random.default_rng(0).standard_normal((30, 2)))
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            code, _, err = _run(["check", str(p), "--select", "radii"])
        finally:
            os.chdir(cwd)
        _check_outcome(code, err)


@FUZZ
@given(tests=st.one_of(st.none(), st.text(max_size=12),
                       st.lists(st.sampled_from(["radii", "prior_match", "radii:gaussian", "nope",
                                                 "", "radii:x", "mean_zero"]), max_size=3),
                       st.lists(st.integers(), max_size=2)),
       ignore=st.lists(st.sampled_from(["radii", "prior_match", "zz"]), max_size=2),
       null=st.sampled_from(["standard", "gaussian", "both", "x", ""]),
       alpha=st.sampled_from([0.05, 0.0, 1.0, -1.0, float("nan"), 0.5]),
       weights=st.sampled_from([None, "equal", "x", {"radii": 2}, {"radii": -1}, {"nope": 1}]))
def test_assess_options_raise_value_errors_only(tests, ignore, null, alpha, weights):
    """Bad options are a ValueError (an InputError when they concern the selection or the
    data), never a TypeError, AttributeError or IndexError."""
    z = np.random.default_rng(0).standard_normal((30, 2))
    try:
        rep = gt.assess(z, tests=tests, ignore=ignore, null=null, alpha=alpha, weights=weights)
    except ValueError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert rep.verdict in ("pass", "fail")
