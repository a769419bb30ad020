"""The command line: exit codes 0 pass / 1 fail / 2 bad input, one-line errors, formats."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from gausstest import example_path
from gausstest.cli import main

FAST = ["--select", "prior_moments,mardia_kurtosis,radii"]


@pytest.fixture
def good(tmp_path):
    z = np.random.default_rng(5).standard_normal((300, 3))
    p = tmp_path / "good.npy"
    np.save(p, z)
    return p


@pytest.fixture
def bad(tmp_path):
    z = np.random.default_rng(5).standard_normal((300, 3))
    z[:, 1] *= 0.05
    p = tmp_path / "collapsed.npy"
    np.save(p, z)
    return p


def _one_line_error(err: str) -> None:
    assert err.startswith("gausstest: error: ")
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


class TestCheck:
    def test_pass_exit_0(self, good, capsys):
        assert main(["check", str(good), *FAST]) == 0
        assert "PASS" in capsys.readouterr().out

    def test_fail_exit_1_with_reason(self, bad, capsys):
        assert main(["check", str(bad), *FAST]) == 1
        out = capsys.readouterr().out
        assert "FAIL" in out and "dimension 1" in out and "collapsed" in out

    def test_worst_exit_over_inputs(self, good, bad, tmp_path, capsys):
        assert main(["check", str(good), str(bad), *FAST]) == 1
        assert main(["check", str(good), str(tmp_path / "missing.npy"), *FAST]) == 2

    def test_json(self, bad, capsys):
        assert main(["check", str(bad), "--json", *FAST]) == 1
        doc = json.loads(capsys.readouterr().out)
        assert doc["verdict"] == "fail"

    def test_pyproject_thresholds(self, good, tmp_path, monkeypatch, capsys):
        (tmp_path / "pyproject.toml").write_text(
            '[tool.gausstest]\nalpha = 0.01\nnull = "standard"\nselect = ["radii"]\n')
        monkeypatch.chdir(tmp_path)
        assert main(["check", str(good), "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["alpha"] == 0.01 and doc["null"] == "standard"
        assert [r["test"] for r in doc["results"]] == ["radii"]
        # a flag wins over the file
        assert main(["check", str(good), "--json", "--alpha", "0.2"]) in (0, 1)
        assert json.loads(capsys.readouterr().out)["alpha"] == 0.2

    def test_a_selection_from_the_file_that_runs_nothing_names_the_file(
            self, good, tmp_path, monkeypatch, capsys):
        # the message had named --null and --select, which the user had not given
        (tmp_path / "pyproject.toml").write_text(
            '[tool.gausstest]\nnull = "gaussian"\nselect = ["coverage"]\n')
        monkeypatch.chdir(tmp_path)
        assert main(["report", str(good)]) == 2
        err = capsys.readouterr().err
        _one_line_error(err)
        assert "[tool.gausstest] select, null; edit it there or override it with --select, --null" in err
        assert "pyproject.toml" in err
        # given on the command line, the flags are named alone (and a file key that plays
        # no part in it is not blamed)
        (tmp_path / "pyproject.toml").write_text('[tool.gausstest]\nignore = ["mmd"]\n')
        assert main(["report", str(good), "--null", "gaussian", "--select", "coverage"]) == 2
        err = capsys.readouterr().err
        _one_line_error(err)
        assert "[tool.gausstest]" not in err

    def test_two_file_keys_that_empty_the_selection_together_are_named(
            self, good, tmp_path, monkeypatch, capsys):
        (tmp_path / "pyproject.toml").write_text(
            '[tool.gausstest]\nignore = ["coverage"]\nnull = "gaussian"\n')
        monkeypatch.chdir(tmp_path)
        assert main(["check", str(good), "--select", "coverage"]) == 2
        err = capsys.readouterr().err
        _one_line_error(err)
        assert "[tool.gausstest] null, ignore; edit it there" in err

    def test_bad_pyproject_key(self, good, tmp_path, monkeypatch, capsys):
        (tmp_path / "pyproject.toml").write_text("[tool.gausstest]\nalhpa = 0.01\n")
        monkeypatch.chdir(tmp_path)
        assert main(["check", str(good)]) == 2
        _one_line_error(capsys.readouterr().err)


def _write(tmp_path, name, data=None, text=None, raw=None):
    p = tmp_path / name
    if data is not None:
        np.save(p, data, allow_pickle=True)
    elif text is not None:
        p.write_text(text)
    elif raw is not None:
        p.write_bytes(raw)
    return p


@pytest.mark.parametrize("case, message", [
    ("nan", "NaN or inf"),
    ("inf", "NaN or inf"),
    ("one_d", "2-D"),
    ("one_row", "at least 3 rows"),
    ("n_le_d", "n > d + 1"),
    ("singular", "singular"),
    ("csv_text", "non-numeric"),
    ("object_npy", "never unpickles"),
    ("missing", "no such file"),
    ("empty", "empty"),
])
def test_bad_input_exit_2(tmp_path, capsys, case, message):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((40, 3))
    if case == "nan":
        z[4, 0] = np.nan
        p = _write(tmp_path, "z.npy", z)
    elif case == "inf":
        z[4, 0] = np.inf
        p = _write(tmp_path, "z.npy", z)
    elif case == "one_d":
        p = _write(tmp_path, "z.npy", z[:, 0])
    elif case == "one_row":
        p = _write(tmp_path, "z.npy", z[:1])
    elif case == "n_le_d":
        p = _write(tmp_path, "z.npy", rng.standard_normal((5, 4)))
    elif case == "singular":
        z[:, 2] = z[:, 0] - z[:, 1]
        p = _write(tmp_path, "z.npy", z)
    elif case == "csv_text":
        p = _write(tmp_path, "z.csv", text="a,b\n1,2\nx,y\n")
    elif case == "object_npy":
        p = _write(tmp_path, "z.npy", np.array([[1, "a"], [2, "b"]], dtype=object))
    elif case == "missing":
        p = tmp_path / "nope.npy"
    elif case == "empty":
        p = _write(tmp_path, "z.csv", raw=b"")
    # (under both nulls n <= d + 1 and a singular covariance are reports with the shape
    # question unanswered: test_singular_names_direction)
    null = "gaussian" if case in ("n_le_d", "singular") else "both"
    code = main(["report", str(p), "--null", null])
    err = capsys.readouterr().err
    assert code == 2
    _one_line_error(err)
    assert message in err


def test_singular_names_direction(tmp_path, capsys):
    z = np.random.default_rng(1).standard_normal((40, 3))
    z[:, 2] = 1.0
    p = _write(tmp_path, "z.npy", z)
    assert main(["report", str(p), "--null", "gaussian"]) == 2
    assert "z[2]" in capsys.readouterr().err
    # under both nulls (the default) a report: the prior match names it, shape unanswered
    assert main(["report", str(p)]) == 1
    out = capsys.readouterr().out
    assert "dimension 2" in out and "collapsed" in out and "z[2] is constant" in out
    z[:, 2] = 2 * z[:, 0]  # collinear, not constant: the same (it had been an error)
    p = _write(tmp_path, "c.npy", z)
    assert main(["report", str(p)]) == 1
    out = capsys.readouterr().out
    assert "collapsed direction" in out and "covariance is singular" in out
    assert main(["report", str(p), "--null", "gaussian"]) == 2
    assert "z[0]" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["report"]) == 2
    assert main(["report", "x.npy", "--null", "nonsense"]) == 2
    assert main(["frobnicate"]) == 2


def test_weights_flag(good, capsys):
    assert main(["check", str(good), "--json", "--null", "standard", "--weights", "equal", *FAST]) == 0
    rows = json.loads(capsys.readouterr().out)["results"]
    assert {r["verdict_weight"] for r in rows} == {1.0}
    assert main(["check", str(good), "--json", "--weights", "radii=7,radii:gaussian=3", *FAST]) == 0
    rows = json.loads(capsys.readouterr().out)["results"]
    w = {(r["test"], r["null"]): r["verdict_weight"] for r in rows}
    assert w[("radii", "standard")] == 7.0 and w[("radii", "gaussian")] == 3.0
    for bad in ("radii", "radii=x", "radii=-1", "radi=2"):
        assert main(["check", str(good), "--weights", bad, *FAST]) == 2
        _one_line_error(capsys.readouterr().err)


def test_weights_in_pyproject(good, tmp_path, monkeypatch, capsys):
    for text in ('weights = "radii=5"', "weights = { radii = 5 }"):
        (tmp_path / "pyproject.toml").write_text(f'[tool.gausstest]\n{text}\nnull = "standard"\n')
        monkeypatch.chdir(tmp_path)
        assert main(["check", str(good), "--json", *FAST]) == 0
        rows = json.loads(capsys.readouterr().out)["results"]
        assert {r["test"]: r["verdict_weight"] for r in rows}["radii"] == 5.0


def test_unknown_test_code(good, capsys):
    assert main(["report", str(good), "--select", "nonexistent"]) == 2
    assert "unknown test 'nonexistent'" in capsys.readouterr().err


@pytest.mark.parametrize("fmt, marker", [("text", "verdict:"), ("markdown", "# gausstest report"),
                                         ("html", "<!DOCTYPE html>"), ("json", '"schema_version"')])
def test_formats(good, fmt, marker, capsys):
    assert main(["report", str(good), "--format", fmt, *FAST]) == 0
    assert marker in capsys.readouterr().out


def test_output_file_and_multiple_json(good, bad, tmp_path):
    out = tmp_path / "r.json"
    assert main(["report", str(good), str(bad), "--format", "json", "-o", str(out), *FAST]) == 1
    docs = json.loads(out.read_text())
    assert [d["verdict"] for d in docs] == ["pass", "fail"]


def test_several_files_in_one_html_document(good, bad, tmp_path):
    from html.parser import HTMLParser

    out = tmp_path / "r.html"
    assert main(["report", str(good), str(bad), "--format", "html", "-o", str(out), *FAST]) == 1
    page = out.read_text()
    assert page.count("<!DOCTYPE html>") == 1 and page.count("<body>") == 1
    assert page.rstrip().endswith("</body></html>") and page.count("<h1>gausstest report") == 2

    class Tags(HTMLParser):
        depth = 0

        def handle_starttag(self, tag, attrs):
            self.depth += tag in ("html", "body")

        def handle_endtag(self, tag):
            self.depth -= tag in ("html", "body")
            assert self.depth >= 0

    parser = Tags()
    parser.feed(page)
    assert parser.depth == 0


def test_npz_key(tmp_path, capsys):
    z = np.random.default_rng(2).standard_normal((100, 2))
    np.savez(tmp_path / "z.npz", mu=z, logvar=z)
    assert main(["report", str(tmp_path / "z.npz"), *FAST]) == 2
    assert "--key" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "z.npz"), "--key", "mu", *FAST]) == 0


def test_list_tests(capsys):
    assert main(["tests"]) == 0
    out = capsys.readouterr().out
    assert "henze_zirkler" in out and "mardia_skewness" in out


def test_console_script_on_example():
    """The installed entry point runs the README's first command on the shipped example."""
    # a subset of the battery keeps CI short; the full first run builds every null cache
    proc = subprocess.run([sys.executable, "-m", "gausstest", "report", str(example_path()),
                           "--select", "prior_match,marginals,radii,mardia_kurtosis"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stderr
    assert "dimension 5" in proc.stdout and "collapsed" in proc.stdout


@pytest.mark.parametrize("command", ["report", "check"])
def test_json_of_several_files_has_one_entry_per_file(good, tmp_path, capsys, command):
    const = tmp_path / "const.npy"
    z = np.random.default_rng(3).standard_normal((100, 3))
    z[:, 2] = 1.0
    np.save(const, z)
    code = main([command, str(good), str(const), "--json", *FAST, "--null", "gaussian"])
    docs = json.loads(capsys.readouterr().out)
    assert code == 2 and isinstance(docs, list) and len(docs) == 2
    assert docs[0]["verdict"] == "pass" and "error" not in docs[0]
    assert docs[1]["exit_code"] == 2 and "constant" in docs[1]["error"]
    assert docs[1]["source"].endswith("const.npy")


class TestSweepSixMessages:
    """Messages and markup a QA sweep found off (each case as it was reported)."""

    def test_max_effect_flag_named_without_a_stray_dot(self, good, capsys):
        assert main(["check", str(good), "--max-effect", "energy=-1", *FAST]) == 2
        err = capsys.readouterr().err
        _one_line_error(err)
        assert "--max-effect energy:" in err and ".energy" not in err

    def test_missing_logvar_array_names_the_logvar_flag(self, tmp_path, capsys):
        p = tmp_path / "post.npz"
        np.savez(p, mu=np.zeros((50, 2)), lv=np.zeros((50, 2)))
        assert main(["report", str(p), "--mu", "mu", "--logvar", "nope"]) == 2
        err = capsys.readouterr().err
        _one_line_error(err)
        assert "--logvar NAME" in err and "--key" not in err

    def test_one_dimensional_file_gets_a_command_line_fix(self, tmp_path, capsys):
        p = tmp_path / "one.npy"
        np.save(p, np.zeros(40))
        assert main(["report", str(p)]) == 2
        err = capsys.readouterr().err
        _one_line_error(err)
        assert "z[:, None]" not in err and "reshape(-1, 1)" in err

    def test_html_and_markdown_escape_what_they_print(self, tmp_path, capsys):
        z = np.random.default_rng(0).standard_normal((2000, 3))
        z[:, 0] = np.random.default_rng(1).exponential(size=2000)  # p < 1e-16 printed "< 1e-16"
        p = tmp_path / "a_<x>.npy"
        np.save(p, z)
        assert main(["report", str(p), "--format", "html", "--select", "marginals"]) == 1
        html = capsys.readouterr().out
        assert "< 1e-16" not in html and "&lt; 1e-16" in html and "<x>" not in html
        assert main(["report", str(p), "--format", "markdown", "--select", "marginals"]) == 1
        md = capsys.readouterr().out
        assert md.splitlines()[0].startswith("# gausstest report: `") and "<x>" in md.splitlines()[0]
